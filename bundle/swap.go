package bundle

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
	crashForTest("carried")
	old := out + oldMarker + randomSuffix()
	if err := os.Rename(out, old); err != nil {
		return fmt.Errorf("moving the old bundle %s aside: %w", out, err)
	}
	crashForTest("aside") // between the renames: no output folder at all
	if err := os.Rename(tmp, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			return fmt.Errorf("moving the new bundle into %s: %w (and restoring the old one from %s: %v)", out, err, old, rerr)
		}
		return fmt.Errorf("moving the new bundle into %s: %w", out, err)
	}
	crashForTest("swapped")
	if err := os.RemoveAll(old); err != nil {
		rep.Warnf("could not remove the old bundle %s: %v", old, err)
	}
	return nil
}

// The names of swapIn's folders beside out: <out>.nizepack-old-<random> for the old output
// while it is moved aside, .<base>.nizepack-tmp-<random> for the new one while it is written.
const (
	oldMarker = ".nizepack-old-"
	tmpMarker = ".nizepack-tmp-"
)

// recoverSwap finishes what an interrupted run (killed, power lost) left beside out, before
// anything reads out. Killed between swapIn's two renames, a run leaves no out at all and the
// old output (the user's own files with it) in <out>.nizepack-old-*: that folder is renamed
// back, so out is exactly as it was before the interrupted run. Then every leftover old folder
// (the new output is in place, the user's files were carried into it) and every temp folder of
// an unfinished build is removed. One run at a time per output dir: a run that is still going
// would lose its temp folder.
func recoverSwap(out string, rep report.Reporter) error {
	parent, base := filepath.Dir(out), filepath.Base(out)
	entries, err := os.ReadDir(parent)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", parent, err)
	}
	var olds, tmps []string
	var newest string
	var newestTime int64
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() && strings.HasPrefix(name, base+oldMarker):
			olds = append(olds, filepath.Join(parent, name))
			if info, err := e.Info(); err == nil && (newest == "" || info.ModTime().UnixNano() > newestTime) {
				newest, newestTime = filepath.Join(parent, name), info.ModTime().UnixNano()
			}
		case e.IsDir() && strings.HasPrefix(name, "."+base+tmpMarker):
			tmps = append(tmps, filepath.Join(parent, name))
		}
	}
	if _, err := os.Lstat(out); os.IsNotExist(err) && newest != "" {
		if err := os.Rename(newest, out); err != nil {
			return fmt.Errorf("restoring %s from %s, left by an interrupted run: %w", out, newest, err)
		}
		rep.Warnf("restored %s from %s: an earlier run was interrupted while replacing it", out, filepath.Base(newest))
		// Several interrupted runs in a row with no out between them: keep the others for the
		// user to look at rather than guess.
		for _, o := range olds {
			if o != newest {
				rep.Warnf("left %s, another interrupted run's old output, in place; remove it when it holds nothing you need", o)
			}
		}
		olds = nil
	}
	for _, dir := range append(olds, tmps...) {
		if err := os.RemoveAll(dir); err != nil {
			rep.Warnf("could not remove %s, left by an interrupted run: %v", dir, err)
			continue
		}
		rep.Infof("removed %s, left by an interrupted run", dir)
	}
	return nil
}

// crashForTest kills this process at a named point of the swap when NIZEPACK_TEST_SWAP_CRASH
// names it: the tests' way to interrupt a run exactly there (a kill, so no deferred cleanup
// runs). Nothing else sets this variable.
func crashForTest(stage string) {
	if os.Getenv("NIZEPACK_TEST_SWAP_CRASH") != stage {
		return
	}
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill()
	}
	os.Exit(137) // not reached where Kill works
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
