// Package pgserver is the one Go driver of a bundled PGlite server process: start it with a
// runtime (node or bun), read its port line, prove it ready with a completed query, and stop it
// the way the app does (SIGTERM; on Windows by closing its stdin), waiting for its own shutdown.
// Seed making (bundle) and smoke use it, so they cannot drift apart.
package pgserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nize/nizepack/internal/proc"
)

// StopByStdin is how servers are stopped: Windows has no SIGTERM (TerminateProcess cannot be
// caught), so there the driver does what the app can do, closing the server's stdin
// (--exit-on-stdin-close). A variable so tests take that path on any OS.
var StopByStdin = runtime.GOOS == "windows"

// Options say how to start a server.
type Options struct {
	Runtime string // node or bun (required)
	// Args are the runtime's arguments: the server and its flags, as ServerArgs makes them the
	// way the app passes them.
	Args []string
	Dir  string // the process's working dir; "" means the caller's
	// StartTimeout bounds the wait for the port line (default 3 minutes).
	StartTimeout time.Duration
}

// ServerArgs are the arguments the app starts the server with: the bundle, --db, --port=0 and
// more (e.g. --database=nize), plus --exit-on-stdin-close where Stop closes stdin (Windows).
func ServerArgs(server, dataDir string, more ...string) []string {
	args := append([]string{server, "--db=" + dataDir, "--port=0"}, more...)
	if StopByStdin {
		args = append(args, "--exit-on-stdin-close")
	}
	return args
}

// PortLine is the server's first stdout line: {"port": N, ...}. The canonical server adds facts
// after port (the app's serde reader ignores them); another entry may print only the port.
type PortLine struct {
	Port int `json:"port"`
	// Database is the database the server serves (PGlite 0.3.x serves template1 whatever
	// --database says); "" when the server does not say.
	Database string `json:"database,omitempty"`
	// Seeded is whether this start unpacked the seed beside the bundle; nil when not said.
	Seeded *bool `json:"seeded,omitempty"`
	// PGlite is the version of PGlite the server bundles, when it says.
	PGlite string `json:"pglite,omitempty"`
	// Raw is the line as the server printed it.
	Raw string `json:"-"`
}

// Process is a running server.
type Process struct {
	Line   PortLine
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr proc.Tail
	extra  proc.Tail // stdout after the port line
	out    firstLine
	done   chan struct{}
	err    error // Wait's result, after done
}

