package bundle

import (
	"encoding/json"
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

// The Go/JS contract in one place (pglite-server/contract.json), checked on the Go side: the
// names bundle writes beside the bundle and the seed format it makes are the ones the server
// reads (contract.test.mjs checks the JS side).
func TestServerContract(t *testing.T) {
	var c struct {
		SeedFile, SeedMeta, ManifestFile, PglitePackage string
		SeedFormat                                      int
	}
	if err := json.Unmarshal(mustReadServer("contract.json"), &c); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ what, got, want string }{
		{"SeedFile", SeedFile, c.SeedFile},
		{"SeedMetaFile", SeedMetaFile, c.SeedMeta},
		{"ManifestFile", ManifestFile, c.ManifestFile},
		{"PGlitePackage", PGlitePackage, c.PglitePackage},
	} {
		if p.got != p.want || p.want == "" {
			t.Errorf("%s = %q, the contract says %q", p.what, p.got, p.want)
		}
	}
	if seedFormat != c.SeedFormat || !readsSeeds(canonicalServer) {
		t.Errorf("seed format %d, the contract says %d; the entry reads it: %v", seedFormat, c.SeedFormat, readsSeeds(canonicalServer))
	}
}
