// Package smoke proves the packaged PGlite server works: it starts the bundled
// pglite-server.mjs with the fetched Node binary on a fresh data dir (from the bundle's seed when
// it has one, as the app's first launch does), talks to it over the Postgres wire protocol with
// pgx, exercises pgvector, reconnects re-preparing a statement name as sqlx does, and stops it
// with SIGTERM, timing each step. It never prints; progress goes to a report.Reporter.
package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/internal/proc"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/target"
)

// Step names, in the order they run.
const (
	StepStart    = "start"    // node pglite-server.mjs until its {"port": N} line
	StepConnect  = "connect"  // a Postgres wire-protocol connection
	StepDatabase = "database" // the served database is the one asked for
	StepVector   = "vector"   // CREATE EXTENSION IF NOT EXISTS vector
	StepTable    = "table"    // a vector(3) table with rows
	StepQuery    = "query"    // a nearest-neighbour query
	// StepReconnect prepares sqlx's first statement name, disconnects, connects again and
	// prepares it again: the session must be clean (no 42P05).
	StepReconnect = "reconnect"
	StepStop      = "stop" // SIGTERM and a clean exit
)

// DefaultDatabase is the database the smoke run asks an unseeded server to serve.
const DefaultDatabase = "nizepack_smoke"

// reusedStatement is the first statement name sqlx gives on every connection.
const reusedStatement = "sqlx_s_1"

// Options say what to run.
type Options struct {
	Node   string // the Node binary (required)
	Server string // the bundled pglite-server.mjs (required)
	// Database is passed as --database=. Empty means the database of the bundle's seed when it
	// has one (the start is then a seeded first start, and must say so), else DefaultDatabase.
	Database string
	// DataDir is the server's --db; empty means a fresh temporary dir, removed afterwards.
	DataDir string
	// StartTimeout bounds the wait for the port line (default 3 minutes: a fresh data dir takes
	// several seconds on a fast machine). StepTimeout bounds every other step (default 1 minute).
	StartTimeout, StepTimeout time.Duration
	Report                    report.Reporter
}

// Step is one timed step.
type Step struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration_ns"`
	Detail   string        `json:"detail,omitempty"`
}

// Result is a passed run.
type Result struct {
	Node     string `json:"node"`
	Server   string `json:"server"`
	Port     int    `json:"port"`
	Database string `json:"database"`
	// Seeded is whether the server started from the bundle's seed.
	Seeded bool          `json:"seeded"`
	Steps  []Step        `json:"steps"`
	Total  time.Duration `json:"total_ns"`
}

// StepError is a failed step, with what the server said on stderr.
type StepError struct {
	Step   string
	Err    error
	Stderr string // the server's stderr so far (its tail when long)
	// Started is whether the server process was started (else there is no stderr to show).
	Started bool
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("smoke step %q failed: %v", e.Step, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += "\nserver stderr:\n" + s
	} else if e.Started {
		msg += " (the server wrote nothing to stderr)"
	}
	return msg
}

func (e *StepError) Unwrap() error { return e.Err }

// Runnable reports whether t's binaries can run on this machine: the host's OS and CPU, or a
// universal macOS build on a Mac.
func Runnable(t target.Target) error {
	host, err := target.Host()
	if err != nil {
		return err
	}
	if t.Name == host.Name || (t.Universal() && t.GOOS == runtime.GOOS) {
		return nil
	}
	return fmt.Errorf("%s binaries cannot run on this %s host: smoke runs only the host's target; run it on a %s runner", t.Name, host.Name, t.Name)
}

// MissingWhat names an input smoke needs.
type MissingWhat string

const (
	MissingNode   MissingWhat = "Node binary"
	MissingServer MissingWhat = "server bundle"
)

// MissingError is an input that is not there.
type MissingError struct {
	What MissingWhat
	Path string
}

func (e *MissingError) Error() string { return fmt.Sprintf("the %s %s is missing", e.What, e.Path) }

