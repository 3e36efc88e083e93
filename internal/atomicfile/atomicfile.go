// Package atomicfile writes files so that readers see either the old content or the new,
// never a partial one: a temp file in the same directory, fsync, then rename.
package atomicfile

import (
	"bytes"
	"io"
	"io/fs"
)

// Write creates or replaces path with what fill writes, with exactly the given mode.
// If fill fails, path is left as it was and no temp file remains.
func Write(path string, mode fs.FileMode, fill func(w io.Writer) error) error {
	return write(path, mode, fill)
}

// WriteFile is Write for bytes already in memory.
func WriteFile(path string, data []byte, mode fs.FileMode) error {
	return Write(path, mode, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}