// Start runs the server and waits for its port line. On an error the process is gone; the
// returned Process (non-nil once the process was started) still has its stderr.
func Start(ctx context.Context, opts Options) (*Process, error) {
	p := &Process{cmd: exec.Command(opts.Runtime, opts.Args...)}
	p.cmd.Dir = opts.Dir
	// A stdin pipe always: the app spawns the server with stdin piped, and closing it is how
	// Windows stops it.
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	p.cmd.Stderr = &p.stderr
	p.cmd.Env = append(os.Environ(), "NODE_OPTIONS=") // nothing from the caller's NODE_OPTIONS
	p.cmd.WaitDelay = 5 * time.Second
	lines := make(chan string, 1)
	p.out = firstLine{line: lines, rest: &p.extra}
	p.cmd.Stdout = &p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", opts.Runtime, err)
	}
	p.done = make(chan struct{})
	go func() {
		p.err = p.cmd.Wait() // returns after stdout is copied to its end
		p.out.close()
		close(p.done)
	}()

	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	fail := func(err error) (*Process, error) {
		p.Kill()
		return p, err
	}
	select {
	case line, ok := <-lines:
		if ok && !strings.HasSuffix(line, "\n") && len(line) > proc.TailMax {
			// Still running and still writing: a line this long is no port line.
			return fail(fmt.Errorf("the server's first stdout line is over %d bytes, not {\"port\": N}", proc.TailMax))
		}
		if !ok || !strings.HasSuffix(line, "\n") {
			<-p.done
			return p, fmt.Errorf("the server ended (%s) without printing its {\"port\": N} line", proc.ExitText(p.err))
		}
		var pl struct {
			PortLine
			Port *int `json:"port"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &pl); err != nil || pl.Port == nil || *pl.Port <= 0 || *pl.Port > 65535 {
			return fail(fmt.Errorf("the server's first stdout line is %q, not {\"port\": N}", strings.TrimSpace(line)))
		}
		p.Line = pl.PortLine
		p.Line.Port = *pl.Port
		p.Line.Raw = strings.TrimSpace(line)
		return p, nil
	case <-timer.C:
		return fail(fmt.Errorf("no {\"port\": N} line within %s", timeout))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

// Connect opens a plain-protocol connection to the server (no TLS, as the app connects),
// asking for database.
func (p *Process) Connect(ctx context.Context, database string) (*pgx.Conn, error) {
	if database == "" {
		database = "postgres"
	}
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Line.Port, database))
	if err != nil {
		return nil, err
	}
	// One round trip per statement, no server-side prepared statements to keep track of.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to 127.0.0.1:%d: %w", p.Line.Port, err)
	}
	return conn, nil
}

// Ready proves the server serves: a connection and a completed query. A port line printed
// before the server can answer (or before it has set up its own shutdown) is not enough.
func (p *Process) Ready(ctx context.Context, database string) error {
	conn, err := p.Connect(ctx, database)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("querying the server: %w", err)
	}
	return nil
}

// Stderr is what the server wrote to stderr so far (its tail when long).
func (p *Process) Stderr() string { return p.stderr.String() }

// ExtraStdout is what the server wrote to stdout after its port line.
func (p *Process) ExtraStdout() string { return p.extra.String() }

// Stop asks the server to stop (SIGTERM, or closing its stdin with StopByStdin) and waits up to
// timeout for its own clean shutdown; one that does not exit is killed. It says how it was
// stopped.
func (p *Process) Stop(timeout time.Duration) (string, error) {
	how := "SIGTERM"
	if StopByStdin {
		how = "stdin closed"
		if err := p.stdin.Close(); err != nil {
			return "", fmt.Errorf("closing the server's stdin: %w", err)
		}
	} else if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return "", fmt.Errorf("sending SIGTERM: %w", err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.Kill()
		return "", fmt.Errorf("the server did not exit within %s of %s; killed", timeout, how)
	}
	if p.err != nil {
		return "", fmt.Errorf("the server did not exit cleanly after %s: %s", how, proc.ExitText(p.err))
	}
	return how + ", exit 0", nil
}

// Signal sends sig to the server.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// CloseStdin closes the server's stdin (the app's pipe ending).
func (p *Process) CloseStdin() error { return p.stdin.Close() }

// Wait waits up to timeout for the server to exit by itself and reports whether it did.
func (p *Process) Wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// ExitErr is how the server ended (nil: exit 0), once it has (Wait, Stop or Kill).
func (p *Process) ExitErr() error {
	<-p.done
	return p.err
}

// Kill ends the process if it still runs and waits for it.
func (p *Process) Kill() {
	if p == nil || p.cmd == nil || p.cmd.Process == nil || p.done == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// firstLine sends the first line written to it on line (closing line if none comes before
// close) and passes the rest on.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan string
	rest io.Writer
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent {
		return f.rest.Write(p)
	}
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 || len(f.buf) > proc.TailMax {
		if i < 0 {
			i = len(f.buf) - 1
		}
		f.line <- string(f.buf[:i+1])
		close(f.line)
		f.sent = true
		f.rest.Write(f.buf[i+1:])
		f.buf = nil
	}
	return len(p), nil
}

func (f *firstLine) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.sent {
		if len(f.buf) > 0 {
			f.line <- string(f.buf) // a last line without a newline
		}
		close(f.line)
		f.sent = true
	}
}
