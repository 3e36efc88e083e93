//go:build !windows

package atomicfile

import (
	"io"
	"io/fs"

	"github.com/google/renameio/v2"
)

func write(path string, mode fs.FileMode, fill func(w io.Writer) error) error {
	f, err := renameio.NewPendingFile(path, renameio.WithStaticPermissions(mode))
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if err := fill(f); err != nil {
		return err
	}
	return f.CloseAtomicallyReplace()
}
