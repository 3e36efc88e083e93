package bundle

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/nize/nizepack/report"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// What a run killed at each point of the swap leaves, and what the next run makes of it.
func TestRecoverSwap(t *testing.T) {
	t.Run("killed between the renames: the old output is restored", func(t *testing.T) {
		parent := t.TempDir()
		out := filepath.Join(parent, "pglite")
		old := out + oldMarker + "abc"
		tmp := filepath.Join(parent, ".pglite"+tmpMarker+"123")
		os.MkdirAll(old, 0o755)
		os.WriteFile(filepath.Join(old, ".gitkeep"), nil, 0o644)
		os.WriteFile(filepath.Join(old, "pglite-server.mjs"), []byte("old"), 0o644)
		os.MkdirAll(tmp, 0o755)
		os.WriteFile(filepath.Join(tmp, "pglite-server.mjs"), []byte("new"), 0o644)
		if err := recoverSwap(out, report.Nop{}); err != nil {
			t.Fatal(err)
		}
		if got := names(t, parent); len(got) != 1 || got[0] != "pglite" {
			t.Errorf("left %v, want only pglite", got)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "pglite-server.mjs")); string(b) != "old" {
			t.Errorf("server = %q, want the old one back", b)
		}
		if _, err := os.Stat(filepath.Join(out, ".gitkeep")); err != nil {
			t.Errorf("the user's .gitkeep: %v", err)
		}
	})
	t.Run("killed after the swap: the old output is removed", func(t *testing.T) {
		parent := t.TempDir()
		out := filepath.Join(parent, "pglite")
		os.MkdirAll(out, 0o755)
		os.WriteFile(filepath.Join(out, "pglite-server.mjs"), []byte("new"), 0o644)
		os.MkdirAll(out+oldMarker+"abc", 0o755)
		os.MkdirAll(filepath.Join(parent, "other"), 0o755) // not ours
		if err := recoverSwap(out, report.Nop{}); err != nil {
			t.Fatal(err)
		}
		if got := names(t, parent); len(got) != 2 || got[0] != "other" || got[1] != "pglite" {
			t.Errorf("left %v", got)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "pglite-server.mjs")); string(b) != "new" {
			t.Errorf("server = %q", b)
		}
	})
	t.Run("nothing to do", func(t *testing.T) {
		parent := t.TempDir()
		if err := recoverSwap(filepath.Join(parent, "missing", "pglite"), report.Nop{}); err != nil {
			t.Fatal(err)
		}
	})
}
