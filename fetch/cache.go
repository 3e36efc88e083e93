package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"

	"github.com/nize/nizepack/internal/atomicfile"
	"github.com/nize/nizepack/report"
)

// cache is content-addressed by the archive's SHA-256, the way cmd/go's module cache is:
//
//	<root>/sha256/<archive sum>          an archive that matched the signed sums when stored
//	<root>/sha256/<archive sum>.partial  an interrupted download, resumed by the next run
//	<root>/sha256/<archive sum>.lock     cross-process lock for filling the entry
//	<root>/locks/out-<path hash>.lock    cross-process lock for writing one output file
//	<root>/sums/v<V>/                    the signed sums (re-verified on every use)
//
// Nothing in it is trusted on its own: an archive is hashed again while the binary is
// extracted from it, and the binary is installed only when that hash matches the signed sums
// (or the binary matches the caller's pin). Extracted binaries are not cached: a binary pin is
// the fast path, like go.sum.
type cache struct {
	root string
	rep  report.Reporter
}

// cacheFill says how to fill a missing entry.
type cacheFill struct {
	offline  bool
	label    string // the artifact's file name, for messages
	download func(ctx context.Context, partial *hashedFile) error
	// stream, when set, gets the bytes of a download that starts from nothing as they arrive,
	// and the download's verdict (nil: the whole archive matched its sum) once it ends; it
	// must read r to its end. A download that restarts ends r with errStreamBroken.
	stream func(r io.Reader, verdict <-chan error) error
}

// OfflineError names what an offline run (Options.Offline) could not find in the cache.
type OfflineError struct{ What, CacheDir string }

func (e *OfflineError) Error() string {
	return fmt.Sprintf("offline: %s is not in the cache %s", e.What, e.CacheDir)
}

// ChecksumError is a download whose bytes do not match the signed sums.
type ChecksumError struct{ File, Got, Want string }

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s has sha256 %s but the signed SHASUMS256.txt says %s: the mirror served corrupt or altered bytes; nothing was installed", e.File, e.Got, e.Want)
}

func (c *cache) archive(sum string) string { return filepath.Join(c.root, "sha256", sum) }

// ensureArchive makes sure the cache holds a file for the archive with sum, downloading it
// under the entry's lock when it is missing. The file is not trusted: the caller hashes it as
// it reads it. fromCache is false when this call downloaded it.
func (c *cache) ensureArchive(ctx context.Context, sum string, fill cacheFill) (fromCache bool, err error) {
	path := c.archive(sum)
	if isRegular(path) {
		return true, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, fmt.Errorf("creating the cache: %w", err)
	}
	unlock, err := c.lock(ctx, path+".lock", fill.label)
	if err != nil {
		return false, err
	}
	defer unlock()
	c.cleanEntry(sum)
	if isRegular(path) { // another process filled it while we waited
		return true, nil
	}
	if fill.offline {
		return false, &OfflineError{What: fill.label + " (sha256 " + sum + ")", CacheDir: filepath.Dir(c.root)}
	}
	return false, fetchArchive(ctx, path, sum, fill)
}

// evict drops a cached archive whose bytes no longer match its name.
func (c *cache) evict(ctx context.Context, sum, label string) error {
	path := c.archive(sum)
	unlock, err := c.lock(ctx, path+".lock", label)
	if err != nil {
		return err
	}
	defer unlock()
	return os.RemoveAll(path)
}

// cleanEntry removes what killed runs left of one entry; the caller holds its lock, so no live
// run is using any of it: an empty partial download (a 404 or a kill before the first byte), a
// directory or other non-file where a cache file should be, and the extracted binaries and temp
// files of the cache layout before binaries stopped being cached.
func (c *cache) cleanEntry(sum string) {
	path := c.archive(sum)
	for _, p := range []string{path, path + ".partial"} {
		if fi, err := os.Lstat(p); err == nil && (!fi.Mode().IsRegular() || (p != path && fi.Size() == 0)) {
			os.RemoveAll(p)
		}
	}
	legacy := filepath.Join(c.root, "bin", sum)
	old, _ := filepath.Glob(legacy + ".*.tmp")
	for _, p := range append(old, legacy, legacy+".sha256") {
		os.RemoveAll(p)
	}
}

// lockOutput serializes the runs that write one output file (they may use different archive
// entries) and removes the temp files that killed runs left beside it.
func (c *cache) lockOutput(ctx context.Context, out string) (func(), error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		abs = lowerASCII(abs) // case-insensitive file systems
	}
	h := sha256.Sum256([]byte(abs))
	dir := filepath.Join(c.root, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the cache: %w", err)
	}
	unlock, err := c.lock(ctx, filepath.Join(dir, "out-"+hex.EncodeToString(h[:12])+".lock"), out)
	if err != nil {
		return nil, err
	}
	for _, p := range atomicfile.Leftovers(out) {
		os.Remove(p)
	}
	return unlock, nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// lock takes a cross-process lock, giving up when ctx ends (Ctrl-C while another process
// downloads). A directory where the lock file should be is replaced.
func (c *cache) lock(ctx context.Context, path, what string) (func(), error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		os.RemoveAll(path)
	}
	type result struct {
		unlock func()
		err    error
	}
	ch := make(chan result, 1)
	go func() {
		u, err := lockedfile.MutexAt(path).Lock()
		ch <- result{u, err}
	}()
	notice := time.NewTimer(time.Second)
	defer notice.Stop()
	for {
		select {
		case r := <-ch:
			if r.err != nil {
				return nil, fmt.Errorf("locking the cache: %w", r.err)
			}
			return r.unlock, nil
		case <-notice.C:
			report.Or(c.rep).Infof("waiting for another nizepack run using %s", what)
		case <-ctx.Done():
			go func() { // release the lock if it is granted after we gave up
				if r := <-ch; r.err == nil {
					r.unlock()
				}
			}()
			return nil, ctx.Err()
		}
	}
}

// fetchArchive downloads into archive+".partial" (resuming what an interrupted run left),
// fsyncs, checks the sum and renames. A mismatch gets one fresh download before failing.
func fetchArchive(ctx context.Context, archive, want string, fill cacheFill) error {
	partial := archive + ".partial"
	for try := 0; ; try++ {
		f, err := openHashed(partial)
		if err != nil {
			return fmt.Errorf("writing to the cache: %w", diskErr(err, partial))
		}
		var verdict chan error
		var streamed chan struct{}
		if fill.stream != nil && try == 0 && f.n == 0 {
			pr, pw := io.Pipe()
			f.tee = pw
			verdict, streamed = make(chan error, 1), make(chan struct{})
			go func() {
				defer close(streamed)
				fill.stream(pr, verdict)
				io.Copy(io.Discard, pr)
			}()
		}
		err = fill.download(ctx, f)
		if err == nil {
			err = f.Sync()
		}
		got := f.sum()
		size, _ := f.Seek(0, 1)
		f.Close()
		if f.tee != nil {
			f.tee.CloseWithError(err) // nil: EOF
		}
		if verdict != nil {
			switch {
			case err != nil:
				verdict <- err
			case got != want:
				verdict <- &ChecksumError{File: fill.label, Got: got, Want: want}
			default:
				verdict <- nil
			}
			<-streamed
		}
		if err != nil {
			if size == 0 || isPermanentDownload(err) {
				os.Remove(partial) // nothing worth resuming
			}
			return err // else keep the partial file: the next run resumes it
		}
		if got == want {
			return os.Rename(partial, archive)
		}
		os.Remove(partial)
		if try == 1 {
			return &ChecksumError{File: fill.label, Got: got, Want: want}
		}
	}
}

func isRegular(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular()
}