// Run starts the server, exercises it and stops it. A failure is a *StepError.
func Run(ctx context.Context, opts Options) (*Result, error) {
	rep := report.Or(opts.Report)
	// A bundle with a seed is checked as the app starts it: a first start from the seed.
	var seed *bundle.SeedInfo
	if sd := bundle.ReadSeed(filepath.Dir(opts.Server)); sd != nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(opts.Server), sd.File)); err == nil && (opts.Database == "" || opts.Database == sd.Database) {
			seed = sd
			opts.Database = sd.Database
		}
	}
	if opts.Database == "" {
		opts.Database = DefaultDatabase
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 3 * time.Minute
	}
	if opts.StepTimeout == 0 {
		opts.StepTimeout = time.Minute
	}
	for _, f := range []struct {
		what MissingWhat
		path string
	}{
		{MissingNode, opts.Node},
		{MissingServer, opts.Server},
	} {
		if fi, err := os.Stat(f.path); err != nil || fi.IsDir() {
			return nil, &StepError{Step: StepStart, Err: &MissingError{What: f.what, Path: f.path}}
		}
	}
	dataDir := opts.DataDir
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "nizepack-smoke-")
		if err != nil {
			return nil, &StepError{Step: StepStart, Err: fmt.Errorf("creating a temporary data dir: %w", err)}
		}
		defer os.RemoveAll(tmp)
		dataDir = filepath.Join(tmp, "db")
	}

	res := &Result{Node: opts.Node, Server: opts.Server, Database: opts.Database}
	began := time.Now()
	s := &server{}
	defer s.kill()
	fail := func(step string, err error) (*Result, error) {
		s.kill()
		return nil, &StepError{Step: step, Err: err, Stderr: s.stderr.String(), Started: s.cmd != nil && s.cmd.Process != nil}
	}
	timed := func(name string, f func(ctx context.Context) (string, error)) error {
		rep.Infof("smoke: %s", name)
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, opts.StepTimeout)
		defer cancel()
		detail, err := f(sctx)
		if err != nil {
			return err
		}
		st := Step{Name: name, Duration: time.Since(t0), Detail: detail}
		res.Steps = append(res.Steps, st)
		rep.Infof("smoke: %s ok (%s)%s", name, st.Duration.Round(time.Millisecond), prefixed(" — ", detail))
		return nil
	}

	// start
	rep.Infof("smoke: %s (%s %s)", StepStart, opts.Node, opts.Server)
	t0 := time.Now()
	port, err := s.start(ctx, opts, dataDir)
	if err != nil {
		return fail(StepStart, err)
	}
	res.Port = port
	startDetail := fmt.Sprintf("port %d", port)
	if seed != nil {
		unpack, ok := s.seedLine()
		if !ok {
			return fail(StepStart, fmt.Errorf("the bundle has a seed of database %s, but the server's first start on an empty data dir did not start from it", seed.Database))
		}
		res.Seeded = true
		startDetail += ", from the seed" + unpack
	}
	res.Steps = append(res.Steps, Step{Name: StepStart, Duration: time.Since(t0), Detail: startDetail})
	rep.Infof("smoke: %s ok (%s) — %s", StepStart, time.Since(t0).Round(time.Millisecond), startDetail)

	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	steps := []struct {
		name string
		f    func(ctx context.Context) (string, error)
	}{
		{StepConnect, func(ctx context.Context) (string, error) {
			var err error
			conn, err = connect(ctx, port, opts.Database)
			return "", err
		}},
		{StepDatabase, func(ctx context.Context) (string, error) {
			var name, version string
			if err := conn.QueryRow(ctx, "SELECT current_database(), version()").Scan(&name, &version); err != nil {
				return "", err
			}
			if name != opts.Database {
				return "", fmt.Errorf("the server serves database %q, not %q (--database=%s)", name, opts.Database, opts.Database)
			}
			return name + ", " + firstWords(version, 2), nil
		}},
		{StepVector, func(ctx context.Context) (string, error) {
			if seed != nil {
				var n int
				if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'").Scan(&n); err != nil {
					return "", err
				}
				if n != 1 {
					return "", fmt.Errorf("the database %s started from the seed has no vector extension", opts.Database)
				}
			}
			if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector"); err != nil {
				return "", err
			}
			var v string
			if err := conn.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'vector'").Scan(&v); err != nil {
				return "", fmt.Errorf("reading the vector extension's version: %w", err)
			}
			return "pgvector " + v, nil
		}},
		{StepTable, func(ctx context.Context) (string, error) {
			if _, err := conn.Exec(ctx, "CREATE TABLE nizepack_smoke_items (id integer PRIMARY KEY, embedding vector(3) NOT NULL)"); err != nil {
				return "", err
			}
			if _, err := conn.Exec(ctx, "INSERT INTO nizepack_smoke_items VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,1]'), (4, '[0.9,0.8,0.1]')"); err != nil {
				return "", err
			}
			return "4 rows", nil
		}},
		{StepQuery, func(ctx context.Context) (string, error) {
			rows, err := conn.Query(ctx, "SELECT id FROM nizepack_smoke_items ORDER BY embedding <-> '[1,0.9,0]' LIMIT 2")
			if err != nil {
				return "", err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
			if err != nil {
				return "", err
			}
			if len(ids) != 2 || ids[0] != 4 || ids[1] != 1 {
				return "", fmt.Errorf("the nearest neighbours of [1,0.9,0] came back as %v, want [4 1]", ids)
			}
			return fmt.Sprintf("nearest of [1,0.9,0]: %v", ids), nil
		}},
		{StepReconnect, func(ctx context.Context) (string, error) {
			if _, err := conn.Prepare(ctx, reusedStatement, "SELECT $1::int + 1"); err != nil {
				return "", fmt.Errorf("preparing %s: %w", reusedStatement, err)
			}
			conn.Close(ctx)
			conn = nil
			var err error
			if conn, err = connect(ctx, port, opts.Database); err != nil {
				return "", fmt.Errorf("reconnecting right after a disconnect: %w", err)
			}
			if _, err := conn.Prepare(ctx, reusedStatement, "SELECT $1::int + 1"); err != nil {
				return "", fmt.Errorf("preparing %s again on a new connection (the last client's session was not reset, as sqlx's replacement connections would see): %w", reusedStatement, err)
			}
			return reusedStatement + " prepared again on a new connection", nil
		}},
	}
	for _, st := range steps {
		if err := timed(st.name, st.f); err != nil {
			return fail(st.name, err)
		}
	}
	conn.Close(ctx)
	conn = nil

	if err := timed(StepStop, func(context.Context) (string, error) { return s.stop(opts.StepTimeout) }); err != nil {
		return fail(StepStop, err)
	}
	if extra := strings.TrimSpace(s.extra.String()); extra != "" {
		rep.Warnf("smoke: the server wrote more than its port line to stdout: %q", firstWords(extra, 12))
	}
	res.Total = time.Since(began)
	return res, nil
}

