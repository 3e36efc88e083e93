//go:build windows

package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
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
	return rename(f.Name(), path)
}

// rename retries os.Rename for a while when the destination is open elsewhere: Windows refuses
// to replace a file another process (or goroutine) is reading, with "Access denied" or a
// sharing violation, until that reader closes it (as cmd/go's robustio does).
func rename(from, to string) error {
	const errSharingViolation syscall.Errno = 32 // ERROR_SHARING_VIOLATION
	deadline := time.Now().Add(2 * time.Second)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := os.Rename(from, to)
		if err == nil || !(errors.Is(err, syscall.ERROR_ACCESS_DENIED) || errors.Is(err, errSharingViolation)) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
	}
}
