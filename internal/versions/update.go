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

const checksumComment = "SHA-256 of each Node.js artifact of NODE_VERSION, from its signed SHASUMS256.txt, and of the node binary in it (nizepack versions update --pin-checksums)."

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
	data, mode, existing, err := readEnvFile(path, &ch)
	if err != nil {
		return ch, err
	}
	values := map[string]string{pins.NodeVersion: r.Version}
	add := []string{pins.NodeVersion}
	for k := range existing {
		switch {
		case strings.HasPrefix(k, pins.NodeSHA256Prefix):
			if sum, ok := r.Checksums[k]; ok {
				values[k] = sum
			} else {
				return ch, fmt.Errorf("%s pins %s, but the signed SHASUMS256.txt of Node v%s has no such artifact: remove that line", path, k, r.Version)
			}
		case pins.IsBinaryKey(k):
			if sum, ok := r.Binaries[k]; ok {
				values[k] = sum
			} else {
				return ch, fmt.Errorf("%s pins %s, which is no platform nizepack derives a binary pin for: remove that line", path, k)
			}
		}
	}
	if pinChecksums {
		for _, k := range r.checksumKeys {
			values[k] = r.Checksums[k]
		}
		add = append(add, r.checksumKeys...)
		for _, k := range sortedKeys(r.Binaries) {
			values[k] = r.Binaries[k]
			add = append(add, k)
		}
	}
	comment := ""
	if pinChecksums && !hasKey(existing, isChecksumKey) && !hasKey(existing, pins.IsBinaryKey) {
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

// HasBinaryPins reports whether the versions.env at path has binary pins (NODE_BIN_SHA256_*,
// NODE_BIN_SHA256TREE_*), which
// UpdateFile refreshes, so the caller must derive Release.Binaries.
func HasBinaryPins(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	m, err := pins.Parse(data, pins.Source(path))
	return err == nil && hasKey(m, pins.IsBinaryKey)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// hasKey reports whether any key of m satisfies is.
func hasKey(m map[string]pins.Value, is func(key string) bool) bool {
	for k := range m {
		if is(k) {
			return true
		}
	}
	return false
}

func isChecksumKey(key string) bool { return strings.HasPrefix(key, pins.NodeSHA256Prefix) }

const binaryComment = "SHA-256 and SHA-256 tree hash of the node binary fetch-node installs for each platform, derived from its signature-verified archive (nizepack fetch-node --pin). A binary that matches its pins is trusted without the network; the tree hash is checked on every core at once."

// PinBinaries writes NODE_BIN_SHA256_<PLATFORM> and NODE_BIN_SHA256TREE_<PLATFORM> pins (key →
// sum, see pins.BinaryKey and pins.BinaryTreeKey) for Node
// version into the versions.env at path, in place and atomically, creating it (with
// NODE_VERSION) when missing. A file that pins another NODE_VERSION is refused: its pins would
// not apply to this version.
func PinBinaries(path, version string, sums map[string]string) (FileChange, error) {
	return PinRuntimeBinaries(path, pins.NodeKeys, version, sums)
}

// PinRuntimeBinaries is PinBinaries for the runtime whose pin keys k names (Node, Bun).
func PinRuntimeBinaries(path string, k pins.RuntimeKeys, version string, sums map[string]string) (FileChange, error) {
	ch := FileChange{Path: path}
	data, mode, existing, err := readEnvFile(path, &ch)
	if err != nil {
		return ch, err
	}
	values := map[string]string{}
	var add []string
	if v, ok := existing[k.Version]; ok {
		if exact, err := pins.ExactVersion(v.Value, path); err != nil || exact != version {
			return ch, &VersionMismatchError{Path: path, Key: k.Version, Pinned: v.Value, Fetched: version}
		}
	} else {
		values[k.Version] = version
		add = append(add, k.Version)
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		values[k] = sums[k]
	}
	comment := ""
	if !hasKey(existing, k.IsBinaryKey) {
		comment = binaryComment
		if k.Version != pins.NodeVersion {
			comment = fmt.Sprintf("SHA-256 of the %s binary nizepack installs for each platform (--pin): a binary that matches its pin is trusted without the network.", strings.ToLower(k.Name))
		}
	}
	out, _ := Rewrite(data, map[string]string{k.Version: values[k.Version]}, add, "")
	if len(add) == 0 {
		out = data
	}
	out, _ = Rewrite(out, values, keys, comment)
	ch.Changed = string(out) != string(data) || ch.Created
	ch.Keys = append(add, keys...)
	if !ch.Changed {
		return ch, nil
	}
	if err := atomicfile.WriteFile(path, out, mode); err != nil {
		return ch, fmt.Errorf("writing %s: %w", path, err)
	}
	return ch, nil
}

// VersionMismatchError is a versions.env that pins another Node version than the one whose
// binaries were to be pinned in it.
type VersionMismatchError struct{ Path, Key, Pinned, Fetched string }

func (e *VersionMismatchError) Error() string {
	key := e.Key
	if key == "" {
		key = pins.NodeVersion
	}
	return fmt.Sprintf("%s pins %s %s, not %s, so binary pins of %s would not apply there", e.Path, key, e.Pinned, e.Fetched, e.Fetched)
}

// readEnvFile reads the versions.env at path with its mode and pins; a missing one reads as a
// new file's header (ch.Created is set), to be created with mode 0644.
func readEnvFile(path string, ch *FileChange) (data []byte, mode fs.FileMode, existing map[string]pins.Value, err error) {
	mode = 0o644
	data, err = os.ReadFile(path)
	switch {
	case err == nil:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
		ch.Created = true
		data = []byte(newFileHeader)
	default:
		return nil, 0, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if existing, err = pins.Parse(data, pins.Source(path)); err != nil {
		return nil, 0, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, mode, existing, nil
}
