package pgserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a fake server: with NIZEPACK_FAKE_SERVER set it prints its port
// line and then behaves as the mode says, the way pglite-server.mjs would.
func TestMain(m *testing.M) {
	switch mode := os.Getenv("NIZEPACK_FAKE_SERVER"); mode {
	case "":
		os.Exit(m.Run())
	default:
		switch mode {
		case "facts":
			fmt.Println(`{"port": 5999, "database": "template1", "seeded": true, "pglite": "0.3.15", "later": [1]}`)
		case "bad":
			fmt.Println(`{"seeded": true}`)
			time.Sleep(time.Minute)
		default:
			fmt.Println(`{"port": 5999}`)
		}
		onStdinClose := slices.Contains(os.Args, "--exit-on-stdin-close")
		switch {
		case mode == "stdin" && onStdinClose:
			io.Copy(io.Discard, bufio.NewReader(os.Stdin)) // until the parent closes it
			os.Exit(0)
		case mode == "stdin-fails" && onStdinClose:
			io.Copy(io.Discard, os.Stdin)
			fmt.Fprintln(os.Stderr, "closing the database failed")
			os.Exit(3)
		}
		time.Sleep(time.Minute) // deaf: only a kill ends it
		os.Exit(0)
	}
}

// On Windows (StopByStdin) the driver stops the server the way the app can: it closes the server's
// stdin (the server runs with --exit-on-stdin-close) and expects a clean exit; a server that
// does not exit is killed and the step fails, as does an unclean exit.
func TestStopByClosingStdin(t *testing.T) {
	defer func(old bool) { StopByStdin = old }(StopByStdin)
	StopByStdin = true
	for _, c := range []struct {
		mode, want, wantErr string
	}{
		{"stdin", "stdin closed, exit 0", ""},
		{"stdin-fails", "", "did not exit cleanly after stdin closed: exit status 3"},
		{"deaf", "", "did not exit within 500ms of stdin closed; killed"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			t.Setenv("NIZEPACK_FAKE_SERVER", c.mode)
			s, err := Start(context.Background(), Options{Runtime: os.Args[0], Args: ServerArgs("pglite-server.mjs", t.TempDir()), StartTimeout: 30 * time.Second})
			if err != nil || s.Line.Port != 5999 {
				t.Fatalf("start: %+v, err %v", s, err)
			}
			began := time.Now()
			got, err := s.Stop(500 * time.Millisecond)
			if c.wantErr == "" && (err != nil || got != c.want) {
				t.Errorf("stop = %q, %v; want %q", got, err, c.want)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Errorf("stop error = %v; want %q", err, c.wantErr)
			}
			select {
			case <-s.done:
			default:
				t.Error("the server still runs after stop")
			}
			if d := time.Since(began); d > 10*time.Second {
				t.Errorf("stop took %s", d)
			}
		})
	}
}

// The port line carries facts after the port (serde in the app ignores them); a line without a
// port is refused and the process is gone.
func TestPortLine(t *testing.T) {
	t.Setenv("NIZEPACK_FAKE_SERVER", "facts")
	s, err := Start(context.Background(), Options{Runtime: os.Args[0], Args: ServerArgs("x.mjs", t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if s.Line.Port != 5999 || s.Line.Database != "template1" || s.Line.Seeded == nil || !*s.Line.Seeded || s.Line.PGlite != "0.3.15" {
		t.Errorf("line = %+v", s.Line)
	}

	t.Setenv("NIZEPACK_FAKE_SERVER", "plain")
	s, err = Start(context.Background(), Options{Runtime: os.Args[0], Args: ServerArgs("x.mjs", t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if s.Line.Seeded != nil || s.Line.Database != "" {
		t.Errorf("a bare port line says more than it does: %+v", s.Line)
	}

	t.Setenv("NIZEPACK_FAKE_SERVER", "bad")
	began := time.Now()
	s, err = Start(context.Background(), Options{Runtime: os.Args[0], Args: ServerArgs("x.mjs", t.TempDir())})
	if err == nil || !strings.Contains(err.Error(), `not {"port": N}`) {
		t.Errorf("err = %v", err)
	}
	select {
	case <-s.done:
	default:
		t.Error("the server still runs after a bad port line")
	}
	if d := time.Since(began); d > 20*time.Second {
		t.Errorf("took %s", d)
	}
}
