package nizepack_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nize/nizepack/internal/pgserver"
)

// Commands for the bundle_*.txtar scripts, which run the bundled PGlite server with the
// system node and talk to it with psql:
//
//	pgserver start NAME ARGS...   run `node ARGS...`, wait for its {"port": N} line, set $NAME_PORT;
//	                              with !, expect it to exit non-zero without announcing a port
//	pgserver stop NAME TERM|KILL  signal it and wait; TERM must end with exit 0
//	pgserver closein NAME         close its stdin (a pipe held open until then)
//	pgserver wait NAME            wait (at most 10 s) for it to exit by itself, with exit 0
//	pgserver run CODE ARGS...     run `node ARGS...` to its end and expect exit code CODE
//	holdport VAR                  listen on a free 127.0.0.1 port for the rest of the script, set $VAR
//	nomodules DIR                 fail if DIR or any folder above it has a node_modules
//
// [pgliteapp] is true when testdata/app is installed (`npm ci`), on every OS: it looks for the
// installed package, not for npm's per-OS .bin shims.
//
// Each command's output goes to the script's stdout/stderr for the usual assertions.

// pgliteApp is [pgliteapp]: testdata/app is installed (`npm ci`).
func pgliteApp() bool {
	_, err := os.Stat(filepath.Join("testdata", "app", "node_modules", "@electric-sql", "pglite-socket", "package.json"))
	return err == nil
}

// setupBundle exports the PGlite fixture and the client settings the bundle scripts use.
func setupBundle(env *testscript.Env) error {
	app, err := filepath.Abs(filepath.Join("testdata", "app"))
	if err != nil {
		return err
	}
	env.Setenv("APP", app) // the PGlite fixture (`npm ci` installs it)
	// Scripts skip with [!pgliteapp] where it is not installed; CI installs it, so there
	// a missing fixture fails instead.
	if _, err := os.Stat(filepath.Join(app, "node_modules", "@electric-sql", "pglite-socket", "package.json")); err != nil && os.Getenv("CI") != "" {
		return fmt.Errorf("testdata/app is not installed: .ci/run must run `npm ci` in it")
	}
	env.Setenv("PGCONNECT_TIMEOUT", "10")
	env.Setenv("PGSSLMODE", "disable")
	return nil
}

// portFirst: the port line is a JSON object whose first key is "port" (the app reads it with
// serde; the canonical server adds facts after it).
var portFirst = regexp.MustCompile(`^\{\s*"port"\s*:`)

const (
	serverStartTimeout = 120 * time.Second // a fresh PGlite data dir on a busy 2-core machine
	serverExitTimeout  = 30 * time.Second
)

// pgProc is a server the script started: the one driver the product uses (internal/pgserver).
type pgProc = pgserver.Process

var (
	pgProcsMu sync.Mutex
	pgProcs   = map[*testscript.TestScript]map[string]*pgProc{}
)

func cmdPgserver(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: pgserver start|stop|run NAME|CODE ...")
	}
	switch args[0] {
	case "start":
		pgStart(ts, neg, args[1], args[2:])
	case "stop":
		if neg || len(args) != 3 {
			ts.Fatalf("usage: pgserver stop NAME TERM|KILL")
		}
		pgStop(ts, args[1], args[2])
	case "closein", "wait":
		if neg || len(args) != 2 {
			ts.Fatalf("usage: pgserver %s NAME", args[0])
		}
		pgProcsMu.Lock()
		p := pgProcs[ts][args[1]]
		pgProcsMu.Unlock()
		if p == nil {
			ts.Fatalf("no running server %s", args[1])
		}
		if args[0] == "closein" {
			ts.Check(p.CloseStdin())
			return
		}
		pgWait(ts, args[1], p)
	case "run":
		if neg {
			ts.Fatalf("usage: pgserver run CODE ARGS... (the code says what to expect)")
		}
		pgRun(ts, args[1], args[2:])
	default:
		ts.Fatalf("unknown pgserver subcommand %q", args[0])
	}
}

