package nizepack_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nize/nizepack/internal/cli"
)

// scriptCmds are the extra testscript commands, all registered here; each is written in its
// area's script_*_test.go file.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exits":       cmdExits,       // exits N CMD ARGS...: run and expect exit code N
	"nodemirror":  cmdNodeMirror,  // a signed official-layout Node mirror on loopback
	"nodemirrors": cmdNodeMirrors, // several releases, with index.json
	"copytree":    cmdCopytree,
	"fakebin":     cmdFakebin,
	"binfmt":      cmdBinfmt,
	"filemode":    cmdFilemode,
	"pgserver":    cmdPgserver, // run the bundled PGlite server with node
	"holdport":    cmdHoldport,
	"holdfree":    cmdHoldfree,
	"nomodules":   cmdNomodules,
	"pgwire":      cmdPgwire, // raw and pgx Postgres clients
	"bgproc":      cmdBgproc,
}

// scriptConds are extra [conditions] for scripts, e.g. [realnode]. Besides testscript's own
// ([windows], [linux], [exec:PROG], ...):
//
//	[wine]  this is a windows test binary running under Wine (.ci/wine/test.sh). A script that
//	        needs something Wine cannot run (Node 24's node.exe crashes at start under Wine 8)
//	        skips with `[wine] skip 'REASON'`: a named condition, never a missing-tool skip, so
//	        the reason is in the script and a missing tool elsewhere is still noticed.
var scriptConds = map[string]func() bool{
	"wine":         underWine,
	"pgliteapp":    pgliteApp,
	"realnode":     realNode,
	"realarchives": realArchives,
}

// scriptSetups run before each script, e.g. to export paths to fixtures.
var scriptSetups = []func(env *testscript.Env) error{setupFetch, setupBundle, setupSmoke, setupTauri}

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"nizepack": func() {
			os.Exit(cli.Main(context.Background(), cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:]))
		},
	})
}

// TestScripts runs testdata/script/*.txtar against the built CLI.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Cmds:                scriptCmds,
		RequireExplicitExec: true,
		Condition: func(cond string) (bool, error) {
			if c, ok := scriptConds[cond]; ok {
				return c(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("CI", "true") // plain progress lines, never a bar
			for _, s := range scriptSetups {
				if err := s(env); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
