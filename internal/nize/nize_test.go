package nize

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nize/nizepack/target"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLocate(t *testing.T) {
	wd := t.TempDir()
	entry, pkg := Locate(wd, "", "")
	if entry != "" || pkg != wd {
		t.Errorf("empty dir: entry %q pkg %q; want embedded entry and wd", entry, pkg)
	}
	writeTree(t, wd, map[string]string{"packages/nize-desktop/package.json": "{}"})
	if entry, pkg = Locate(wd, "", ""); entry != "" || pkg != filepath.Join(wd, "packages", "nize-desktop") {
		t.Errorf("app without entry: %q %q", entry, pkg)
	}
	writeTree(t, wd, map[string]string{AppEntry: "// app's own"})
	if entry, pkg = Locate(wd, "", ""); entry != filepath.Join(wd, filepath.FromSlash(AppEntry)) || pkg != filepath.Join(wd, "packages", "nize-desktop") {
		t.Errorf("app with entry: %q %q", entry, pkg)
	}
	writeTree(t, wd, map[string]string{"other/pkg/package.json": "{}", "other/pkg/src/s.mjs": ""})
	if entry, pkg = Locate(wd, "other/pkg/src/s.mjs", ""); entry != filepath.Join(wd, "other", "pkg", "src", "s.mjs") || pkg != filepath.Join(wd, "other", "pkg") {
		t.Errorf("--entry: %q %q, want the entry and its package", entry, pkg)
	}
	if _, pkg = Locate(wd, "other/pkg/src/s.mjs", "x"); pkg != filepath.Join(wd, "x") {
		t.Errorf("--package-dir: %q", pkg)
	}
}

func TestSeedNode(t *testing.T) {
	host, err := target.Host()
	if err != nil {
		t.Skip(err)
	}
	noPath := func(string) (string, error) { return "", errors.New("not found") }
	onPath := func(string) (string, error) { return "/usr/bin/node", nil }
	dir := t.TempDir()
	if node, _ := SeedNode(dir, noPath); node != "" {
		t.Errorf("nothing anywhere: %q", node)
	}
	if node, from := SeedNode(dir, onPath); node != "/usr/bin/node" || from != "node on PATH" {
		t.Errorf("PATH only: %q (%s)", node, from)
	}
	side := NodeSidecar(dir, host)
	writeTree(t, dir, map[string]string{BinariesDir + "/" + filepath.Base(side): "node"})
	if node, from := SeedNode(dir, onPath); node != side || from != "the host's fetched sidecar" {
		t.Errorf("with the fetched sidecar: %q (%s); want %s", node, from, side)
	}
	if node, _ := SeedNode("", onPath); node != "/usr/bin/node" {
		t.Errorf("no Tauri dir: %q", node)
	}
}
