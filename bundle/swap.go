package bundle

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nize/nizepack/report"
)

// swapIn makes the fully written dir tmp become out. Entries of out that nizepack did not write
// (not in ours, not the manifest, not produced again) are carried into the new dir first as hard
// links (or copies), so they stay exactly as they were; files an earlier bundle wrote and this
// one does not produce disappear with the old dir. The old dir is renamed aside, the new one
// renamed in, and the old one removed; if the second rename fails the old dir is put back.
func swapIn(tmp, out string, ours map[string]bool, rep report.Reporter) error {
	entries, err := os.ReadDir(out)
	if os.IsNotExist(err) {
		if err := os.Rename(tmp, out); err != nil {
			return fmt.Errorf("moving the new bundle into %s: %w", out, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", out, err)
	}
	for _, e := range entries {
		name := e.Name()
		if ours[name] || name == ManifestFile {
			continue
		}
		dst := filepath.Join(tmp, name)
		if _, err := os.Lstat(dst); err == nil {
			rep.Warnf("replacing %s, which an earlier nizepack run did not write", filepath.Join(out, name))
			continue
		}
		if err := carry(filepath.Join(out, name), dst); err != nil {
			return fmt.Errorf("keeping %s (not written by nizepack) in the new bundle: %w", filepath.Join(out, name), err)
		}
	}
	old := out + ".nizepack-old-" + randomSuffix()
	if err := os.Rename(out, old); err != nil {
		return fmt.Errorf("moving the old bundle %s aside: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			return fmt.Errorf("moving the new bundle into %s: %w (and restoring the old one from %s: %v)", out, err, old, rerr)
		}
		return fmt.Errorf("moving the new bundle into %s: %w", out, err)
	}
	if err := os.RemoveAll(old); err != nil {
		rep.Warnf("could not remove the old bundle %s: %v", old, err)
	}
	return nil
}

// carry recreates src at dst without changing src: hard links for files (a copy keeping mode
// and times where links are not possible), the same target for symlinks, and dirs recursively.
func carry(src, dst string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case st.IsDir():
		if err := os.Mkdir(dst, st.Mode().Perm()); err != nil {
			return err
		}
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := carry(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
		if err := os.Chmod(dst, st.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(dst, st.ModTime(), st.ModTime())
	case st.Mode().IsRegular():
		if err := os.Link(src, dst); err == nil {
			return nil
		}
		if _, err := copyFile(src, dst); err != nil {
			return err
		}
		if err := os.Chmod(dst, st.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(dst, st.ModTime(), st.ModTime())
	default:
		return fmt.Errorf("%s is neither a file, a directory nor a symlink", src)
	}
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
