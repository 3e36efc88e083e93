package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/mholt/archives"
)

// HostileEntryError is an archive entry nizepack refuses to extract.
type HostileEntryError struct{ Entry, Reason string }

func (e *HostileEntryError) Error() string {
	return fmt.Sprintf("archive entry %q %s", e.Entry, e.Reason)
}

// extractVerified copies the entry want of the archive file at archivePath to w and returns
// the SHA-256 of the whole archive file, computed from the very bytes that were decompressed
// (tarballs are hashed as they stream; a zip is read into memory, hashed, then read), so a file
// that changes on disk can never pass one check and feed the other.
func extractVerified(ctx context.Context, archivePath string, kind Kind, want string, w io.Writer) (string, error) {
	if !isRegular(archivePath) {
		return "", fmt.Errorf("%s is not a regular file", archivePath)
	}
	f, err := os.Open(archivePath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	switch kind {
	case KindZip:
		data, err := io.ReadAll(io.LimitReader(f, maxArchive+1))
		if err != nil {
			return "", err
		}
		h.Write(data)
		if err := extractEntry(ctx, bytes.NewReader(data), kind, want, w); err != nil {
			return "", err
		}
	default:
		if err := extractEntry(ctx, io.TeeReader(f, h), kind, want, w); err != nil {
			return "", err
		}
		if _, err := io.Copy(h, f); err != nil { // the rest after the entry
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// maxArchive bounds what is read of a cached archive (Node archives are under 100 MB).
const maxArchive = 512 << 20

// extractEntry streams the archive in r and copies the one entry named want (e.g.
// "node-v24.21.0-linux-x64/bin/node") to w, stopping as soon as it is found. Entries whose
// names escape the archive's top folder are refused, and so is a want entry that is not a
// regular file (a symlink or hard link could point anywhere). A zip's r must be an
// io.ReaderAt and io.Seeker.
func extractEntry(ctx context.Context, r io.Reader, kind Kind, want string, w io.Writer) error {
	w = ctxWriter{ctx, w}
	if kind == KindExe {
		_, err := io.Copy(w, r)
		return err
	}

	top, _, _ := strings.Cut(want, "/")
	found := false
	handler := func(ctx context.Context, fi archives.FileInfo) error {
		name := strings.TrimPrefix(fi.NameInArchive, "./")
		clean := path.Clean(strings.ReplaceAll(name, `\`, "/"))
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || (len(clean) > 1 && clean[1] == ':') {
			return &HostileEntryError{Entry: fi.NameInArchive, Reason: fmt.Sprintf("escapes the archive's top folder %q", top)}
		}
		if clean != want {
			return nil
		}
		if !fi.Mode().IsRegular() || fi.LinkTarget != "" {
			return &HostileEntryError{Entry: fi.NameInArchive, Reason: "is a " + describeMode(fi) + ", not a regular file"}
		}
		rc, err := fi.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.Copy(w, rc); err != nil {
			return fmt.Errorf("decompressing %s: %w", want, err)
		}
		found = true
		return fs.SkipAll
	}

	var extract func() error
	switch kind {
	case KindTarXz:
		extract = func() error {
			return archives.CompressedArchive{Compression: archives.Xz{}, Extraction: archives.Tar{}}.Extract(ctx, r, handler)
		}
	case KindTarGz:
		extract = func() error {
			return archives.CompressedArchive{Compression: archives.Gz{Multithreaded: true}, Extraction: archives.Tar{}}.Extract(ctx, r, handler)
		}
	case KindZip:
		extract = func() error { return archives.Zip{}.Extract(ctx, r, handler) }
	default:
		return fmt.Errorf("unknown archive kind %q", kind)
	}
	if err := extract(); err != nil {
		var hostile *HostileEntryError
		if errors.As(err, &hostile) {
			return hostile // without the library's "handling file" prefix
		}
		return fmt.Errorf("reading the archive: %w", err)
	}
	if !found {
		return fmt.Errorf("the archive has no %s", want)
	}
	return nil
}

func describeMode(fi archives.FileInfo) string {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "symlink to " + fi.LinkTarget
	case fi.LinkTarget != "":
		return "hard link to " + fi.LinkTarget
	case fi.IsDir():
		return "directory"
	}
	return "special file (" + fi.Mode().String() + ")"
}

// ctxWriter stops a long copy (decompressing a 100 MB binary) as soon as ctx ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
