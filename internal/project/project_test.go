package project

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindTauriDir(t *testing.T) {
	root := t.TempDir()
	if _, err := FindTauriDir(root); !errors.Is(err, ErrNoTauriDir) {
		t.Fatalf("empty tree: err = %v", err)
	}
	// Configs under skipped folders do not count.
	touch(t, filepath.Join(root, "node_modules/x/tauri.conf.json"))
	touch(t, filepath.Join(root, "target/release/tauri.conf.json"))
	touch(t, filepath.Join(root, ".git/tauri.conf.json"))
	want := filepath.Join(root, "crates/app/nize_desktop")
	touch(t, filepath.Join(want, "tauri.conf.json"))
	touch(t, filepath.Join(want, "tauri.macos.conf.json"))
	got, err := FindTauriDir(root)
	if err != nil || got != want {
		t.Fatalf("FindTauriDir = %q, %v; want %q", got, err, want)
	}
	touch(t, filepath.Join(root, "other/Tauri.toml"))
	var me *MultipleError
	if _, err := FindTauriDir(root); !errors.As(err, &me) || len(me.Dirs) != 2 {
		t.Fatalf("two dirs: err = %v", err)
	}
}
