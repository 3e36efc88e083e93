package nizepack_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nize/nizepack/internal/cli"
)

// scriptCmds are extra testscript commands (mirrors, fake binaries, ...). Each area's test
// file adds its own from init, so the harness stays one small file.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

// scriptConds are extra [conditions] for scripts, e.g. [realnode]. Besides testscript's own
// ([windows], [linux], [exec:PROG], ...):
//
//	[wine]  this is a windows test binary running under Wine (.ci/wine/test.sh). A script that
//	        needs something Wine cannot run (Node 24's node.exe crashes at start under Wine 8)
//	        skips with `[wine] skip 'REASON'`: a named condition, never a missing-tool skip, so
//	        the reason is in the script and a missing tool elsewhere is still noticed.
var scriptConds = map[string]func() bool{
	"wine": underWine,
}

// scriptSetups run before each script, e.g. to export paths to fixtures.
var scriptSetups []func(env *testscript.Env) error

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"nizepack": func() {
			ctx, stop := cli.SignalContext(context.Background())
			code := cli.Main(ctx, cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:])
			stop()
			os.Exit(code)
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
