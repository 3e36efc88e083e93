package tauri

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
	if _, err := FindDir(root); !errors.Is(err, ErrNoTauriDir) {
		t.Fatalf("empty tree: err = %v", err)
	}
	// Configs under skipped folders do not count.
	touch(t, filepath.Join(root, "node_modules/x/tauri.conf.json"))
	touch(t, filepath.Join(root, "target/release/tauri.conf.json"))
	touch(t, filepath.Join(root, ".git/tauri.conf.json"))
	want := filepath.Join(root, "crates/app/nize_desktop")
	touch(t, filepath.Join(want, "tauri.conf.json"))
	touch(t, filepath.Join(want, "tauri.macos.conf.json"))
	got, err := FindDir(root)
	if err != nil || got != want {
		t.Fatalf("FindDir = %q, %v; want %q", got, err, want)
	}
	touch(t, filepath.Join(root, "other/Tauri.toml"))
	var me *MultipleDirsError
	if _, err := FindDir(root); !errors.As(err, &me) || len(me.Dirs) != 2 {
		t.Fatalf("two dirs: err = %v", err)
	}
}

// From a subfolder of the app the Tauri dir is found by walking up to the repository root,
// and no further.
func TestFindTauriDirUp(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "repo", ".git"), 0o755)
	touch(t, filepath.Join(root, "repo", "crates", "app", "nize_desktop", "tauri.conf.json"))
	sub := filepath.Join(root, "repo", "packages", "nize-desktop", "scripts")
	os.MkdirAll(sub, 0o755)
	t.Chdir(sub)
	dir, from, err := FindDirUp(".")
	want := filepath.Join("..", "..", "..", "crates", "app", "nize_desktop")
	if err != nil || dir != want || from != filepath.Join("..", "..", "..") {
		t.Fatalf("FindDirUp = %q, %q, %v; want %q", dir, from, err, want)
	}
	// Outside a repository, or above its root: only the start is searched.
	touch(t, filepath.Join(root, "tauri.conf.json"))
	os.MkdirAll(filepath.Join(root, "norepo", "sub"), 0o755)
	t.Chdir(filepath.Join(root, "norepo", "sub"))
	if _, _, err := FindDirUp("."); !errors.Is(err, ErrNoTauriDir) {
		t.Errorf("outside a repository: err = %v", err)
	}
}
