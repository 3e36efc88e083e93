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
	"strings"

	"github.com/rogpeppe/go-internal/lockedfile"

	"github.com/nize/nizepack/internal/atomicfile"
	"github.com/nize/nizepack/internal/filehash"
)

// cache is content-addressed by the archive's SHA-256, the way cmd/go's module cache is:
//
//	<root>/sha256/<archive sum>          the verified archive
//	<root>/sha256/<archive sum>.lock     cross-process lock for filling both entries
//	<root>/bin/<archive sum>             the node binary extracted from it, format-checked
//	<root>/bin/<archive sum>.sha256      the binary's own sum, checked on every use
type cache struct{ root string }

// cacheFill says how to fill a missing entry.
type cacheFill struct {
	offline  bool
	label    string // the artifact's file name, for messages
	download func(ctx context.Context, partial *hashedFile) error
	extract  func(ctx context.Context, archive string, w io.Writer) error
	check    func(path string) error
}

type cachedBinary struct {
	path, sum string
	size      int64
	fromCache bool
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

// binary returns the verified node binary extracted from the archive with archiveSum,
// downloading and extracting it under a cross-process lock when the cache lacks it.
func (c *cache) binary(ctx context.Context, archiveSum string, fill cacheFill) (cachedBinary, error) {
	archDir, binDir := filepath.Join(c.root, "sha256"), filepath.Join(c.root, "bin")
	for _, d := range []string{archDir, binDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return cachedBinary{}, fmt.Errorf("creating the cache: %w", err)
		}
	}
	bin := filepath.Join(binDir, archiveSum)
	if b, ok := recordedBinary(bin); ok {
		return b, nil
	}
	unlock, err := lockedfile.MutexAt(filepath.Join(archDir, archiveSum+".lock")).Lock()
	if err != nil {
		return cachedBinary{}, fmt.Errorf("locking the cache: %w", err)
	}
	defer unlock()
	if b, ok := recordedBinary(bin); ok { // another process filled it while we waited
		return b, nil
	}

	archive := filepath.Join(archDir, archiveSum)
	fromCache := true
	if got, _, err := filehash.SHA256(archive); err != nil || got != archiveSum {
		if fill.offline {
			return cachedBinary{}, &OfflineError{What: fill.label + " (sha256 " + archiveSum + ")", CacheDir: filepath.Dir(c.root)}
		}
		fromCache = false
		if err := fetchArchive(ctx, archive, archiveSum, fill); err != nil {
			return cachedBinary{}, err
		}
	}

	tmp, err := os.CreateTemp(binDir, archiveSum+".*.tmp")
	if err != nil {
		return cachedBinary{}, fmt.Errorf("writing to the cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	// No fsync: this entry is derived from the fsynced archive, and its bytes are checked
	// against the recorded sum on every use, so a torn write is re-extracted, never used.
	aw := newAsyncWriter(io.MultiWriter(tmp, h))
	err = fill.extract(ctx, archive, aw)
	if werr := aw.Close(); err == nil {
		err = werr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return cachedBinary{}, fmt.Errorf("extracting node from %s: %w", fill.label, err)
	}
	if err := fill.check(tmp.Name()); err != nil {
		return cachedBinary{}, err
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return cachedBinary{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := atomicfile.WriteFile(bin+".sha256", []byte(sum+"\n"), 0o644); err != nil {
		return cachedBinary{}, err
	}
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return cachedBinary{}, err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return cachedBinary{}, err
	}
	return cachedBinary{path: bin, sum: sum, size: fi.Size(), fromCache: fromCache}, nil
}

// fetchArchive downloads into archive+".partial" (resuming what an interrupted run left),
// fsyncs, checks the sum and renames. A mismatch gets one fresh download before failing.
func fetchArchive(ctx context.Context, archive, want string, fill cacheFill) error {
	partial := archive + ".partial"
	for try := 0; ; try++ {
		f, err := openHashed(partial)
		if err != nil {
			return fmt.Errorf("writing to the cache: %w", err)
		}
		err = fill.download(ctx, f)
		if err == nil {
			err = f.Sync()
		}
		got := f.sum()
		f.Close()
		if err != nil {
			return err // keep the partial file: the next run resumes it
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

// recordedSum is the sum recorded for the binary extracted from an archive, unverified.
func (c *cache) recordedSum(archiveSum string) (string, bool) {
	rec, err := os.ReadFile(filepath.Join(c.root, "bin", archiveSum+".sha256"))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(rec)), true
}

// recordedBinary returns a cached binary and its recorded sum without reading it: its bytes are
// verified against the sum while they are copied out (installCopy), in the same pass.
func recordedBinary(bin string) (cachedBinary, bool) {
	rec, err := os.ReadFile(bin + ".sha256")
	if err != nil {
		return cachedBinary{}, false
	}
	fi, err := os.Stat(bin)
	if err != nil || !fi.Mode().IsRegular() {
		return cachedBinary{}, false
	}
	return cachedBinary{path: bin, sum: strings.TrimSpace(string(rec)), size: fi.Size(), fromCache: true}, true
}

// evict drops a cached binary whose bytes no longer match its recorded sum.
func (c *cache) evict(archiveSum string) {
	bin := filepath.Join(c.root, "bin", archiveSum)
	os.Remove(bin + ".sha256")
	os.Remove(bin)
}

func isWindowsHost() bool { return runtime.GOOS == "windows" }
