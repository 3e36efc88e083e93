package smoke

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
		fmt.Println(`{"port": 5999}`)
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

// On Windows (stopByStdin) smoke stops the server the way the app can: it closes the server's
// stdin (the server runs with --exit-on-stdin-close) and expects a clean exit; a server that
// does not exit is killed and the step fails, as does an unclean exit.
func TestStopByClosingStdin(t *testing.T) {
	defer func(old bool) { stopByStdin = old }(stopByStdin)
	stopByStdin = true
	for _, c := range []struct {
		mode, want, wantErr string
	}{
		{"stdin", "stdin closed, exit 0", ""},
		{"stdin-fails", "", "did not exit cleanly after stdin closed: exit status 3"},
		{"deaf", "", "did not exit within 500ms of stdin closed; killed"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			t.Setenv("NIZEPACK_FAKE_SERVER", c.mode)
			s := &server{}
			port, err := s.start(context.Background(), Options{Node: os.Args[0], Server: "pglite-server.mjs", StartTimeout: 30 * time.Second}, t.TempDir())
			if err != nil || port != 5999 {
				t.Fatalf("start: port %d, err %v", port, err)
			}
			began := time.Now()
			got, err := s.stop(500 * time.Millisecond)
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
