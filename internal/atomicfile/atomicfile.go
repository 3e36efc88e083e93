// Package atomicfile writes files so that readers see either the old content or the new,
// never a partial one: a temp file in the same directory, fsync, then rename.
package atomicfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/nize/nizepack/internal/filehash"
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

// WriteIfChanged is Write that leaves path alone when it already is a regular file with that
// mode and exactly the bytes fill produces; fill then runs twice when the file changes (once to
// hash, once to write), so it must be repeatable. It reports whether it wrote.
func WriteIfChanged(path string, mode fs.FileMode, fill func(w io.Writer) error) (bool, error) {
	if same, err := sameContent(path, mode, fill); err != nil {
		return false, err
	} else if same {
		return false, nil
	}
	return true, Write(path, mode, fill)
}

func sameContent(path string, mode fs.FileMode, fill func(w io.Writer) error) (bool, error) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode().Perm() != mode.Perm()) {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	have := sha256.New()
	if _, err := io.Copy(have, f); err != nil {
		return false, nil
	}
	want := sha256.New()
	if err := fill(want); err != nil {
		return false, err
	}
	return bytes.Equal(have.Sum(nil), want.Sum(nil)), nil
}

// errChanged is a source whose bytes changed between hashing and copying.
var errChanged = errors.New("the file changed while it was copied")

// Copy makes dst a copy of src with exactly mode, atomically, unless dst already is a regular
// file with that mode and those bytes. It reports whether it wrote. A src that changes while
// it is copied aborts the copy before dst is touched.
func Copy(src, dst string, mode fs.FileMode) (wrote bool, err error) {
	want, _, err := filehash.SHA256(src)
	if err != nil {
		return false, err
	}
	if Holds(dst, mode, want) {
		return false, nil
	}
	in, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer in.Close()
	err = Write(dst, mode, func(w io.Writer) error {
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), in); err != nil {
			return err
		}
		if hex.EncodeToString(h.Sum(nil)) != want {
			return fmt.Errorf("%s: %w", src, errChanged)
		}
		return nil
	})
	return err == nil, err
}

// Holds reports whether path is a regular file with exactly mode (on systems with modes) and
// the given SHA-256.
func Holds(path string, mode fs.FileMode, sum string) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode().Perm() != mode.Perm()) {
		return false
	}
	got, _, err := filehash.SHA256(path)
	return err == nil && got == sum
}

// Leftovers lists the temp files that writes of path by killed processes left in its
// directory (".<name><digits>", or ".<name>.tmp<digits>" on Windows). Remove them only while
// holding a lock that keeps every live writer of path away.
func Leftovers(path string) []string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := "." + base
	var out []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || e.IsDir() {
			continue
		}
		rest = strings.TrimPrefix(rest, ".tmp")
		if rest != "" && strings.Trim(rest, "0123456789") == "" {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}
