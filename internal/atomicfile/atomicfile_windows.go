//go:build windows

package atomicfile

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// renameio has no Windows support; os.Rename uses MoveFileEx with MOVEFILE_REPLACE_EXISTING,
// which replaces the destination in one step on the same volume.
func write(path string, mode fs.FileMode, fill func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(f.Name(), mode); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
