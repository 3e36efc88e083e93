// This file finds a Tauri app's dir and config the way the tauri CLI does.

package tauri

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// configNames are the files that mark a Tauri dir, in the order the tauri CLI prefers them.
var configNames = []string{"tauri.conf.json", "tauri.conf.json5", "Tauri.toml"}

// ErrNoTauriDir means no Tauri config exists under the searched root.
var ErrNoTauriDir = errors.New("no tauri.conf.json, tauri.conf.json5 or Tauri.toml found")

// MultipleDirsError lists several Tauri dirs when only one was expected.
type MultipleDirsError struct{ Dirs []string }

func (e *MultipleDirsError) Error() string {
	return fmt.Sprintf("found %d Tauri dirs (%s)", len(e.Dirs), strings.Join(e.Dirs, ", "))
}

// FindDir walks root for a Tauri config, skipping node_modules, target and dot-folders,
// and returns the one directory holding one. It returns ErrNoTauriDir or *MultipleDirsError.
func FindDir(root string) (string, error) {
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			return nil // unreadable subfolders are not ours to report
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "node_modules" || name == "target" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		for _, c := range configNames {
			if d.Name() == c {
				found = append(found, filepath.Dir(path))
				break
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("searching %s for a Tauri config: %w", root, err)
	}
	found = dedupe(found)
	switch len(found) {
	case 0:
		return "", ErrNoTauriDir
	case 1:
		return found[0], nil
	default:
		return "", &MultipleDirsError{Dirs: found}
	}
}

// ConfigFile returns the Tauri config file inside a Tauri dir.
func ConfigFile(dir string) (string, error) {
	for _, c := range configNames {
		p := filepath.Join(dir, c)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", dir, ErrNoTauriDir)
}

func dedupe(dirs []string) []string {
	sort.Strings(dirs)
	out := dirs[:0]
	for i, d := range dirs {
		if i == 0 || d != dirs[i-1] {
			out = append(out, d)
		}
	}
	return out
}

// RepoRoot returns the nearest of dir and its parents that holds .git (a repository's root),
// in the form dir was given (".", "..", "../.."), or "" when dir is in no repository.
func RepoRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	rel := dir
	for {
		if _, err := os.Lstat(filepath.Join(abs, ".git")); err == nil {
			return rel
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return ""
		}
		abs, rel = parent, filepath.Join(rel, "..")
	}
}

// FindDirUp is FindDir for start, and when start holds none, for each of its parents
// up to the root of the repository start is in (the nearest folder with .git), as tools that
// look for their config do: run from packages/nize-desktop it finds crates/app/nize_desktop.
// The first level with a Tauri dir under it answers. Without a repository only start is
// searched. It returns the Tauri dir (relative when start is) and the folder it was found
// from (start, or the parent that answered).
func FindDirUp(start string) (dir, from string, err error) {
	dir, err = FindDir(start)
	if !errors.Is(err, ErrNoTauriDir) {
		return dir, start, err
	}
	root := RepoRoot(start)
	if root == "" || filepath.Clean(root) == filepath.Clean(start) {
		return "", start, ErrNoTauriDir
	}
	for up := filepath.Join(start, ".."); ; up = filepath.Join(up, "..") {
		dir, err = FindDir(up)
		if !errors.Is(err, ErrNoTauriDir) || filepath.Clean(up) == filepath.Clean(root) {
			return dir, up, err
		}
	}
}
