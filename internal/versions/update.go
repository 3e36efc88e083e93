package versions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/nize/nizepack/internal/atomicfile"
	"github.com/nize/nizepack/internal/pins"
)

// newFileHeader starts a versions.env that `versions update` creates.
const newFileHeader = `# Pins for nizepack (https://github.com/nize/nizepack). Shell-sourceable KEY=VALUE lines;
# NIZEPACK_* environment variables and flags override them. Updated by ` + "`nizepack versions update`" + `.

`

const checksumComment = "SHA-256 of each Node.js artifact of NODE_VERSION, from its signed SHASUMS256.txt (nizepack versions update --pin-checksums)."

// FileChange is what UpdateFile did (or, with dryRun, would do) to a versions.env.
type FileChange struct {
	Path    string   `json:"path"`
	Created bool     `json:"created"`
	Changed bool     `json:"changed"`
	Keys    []string `json:"keys"` // the keys set: NODE_VERSION, then checksum pins in key order
}

// UpdateFile sets NODE_VERSION to the release in the versions.env at path, in place and
// atomically. Checksum pins (NODE_SHA256_*) the file already has are always refreshed, since
// pins of the old version would fail the new one; pinChecksums adds the missing ones. A missing
// file is created. With dryRun nothing is written.
func UpdateFile(path string, r *Release, pinChecksums, dryRun bool) (FileChange, error) {
	ch := FileChange{Path: path}
	data, err := os.ReadFile(path)
	mode := fs.FileMode(0o644)
	switch {
	case err == nil:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
		ch.Created = true
		data = []byte(newFileHeader)
	default:
		return ch, fmt.Errorf("reading %s: %w", path, err)
	}
	existing, err := pins.Parse(data, pins.Source(path))
	if err != nil {
		return ch, fmt.Errorf("reading %s: %w", path, err)
	}
	values := map[string]string{pins.NodeVersion: r.Version}
	add := []string{pins.NodeVersion}
	for k := range existing {
		if strings.HasPrefix(k, pins.NodeSHA256Prefix) {
			if sum, ok := r.Checksums[k]; ok {
				values[k] = sum
			} else {
				return ch, fmt.Errorf("%s pins %s, but the signed SHASUMS256.txt of Node v%s has no such artifact: remove that line", path, k, r.Version)
			}
		}
	}
	if pinChecksums {
		for _, k := range r.checksumKeys {
			values[k] = r.Checksums[k]
		}
		add = append(add, r.checksumKeys...)
	}
	comment := ""
	if pinChecksums && !hasPrefixKey(existing, pins.NodeSHA256Prefix) {
		comment = checksumComment
	}
	out, changed := rewriteVersion(data, values, add, comment)
	ch.Changed = changed || ch.Created
	for k := range values {
		if k != pins.NodeVersion {
			ch.Keys = append(ch.Keys, k)
		}
	}
	sort.Strings(ch.Keys)
	ch.Keys = append([]string{pins.NodeVersion}, ch.Keys...)
	if dryRun || !ch.Changed {
		return ch, nil
	}
	if err := atomicfile.WriteFile(path, out, mode); err != nil {
		return ch, fmt.Errorf("writing %s: %w", path, err)
	}
	return ch, nil
}

// rewriteVersion adds NODE_VERSION first and checksum pins (with their comment) after it.
func rewriteVersion(data []byte, values map[string]string, add []string, comment string) ([]byte, bool) {
	// NODE_VERSION on its own, so the checksum comment lands between it and the pins.
	out, _ := Rewrite(data, map[string]string{pins.NodeVersion: values[pins.NodeVersion]}, add[:1], "")
	out, _ = Rewrite(out, values, add[1:], comment)
	return out, string(out) != string(data)
}

func hasPrefixKey(m map[string]pins.Value, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
