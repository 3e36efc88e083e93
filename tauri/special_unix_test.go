//go:build unix

package tauri

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A config that is a named pipe is refused at once instead of blocking on the read.
func TestFIFORefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tauri.conf.json")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := Open(p); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is not a regular file (a named pipe)") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open blocked on a FIFO")
	}
	// An overlay that is a FIFO too.
	os.Remove(p)
	os.WriteFile(p, []byte(`{"identifier": "x"}`), 0o644)
	syscall.Mkfifo(filepath.Join(dir, "tauri.linux.conf.json"), 0o644)
	go func() { _, err := Open(p); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "tauri.linux.conf.json is not a regular file") {
			t.Errorf("overlay: err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open blocked on a FIFO overlay")
	}
}

// A symlinked config is edited through the link: the link stays, the target changes.
func TestSymlinkEditedThroughLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "shared", "tauri.conf.json")
	os.MkdirAll(filepath.Dir(real), 0o755)
	os.WriteFile(real, []byte(`{"identifier": "x", "bundle": {"externalBin": []}}`), 0o600)
	app := filepath.Join(dir, "app")
	os.MkdirAll(app, 0o755)
	link := filepath.Join(app, "tauri.conf.json")
	if err := os.Symlink("../shared/tauri.conf.json", link); err != nil {
		t.Fatal(err)
	}
	p, err := OpenDir(app)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := Plan(p, migration())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(link)
	if err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st.Mode(), err)
	}
	b, _ := os.ReadFile(real)
	if !strings.Contains(string(b), `"binaries/node"`) {
		t.Errorf("target not rewritten: %s", b)
	}
	if st, _ := os.Stat(real); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", st.Mode().Perm())
	}
}
