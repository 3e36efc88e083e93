package bundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The canonical server's own unit tests (bundle/pglite-server/*.test.mjs) run with node --test,
// so go test covers them too. Without node they are skipped, except under CI=true, where a
// missing node fails (as the scripts' tool conditions do); under Wine they are skipped (no
// node.exe there).
func TestServerNodeTests(t *testing.T) {
	if underWine() {
		t.Skip("under Wine: no node.exe to run the server's node --test tests with")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH and CI=true: the server's node --test tests must run in CI")
		}
		t.Skip("node is not on PATH")
	}
	tests, err := filepath.Glob(filepath.Join(serverDir, "*.test.mjs"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no tests in %s: %v", serverDir, err)
	}
	out, err := exec.Command(node, append([]string{"--test"}, tests...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", strings.Join(tests, " "), err, out)
	}
}

// Every embedded module is bundled from the folder, tests are not, and the key covers the
// modules only.
func TestServerSources(t *testing.T) {
	names := serverSources()
	if len(names) == 0 || names[0] == "" {
		t.Fatal("no server sources embedded")
	}
	have := map[string]bool{}
	for _, n := range names {
		if strings.HasSuffix(n, ".test.mjs") {
			t.Errorf("%s is a test, not a source", n)
		}
		have[n] = true
	}
	if !have[serverEntry] {
		t.Errorf("the entry %s is not among %v", serverEntry, names)
	}
	if !readsSeeds(canonicalServer) {
		t.Error("the entry does not declare the seed format")
	}
}