func nodeCmd(ts *testscript.TestScript, args []string) *exec.Cmd {
	node, err := exec.LookPath("node")
	ts.Check(err)
	cmd := exec.Command(node, args...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = os.Environ()
	return cmd
}

func pgStart(ts *testscript.TestScript, neg bool, name string, args []string) {
	pgProcsMu.Lock()
	procs := pgProcs[ts]
	if procs == nil {
		procs = map[string]*pgProc{}
		pgProcs[ts] = procs
		ts.Defer(func() { // never leave a server running after the script
			pgProcsMu.Lock()
			defer pgProcsMu.Unlock()
			for _, p := range pgProcs[ts] {
				p.Kill()
			}
			delete(pgProcs, ts)
		})
	}
	if _, running := procs[name]; running {
		pgProcsMu.Unlock()
		ts.Fatalf("server %s is already running", name)
	}
	pgProcsMu.Unlock()

	node, err := exec.LookPath("node")
	ts.Check(err)
	start := time.Now()
	p, err := pgserver.Start(context.Background(), pgserver.Options{Runtime: node, Args: args, Dir: ts.MkAbs("."), StartTimeout: serverStartTimeout})
	if neg {
		if err == nil {
			p.Kill()
			ts.Fatalf("server %s announced %q; expected it to fail", name, p.Line.Raw)
		}
		if p == nil {
			ts.Fatalf("server %s: %v", name, err)
		}
		exit := p.ExitErr()
		fmt.Fprint(ts.Stderr(), p.Stderr())
		if exit == nil {
			ts.Fatalf("server %s exited 0 without a port; expected a failure", name)
		}
		ts.Logf("server %s failed after %v: %v", name, time.Since(start).Round(time.Millisecond), exit)
		return
	}
	if err != nil {
		stderr := ""
		if p != nil {
			stderr = p.Stderr()
		}
		ts.Fatalf("server %s: %v; stderr:\n%s", name, err, stderr)
	}
	if !portFirst.MatchString(p.Line.Raw) {
		p.Kill()
		ts.Fatalf("server %s first stdout line %q does not start with \"port\"", name, p.Line.Raw)
	}
	ts.Logf("server %s listening on port %d after %v", name, p.Line.Port, time.Since(start).Round(time.Millisecond))
	ts.Setenv(strings.ToUpper(name)+"_PORT", strconv.Itoa(p.Line.Port))
	pgProcsMu.Lock()
	procs[name] = p
	pgProcsMu.Unlock()
}

func pgStop(ts *testscript.TestScript, name, signal string) {
	pgProcsMu.Lock()
	p := pgProcs[ts][name]
	delete(pgProcs[ts], name)
	pgProcsMu.Unlock()
	if p == nil {
		ts.Fatalf("no running server %s", name)
	}
	var sig os.Signal
	switch signal {
	case "TERM":
		sig = syscall.SIGTERM
	case "KILL":
		sig = os.Kill
	default:
		ts.Fatalf("unknown signal %s (TERM or KILL)", signal)
	}
	ts.Check(p.Signal(sig))
	if !p.Wait(serverExitTimeout) {
		p.Kill()
		ts.Fatalf("server %s did not exit within %v of SIG%s", name, serverExitTimeout, signal)
	}
	fmt.Fprint(ts.Stderr(), p.Stderr())
	if extra := p.ExtraStdout(); extra != "" {
		ts.Fatalf("server %s wrote more than the port line to stdout:\n%s", name, extra)
	}
	if exit := p.ExitErr(); signal == "TERM" && exit != nil {
		ts.Fatalf("server %s ended with %v after SIGTERM; want exit 0", name, exit)
	}
}

func pgWait(ts *testscript.TestScript, name string, p *pgProc) {
	start := time.Now()
	if !p.Wait(10 * time.Second) {
		ts.Fatalf("server %s did not exit by itself within 10 s; stderr:\n%s", name, p.Stderr())
	}
	ts.Logf("server %s exited %v after the wait began", name, time.Since(start).Round(time.Millisecond))
	pgProcsMu.Lock()
	delete(pgProcs[ts], name)
	pgProcsMu.Unlock()
	fmt.Fprint(ts.Stderr(), p.Stderr())
	if exit := p.ExitErr(); exit != nil {
		ts.Fatalf("server %s ended with %v; want exit 0", name, exit)
	}
}

func pgRun(ts *testscript.TestScript, code string, args []string) {
	want, err := strconv.Atoi(code)
	ts.Check(err)
	cmd := nodeCmd(ts, args)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ts.Check(cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(serverStartTimeout):
		cmd.Process.Kill()
		<-done
		ts.Fatalf("node %s did not exit within %v", strings.Join(args, " "), serverStartTimeout)
	}
	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprint(ts.Stderr(), stderr.String())
	if got := cmd.ProcessState.ExitCode(); got != want {
		ts.Fatalf("node exited with %d, want %d; stderr:\n%s", got, want, stderr.String())
	}
}

func cmdHoldport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}

func cmdNomodules(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: nomodules DIR")
	}
	for dir := ts.MkAbs(args[0]); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
			ts.Fatalf("%s has a node_modules: the bundle must run without one", dir)
		}
		if filepath.Dir(dir) == dir {
			return
		}
	}
}