func connect(ctx context.Context, port int, database string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, database))
	if err != nil {
		return nil, err
	}
	// One round trip per statement, no server-side prepared statements to keep track of.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to 127.0.0.1:%d: %w", port, err)
	}
	return conn, nil
}

var seedLineRE = regexp.MustCompile(`first start from the seed .*: unpacked \d+ files \(([\d.]+ MiB)\) in (\d+) ms`)

// seedLine waits briefly for the server's "first start from the seed" line on stderr (written
// before the port line, but copied by another goroutine) and returns " (unpacked X MiB in N ms)".
func (s *server) seedLine() (string, bool) {
	for deadline := time.Now().Add(2 * time.Second); ; {
		if m := seedLineRE.FindStringSubmatch(s.stderr.String()); m != nil {
			return fmt.Sprintf(" (unpacked %s in %s ms)", m[1], m[2]), true
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopByStdin is how the server is stopped: Windows has no SIGTERM (TerminateProcess cannot be
// caught), so there smoke does what the app can do, closing the server's stdin
// (--exit-on-stdin-close). A variable so the tests take that path on any OS.
var stopByStdin = runtime.GOOS == "windows"

// server is the running node process.
type server struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser // with stopByStdin: closing it asks the server to stop
	stderr proc.Tail
	extra  proc.Tail // stdout after the port line
	out    firstLine
	done   chan struct{}
	err    error // Wait's result, after done
}

func (s *server) start(ctx context.Context, opts Options, dataDir string) (int, error) {
	args := []string{opts.Server, "--db=" + dataDir, "--port=0", "--database=" + opts.Database}
	if stopByStdin {
		args = append(args, "--exit-on-stdin-close")
	}
	s.cmd = exec.Command(opts.Node, args...)
	if stopByStdin {
		var err error
		if s.stdin, err = s.cmd.StdinPipe(); err != nil {
			return 0, err
		}
	}
	s.cmd.Stderr = &s.stderr
	s.cmd.Env = append(os.Environ(), "NODE_OPTIONS=") // nothing from the caller's NODE_OPTIONS
	s.cmd.WaitDelay = 5 * time.Second
	lines := make(chan string, 1)
	s.out = firstLine{line: lines, rest: &s.extra}
	s.cmd.Stdout = &s.out
	if err := s.cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", opts.Node, err)
	}
	s.done = make(chan struct{})
	go func() {
		s.err = s.cmd.Wait() // returns after stdout is copied to its end
		s.out.close()
		close(s.done)
	}()

	timer := time.NewTimer(opts.StartTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-lines:
		if ok && !strings.HasSuffix(line, "\n") && len(line) > proc.TailMax {
			// Still running and still writing: a line this long is no port line.
			return 0, fmt.Errorf("the server's first stdout line is over %d bytes, not {\"port\": N}", proc.TailMax)
		}
		if !ok || !strings.HasSuffix(line, "\n") {
			<-s.done
			return 0, fmt.Errorf("the server ended (%s) without printing its {\"port\": N} line", proc.ExitText(s.err))
		}
		var msg struct {
			Port *int `json:"port"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &msg); err != nil || msg.Port == nil || *msg.Port <= 0 || *msg.Port > 65535 {
			return 0, fmt.Errorf("the server's first stdout line is %q, not {\"port\": N}", strings.TrimSpace(line))
		}
		return *msg.Port, nil
	case <-timer.C:
		return 0, fmt.Errorf("no {\"port\": N} line within %s", opts.StartTimeout)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// stop ends the server with SIGTERM, or on Windows by closing its stdin, and checks that it
// exits cleanly within timeout; one that does not is killed.
func (s *server) stop(timeout time.Duration) (string, error) {
	how := "SIGTERM"
	if stopByStdin {
		how = "stdin closed"
		if err := s.stdin.Close(); err != nil {
			return "", fmt.Errorf("closing the server's stdin: %w", err)
		}
	} else if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return "", fmt.Errorf("sending SIGTERM: %w", err)
	}
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.kill()
		return "", fmt.Errorf("the server did not exit within %s of %s; killed", timeout, how)
	}
	if s.err != nil {
		return "", fmt.Errorf("the server did not exit cleanly after %s: %s", how, proc.ExitText(s.err))
	}
	return how + ", exit 0", nil
}

// kill ends the process if it still runs and waits for it.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil || s.done == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
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
