package nizepack_test

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nize/nizepack/target"
)

// The smoke_*.txtar scripts get:
//
//	$SMOKE_APP    testdata/app, the PGlite fixture (`npm ci` installs its node_modules)
//	$SYSNODE      the system node (scripts skip with [!exec:node] where there is none)
//	$HOST_TRIPLE  the host's Rust triple, $HOST_EXE its executable suffix
//
// and the command `holdfree VAR`: sets VAR to a 127.0.0.1 port that nothing listens on.
// cmdHoldfree sets VAR to a 127.0.0.1 port that was free a moment ago.
func cmdHoldfree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdfree VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// setupSmoke exports the fixture app, the system node and the host's triple, .exe suffix, GOOS
// and GOARCH.
func setupSmoke(env *testscript.Env) error {
	app, err := filepath.Abs(filepath.Join("testdata", "app"))
	if err != nil {
		return err
	}
	env.Setenv("SMOKE_APP", app)
	if node, err := exec.LookPath("node"); err == nil {
		env.Setenv("SYSNODE", node)
	}
	if host, err := target.Host(); err == nil {
		env.Setenv("HOST_TRIPLE", host.Triple)
		env.Setenv("HOST_EXE", host.Exe())
		env.Setenv("HOST_GOOS", host.GOOS)
		env.Setenv("HOST_GOARCH", host.GOARCH)
	}
	return nil
}
