package nize

import (
	"os"
	"path/filepath"
	"testing"
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
