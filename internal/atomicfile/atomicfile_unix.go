//go:build !windows

package atomicfile

import (
	"io"
	"io/fs"
	"path/filepath"

	"github.com/google/renameio/v2"
)

func write(path string, mode fs.FileMode, fill func(w io.Writer) error) error {
	// The temp file goes in the destination's own directory (not $TMPDIR), as cmd/go does.
	f, err := renameio.NewPendingFile(path, renameio.WithStaticPermissions(mode), renameio.WithTempDir(filepath.Dir(path)))
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if err := fill(f); err != nil {
		return err
	}
	return f.CloseAtomicallyReplace()
}
