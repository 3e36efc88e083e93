// Package smoke proves the packaged PGlite server works: it starts the bundled
// pglite-server.mjs with the fetched Node binary on a fresh data dir (from the bundle's seed when
// it has one, as the app's first launch does), talks to it over the Postgres wire protocol with
// pgx, exercises pgvector, reconnects re-preparing a statement name as sqlx does, and stops it
// with SIGTERM, timing each step. It never prints; progress goes to a report.Reporter.
package smoke

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/pgserver"
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

// DefaultDatabase is the database smoke asks the server for: the one the app passes
// (--database=nize), so the start is the app's own (from the seed, when the bundle has one).
const DefaultDatabase = nize.SeedDatabase

// reusedStatement is the first statement name sqlx gives on every connection.
const reusedStatement = "sqlx_s_1"

// Options say what to run.
type Options struct {
	Node   string // the Node binary (required)
	Server string // the bundled pglite-server.mjs (required)
	// Database is passed as --database= and asked for by the clients; empty means
	// DefaultDatabase. When the bundle has a seed of it, the start must come from the seed.
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
	// Served is the database the server really serves (PGlite 0.3.x: template1, whatever
	// Database says).
	Served string `json:"served_database"`
	// Seeded is whether the server started from the bundle's seed.
	Seeded bool `json:"seeded"`
	// Notes are facts worth knowing that are not failures.
	Notes []string      `json:"notes,omitempty"`
	Steps []Step        `json:"steps"`
	Total time.Duration `json:"total_ns"`
}

// StepError is a failed step, with what the server said on stderr.
type StepError struct {
	Step   string
	Err    error
	Stderr string // the server's stderr so far (its tail when long)
	// Started is whether the server process was started (else there is no stderr to show).
	Started bool
}

func (e *StepError) Error() string { return e.Format(e.Err.Error()) }

// Format is the error's text with cause in place of the failed step's own error's text (the
// CLI's rendering of it, with a hint).
func (e *StepError) Format(cause string) string {
	msg := fmt.Sprintf("smoke step %q failed: %s", e.Step, cause)
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
	if opts.Database == "" {
		opts.Database = DefaultDatabase
	}
	// A bundle with a seed of the database asked for is checked as the app starts it: a first
	// start from the seed. (bundle-pglite makes one only for an entry that reads seeds.)
	var seed *bundle.SeedInfo
	if sd := bundle.ReadSeed(filepath.Dir(opts.Server)); sd != nil && sd.Database == opts.Database {
		if _, err := os.Stat(filepath.Join(filepath.Dir(opts.Server), sd.File)); err == nil {
			seed = sd
		}
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
	var srv *pgserver.Process
	defer func() { srv.Kill() }()
	fail := func(step string, err error) (*Result, error) {
		srv.Kill()
		e := &StepError{Step: step, Err: err, Started: srv != nil}
		if srv != nil {
			e.Stderr = srv.Stderr()
		}
		return nil, e
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
	srv, err := pgserver.Start(ctx, pgserver.Options{
		Runtime: opts.Node, Args: pgserver.ServerArgs(opts.Server, dataDir, "--database="+opts.Database),
		StartTimeout: opts.StartTimeout,
	})
	if err != nil {
		return fail(StepStart, err)
	}
	res.Port = srv.Line.Port
	startDetail := fmt.Sprintf("port %d", srv.Line.Port)
	if seed != nil {
		switch {
		case srv.Line.Seeded == nil:
			return fail(StepStart, fmt.Errorf("the bundle has a seed of database %s, but the server's port line does not say whether it started from it (no \"seeded\"): the bundle and its seed are from different nizepack versions", seed.Database))
		case !*srv.Line.Seeded:
			return fail(StepStart, fmt.Errorf("the bundle has a seed of database %s, but the server's first start on an empty data dir did not start from it", seed.Database))
		}
		res.Seeded = true
		startDetail += ", from the seed"
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
			conn, err = srv.Connect(ctx, opts.Database)
			return "", err
		}},
		{StepDatabase, func(ctx context.Context) (string, error) {
			var name, version string
			if err := conn.QueryRow(ctx, "SELECT current_database(), version()").Scan(&name, &version); err != nil {
				return "", err
			}
			res.Served = name
			detail := name + ", " + firstWords(version, 2)
			if name != opts.Database {
				// PGlite 0.3.x serves template1 whatever it is asked for; the app's tables
				// live there. A fact about the PGlite the app ships, not a failure.
				note := fmt.Sprintf("the server serves database %s whatever --database says (asked for %s)", name, opts.Database)
				res.Notes = append(res.Notes, note)
				rep.Warnf("smoke: %s", note)
				detail += fmt.Sprintf(" (asked for %s)", opts.Database)
			}
			return detail, nil
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
			if conn, err = srv.Connect(ctx, opts.Database); err != nil {
				return "", fmt.Errorf("reconnecting right after a disconnect: %w", err)
			}
			if _, err := conn.Prepare(ctx, reusedStatement, "SELECT $1::int + 1"); err != nil {
				return "", &SessionLeakError{Statement: reusedStatement, Err: err}
			}
			// What the last client committed is there for the next (PGlite 0.3.x's search_path
			// after a session reset once hid it).
			var n int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM nizepack_smoke_items").Scan(&n); err != nil || n != 4 {
				return "", fmt.Errorf("the table the last connection made is not there for the next (%d rows, %v)", n, err)
			}
			return reusedStatement + " prepared again on a new connection, the table still there", nil
		}},
	}
	for _, st := range steps {
		if err := timed(st.name, st.f); err != nil {
			return fail(st.name, err)
		}
	}
	conn.Close(ctx)
	conn = nil

	if err := timed(StepStop, func(context.Context) (string, error) { return srv.Stop(opts.StepTimeout) }); err != nil {
		return fail(StepStop, err)
	}
	if extra := strings.TrimSpace(srv.ExtraStdout()); extra != "" {
		rep.Warnf("smoke: the server wrote more than its port line to stdout: %q", firstWords(extra, 12))
	}
	res.Total = time.Since(began)
	return res, nil
}

// SessionLeakError is a reconnect that finds the last client's session state: the server ran
// every client in one Postgres session and did not reset it when a client left, so a new
// connection preparing sqlx's first statement name gets 42P05, as the app's sqlx pool does
// whenever it replaces a connection.
type SessionLeakError struct {
	Statement string
	Err       error
}

func (e *SessionLeakError) Error() string {
	return fmt.Sprintf("preparing %s again on a new connection failed: the server kept the last client's session (its prepared statements) for the next client, as the app's sqlx pool would see on every replacement connection: %v", e.Statement, e.Err)
}

func (e *SessionLeakError) Unwrap() error { return e.Err }

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
