package nizepack_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nize/nizepack/internal/cli"
)

// scriptCmds are the extra testscript commands, all registered here; each is written in its
// area's script_*_test.go file.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exits":       cmdExits,       // exits N CMD ARGS...: run and expect exit code N
	"sigexits":    cmdSigExits,    // signal a running nizepack, expect its exit code within a second
	"nodemirror":  cmdNodeMirror,  // a signed official-layout Node mirror on loopback
	"nodemirrors": cmdNodeMirrors, // several releases, with index.json
	"bunmirror":   cmdBunMirror,   // Bun's release layout on loopback
	"copytree":    cmdCopytree,
	"fakebin":     cmdFakebin,
	"binfmt":      cmdBinfmt,
	"filemode":    cmdFilemode,
	"mtime":       cmdMtime,    // mtime PATH TIME: set a file's modification time (RFC 3339)
	"pgserver":    cmdPgserver, // run the bundled PGlite server with node
	"holdport":    cmdHoldport,
	"holdfree":    cmdHoldfree,
	"nomodules":   cmdNomodules,
	"pgwire":      cmdPgwire, // raw and pgx Postgres clients
	"bgproc":      cmdBgproc,
	"reseed":      cmdReseed,    // rewrite a PGlite seed's version record
	"seedfault":   cmdSeedFault, // damage a PGlite seed: truncate, unsafe, flip
	"runhint":     cmdRunhint,   // run a `nizepack ...` hint as printed
	"lsdir":       cmdLsdir,
	"sha256file":  cmdSHA256File, // sha256file FILE [OUT]: sets $SHA256 to the file's SHA-256
	"replace":     cmdReplace,    // replace REGEXP TEXT FILE: rewrite matching text in FILE
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
	"realnode":     realNode,
	"realarchives": realArchives,
}

// toolConds are the [conditions] for a tool or fixture a script needs, e.g. [!node] skip.
// Outside CI a missing one skips the script with its reason; under CI=true (the CI job, and
// .ci/run) evaluating one that is missing fails the script instead, so CI never passes on a
// suite that silently skipped. Scripts use these, never [!exec:PROG] (TestScriptSkips checks).
//
//	[node]       node is on PATH
//	[psql]       psql is on PATH
//	[pgliteapp]  testdata/app is installed (npm ci), see script_bundle_test.go
//	[realapp]    testdata/realapp is installed (npm ci at its root), see script_realapp_test.go
//	[bunapp]     testdata/bunapp and testdata/bunbin are installed (npm ci in each)
//	[taurideb]   cargo, dpkg, dpkg-deb and testdata/tauriapp (the Tauri CLI, npm ci), see script_tauribundle_test.go
var toolConds = map[string]func() bool{
	"node":      func() bool { return onPath("node") },
	"psql":      func() bool { return onPath("psql") },
	"pgliteapp": pgliteApp,
	"realapp":   realApp,
	"bunapp":    bunApp,
	"taurideb":  tauriDeb,
}

func onPath(prog string) bool {
	_, err := exec.LookPath(prog)
	return err == nil
}

// condition answers a script's [COND]: a tool condition first (failing under CI=true when
// the tool is missing), then the other extra conditions.
func condition(cond string) (bool, error) {
	if c, ok := toolConds[cond]; ok {
		if c() {
			return true, nil
		}
		if os.Getenv("CI") == "true" {
			return false, fmt.Errorf("[%s] is missing and CI=true: a script must not skip for a missing tool in CI; install it (see .ci/run)", cond)
		}
		return false, nil
	}
	if c, ok := scriptConds[cond]; ok {
		return c(), nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// scriptSetups run before each script, e.g. to export paths to fixtures.
var scriptSetups = []func(env *testscript.Env) error{setupFetch, setupBundle, setupSmoke, setupTauri, setupSeed, setupRealApp, setupBunApp, setupTauriBundle}

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
		Condition:           condition,
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

// Scripts skip for a missing tool only through toolConds, so that CI=true turns the skip into
// a failure: a [!exec:PROG] skip (testscript's own condition, which the harness cannot see)
// or a tool-like condition the harness does not know is refused here.
func TestScriptSkips(t *testing.T) {
	files, err := filepath.Glob("testdata/script/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	skip := regexp.MustCompile(`^((?:\[[^\]]+\]\s*)+)skip\b`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "-- ") {
				break // the archive's files
			}
			m := skip.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			if strings.Contains(m[1], "exec:") {
				t.Errorf("%s:%d: %s: skip for a missing tool with a harness condition ([!node], [!psql], [!pgliteapp]; add one to toolConds), which fails under CI=true", f, i+1, line)
			}
		}
	}
}

// Under CI=true a missing tool fails the script instead of skipping it.
func TestToolConditionFailsUnderCI(t *testing.T) {
	toolConds["nizepack-test-missing"] = func() bool { return false }
	defer delete(toolConds, "nizepack-test-missing")
	t.Setenv("CI", "true")
	if _, err := condition("nizepack-test-missing"); err == nil || !strings.Contains(err.Error(), "CI=true") {
		t.Errorf("under CI=true: err = %v", err)
	}
	t.Setenv("CI", "")
	if ok, err := condition("nizepack-test-missing"); ok || err != nil {
		t.Errorf("outside CI: %v, %v; want a plain false (skip)", ok, err)
	}
}
