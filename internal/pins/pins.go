// Package pins reads versions.env files: shell-sourceable KEY=VALUE pins, layered
// embedded < app files (which must agree) < NIZEPACK_* environment < flags, each value
// remembering where it came from.
package pins

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/semver"
)

// Source says which layer a pin came from.
type Source string

const (
	Embedded Source = "embedded"
	Env      Source = "environment"
	Flag     Source = "flag"
	// A file layer's Source is the file's path.
)

// Value is one pin and its origin.
type Value struct {
	Value  string
	Source Source
	Line   int // line in the file, for file sources
}

// Pins is the merged view of every layer.
type Pins struct {
	values map[string]Value
	// files keeps the embedded and file layers whole, to know which version their checksum
	// pins belong to.
	files map[Source]map[string]Value
	order []Source // the app files read, in order
}

// Known keys.
const (
	NodeVersion = "NODE_VERSION"
	NodeMirror  = "NODE_MIRROR"
	// NodeSidecarName is the node sidecar's name (binaries/<name> in bundle.externalBin).
	NodeSidecarName = "NODE_SIDECAR_NAME"
	// NodeSHA256Prefix starts per-artifact checksum pins, e.g. NODE_SHA256_LINUX_X64_TAR_XZ.
	NodeSHA256Prefix = "NODE_SHA256_"
	// NodeBinSHA256Prefix starts per-target pins of the installed node binary itself, e.g.
	// NODE_BIN_SHA256_LINUX_X86_64 (fetch-node --pin writes them).
	NodeBinSHA256Prefix = "NODE_BIN_SHA256_"
	// NodeBinTreePrefix starts the tree-hash pins of the same binaries (fetch.TreeSHA256), e.g.
	// NODE_BIN_SHA256TREE_LINUX_X86_64: checked on every core at once, the warm path's fast check.
	NodeBinTreePrefix = "NODE_BIN_SHA256TREE_"
	// EnvPrefix is prepended to a key to override it from the environment.
	EnvPrefix = "NIZEPACK_"
)

var (
	keyRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)
)

// Parse reads a versions.env. Blank lines and # comments are skipped; values may be quoted;
// a leading "export " is allowed so the file stays shell-sourceable.
func Parse(data []byte, source Source) (map[string]Value, error) {
	out := map[string]Value{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !keyRe.MatchString(key) {
			return nil, fmt.Errorf("%s:%d: expected KEY=VALUE, got %q", source, n, sc.Text())
		}
		val = strings.TrimSpace(val)
		if val != "" && (val[0] == '"' || val[0] == '\'') {
			end := strings.IndexByte(val[1:], val[0])
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: unterminated quote in %q", source, n, sc.Text())
			}
			val = val[1 : end+1]
		} else if i := strings.Index(val, " #"); i >= 0 {
			val = strings.TrimSpace(val[:i])
		}
		out[key] = Value{Value: val, Source: source, Line: n}
	}
	return out, sc.Err()
}

// File is one app pin file for LoadFiles.
type File struct {
	Path     string
	Optional bool // a missing file is skipped
}

// Load merges the embedded defaults, the app file (if path is non-empty and, when optional,
// exists) and NIZEPACK_* variables from environ.
func Load(embedded []byte, path string, optional bool, environ []string) (*Pins, error) {
	var files []File
	if path != "" {
		files = append(files, File{Path: path, Optional: optional})
	}
	return LoadFiles(embedded, files, environ)
}

// LoadFiles merges the embedded defaults, the app's pin files (in order; a missing optional
// one is skipped) and NIZEPACK_* variables from environ. A key two files pin to different
// values is a *ConflictError; one they pin alike keeps the first file as its source.
func LoadFiles(embedded []byte, files []File, environ []string) (*Pins, error) {
	p := &Pins{values: map[string]Value{}, files: map[Source]map[string]Value{}}
	base, err := Parse(embedded, Embedded)
	if err != nil {
		return nil, fmt.Errorf("parsing embedded versions.env: %w", err)
	}
	p.merge(base)
	p.files[Embedded] = base
	for _, f := range files {
		data, err := os.ReadFile(f.Path)
		switch {
		case err == nil:
		case f.Optional && os.IsNotExist(err):
			continue
		default:
			return nil, fmt.Errorf("reading pins: %w", err)
		}
		src := Source(f.Path)
		if _, dup := p.files[src]; dup {
			continue
		}
		file, err := Parse(data, src)
		if err != nil {
			return nil, err
		}
		for _, k := range sortedKeys(file) {
			v := file[k]
			if prev, ok := p.values[k]; ok && prev.Source != Embedded {
				if !sameValue(k, prev.Value, v.Value) {
					return nil, &ConflictError{Key: k, First: prev, Second: v}
				}
				continue
			}
			p.values[k] = v
		}
		p.files[src] = file
		p.order = append(p.order, src)
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) || v == "" {
			continue
		}
		key := strings.TrimPrefix(k, EnvPrefix)
		if _, known := p.values[key]; known || strings.HasPrefix(key, NodeSHA256Prefix) || IsBinaryKey(key) || strings.HasPrefix(key, BunKeys.Checksum) || BunKeys.IsBinaryKey(key) {
			p.values[key] = Value{Value: v, Source: Source("environment ($" + k + ")")}
		}
	}
	return p, nil
}

// ConflictError is a key two app pin files pin to different values.
type ConflictError struct {
	Key           string
	First, Second Value
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s:%d pins %s=%s but %s:%d pins %s: keep the pin in one file (remove it from one of them)",
		e.First.Source, e.First.Line, e.Key, e.First.Value, e.Second.Source, e.Second.Line, e.Second.Value)
}

// sameValue reports whether two pins of key agree: versions with or without "v", checksums in
// either case.
func sameValue(key, a, b string) bool {
	switch {
	case key == NodeVersion:
		return strings.TrimPrefix(a, "v") == strings.TrimPrefix(b, "v")
	case strings.HasPrefix(key, NodeSHA256Prefix), IsBinaryKey(key):
		return strings.EqualFold(a, b)
	}
	return a == b
}

func sortedKeys(m map[string]Value) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// InFiles returns the key's value in each app pin file that has it, in the files' order (the
// file layers only: whatever the environment or a flag set over them).
func (p *Pins) InFiles(key string) []Value {
	var out []Value
	for _, src := range p.order {
		if v, ok := p.files[src][key]; ok {
			out = append(out, v)
		}
	}
	return out
}

func (p *Pins) merge(m map[string]Value) {
	for k, v := range m {
		p.values[k] = v
	}
}

// Set overrides a key, e.g. from a flag.
func (p *Pins) Set(key, value string, source Source) {
	p.values[key] = Value{Value: value, Source: source}
}

// Get returns a pin and whether it is set.
func (p *Pins) Get(key string) (Value, bool) {
	v, ok := p.values[key]
	return v, ok
}

// Keys lists every key in sorted order.
func (p *Pins) Keys() []string {
	keys := make([]string, 0, len(p.values))
	for k := range p.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ErrNoNodeVersion means no layer pins NODE_VERSION.
var ErrNoNodeVersion = errors.New("no Node version pinned")

// NodeVersion returns the pinned Node version without its "v", refusing ranges.
func (p *Pins) NodeVersion() (string, error) {
	v, ok := p.values[NodeVersion]
	if !ok || v.Value == "" {
		return "", ErrNoNodeVersion
	}
	return ExactVersion(v.Value, string(v.Source))
}

// ExactVersion validates an exact semver such as "24.21.0" or "v24.21.0" and returns it without "v".
func ExactVersion(s, source string) (string, error) {
	sv := "v" + strings.TrimPrefix(strings.TrimSpace(s), "v")
	if !semver.IsValid(sv) || semver.Canonical(sv) != sv {
		return "", fmt.Errorf("Node version %q from %s is not an exact version: pin a full MAJOR.MINOR.PATCH such as 24.21.0", s, source)
	}
	return strings.TrimPrefix(sv, "v"), nil
}

// Major is the major version of an exact version such as "24.21.0" (0 when it is not one).
func Major(version string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(semver.Major("v"+strings.TrimPrefix(version, "v")), "v"))
	return n
}

// ChecksumKey is the pin name for one artifact file, e.g. "node-v24.21.0-linux-x64.tar.xz"
// → "NODE_SHA256_LINUX_X64_TAR_XZ" (version-free so the key survives `versions update`).
func ChecksumKey(version, file string) string {
	name := strings.TrimPrefix(file, "node-v"+version+"-")
	name = strings.TrimPrefix(name, "node-v"+version+".")
	up := strings.ToUpper(nonAlnum.ReplaceAllString(name, "_"))
	return NodeSHA256Prefix + up
}

// NodeChecksum returns the per-artifact SHA-256 pin for a file of Node version. A pin from the
// environment or a flag always applies; one from a versions.env applies when that file pins the
// same NODE_VERSION, so a pin for another version is never applied, whichever layer chose the
// version.
func (p *Pins) NodeChecksum(version, file string) (string, bool) {
	return p.pinFor(version, ChecksumKey(version, file))
}

func (p *Pins) pinFor(version, key string) (string, bool) {
	return p.pinOf(NodeKeys, version, key)
}

// pinOf is pinFor for the runtime whose version key k names.
func (p *Pins) pinOf(k RuntimeKeys, version, key string) (string, bool) {
	sum, ok := p.values[key]
	if !ok || sum.Value == "" {
		return "", false
	}
	if layer, isFile := p.files[sum.Source]; isFile {
		v, ok := layer[k.Version]
		if !ok {
			return "", false
		}
		if exact, err := ExactVersion(v.Value, string(v.Source)); err != nil || exact != version {
			return "", false
		}
	}
	return strings.ToLower(sum.Value), true
}

// BinaryKeySuffix is the part of a binary pin's key after NODE_BIN_SHA256_ for a platform name:
// "linux-x86_64" → "LINUX_X86_64".
func BinaryKeySuffix(platform string) string {
	return strings.ToUpper(nonAlnum.ReplaceAllString(platform, "_"))
}

// BinaryKey is the pin name of the node binary installed for a platform, e.g.
// "NODE_BIN_SHA256_LINUX_X86_64" (version-free, like ChecksumKey).
func BinaryKey(platform string) string { return NodeBinSHA256Prefix + BinaryKeySuffix(platform) }

// BinaryTreeKey is the tree-hash pin name of the node binary installed for a platform, e.g.
// "NODE_BIN_SHA256TREE_LINUX_X86_64".
func BinaryTreeKey(platform string) string { return NodeBinTreePrefix + BinaryKeySuffix(platform) }

// IsBinaryKey reports whether key is a binary pin of either kind.
func IsBinaryKey(key string) bool {
	return strings.HasPrefix(key, NodeBinSHA256Prefix) || strings.HasPrefix(key, NodeBinTreePrefix)
}

// NodeBinaryTree returns the tree-hash pin of a platform's binary, under NodeBinary's rule. It
// applies only beside a SHA-256 pin from the same layer (the same file, the environment), so
// overriding one of the pair never leaves the other vouching for another binary.
func (p *Pins) NodeBinaryTree(version, platform string) (string, bool) {
	sum, tree := p.values[BinaryKey(platform)], p.values[BinaryTreeKey(platform)]
	if sum.Source != tree.Source {
		return "", false
	}
	return p.pinFor(version, BinaryTreeKey(platform))
}

// NodeBinary returns the binary pin of a platform for Node version, under NodeChecksum's rule:
// a pin from a versions.env applies only when that file pins the same NODE_VERSION.
func (p *Pins) NodeBinary(version, platform string) (string, bool) {
	return p.pinFor(version, BinaryKey(platform))
}

// RuntimeKeys are the pin keys of one runtime: its version, mirror, per-artifact checksum pins
// and per-platform binary pins.
type RuntimeKeys struct {
	Name            string // "Node", "Bun"
	Version, Mirror string // e.g. NODE_VERSION, NODE_MIRROR
	// Checksum, Binary and BinaryTree start the per-artifact and per-platform pin keys;
	// BinaryTree is "" for a runtime without tree pins.
	Checksum, Binary, BinaryTree string
	// ArtifactPrefix is what the version's artifact files start with, left out of checksum
	// keys so they survive a version change: "node-v" (followed by the version).
	ArtifactPrefix string
}

// NodeKeys and BunKeys are the two runtimes' pin keys.
var (
	NodeKeys = RuntimeKeys{Name: "Node", Version: NodeVersion, Mirror: NodeMirror, Checksum: NodeSHA256Prefix, Binary: NodeBinSHA256Prefix, BinaryTree: NodeBinTreePrefix, ArtifactPrefix: "node-v"}
	BunKeys  = RuntimeKeys{Name: "Bun", Version: "BUN_VERSION", Mirror: "BUN_MIRROR", Checksum: "BUN_SHA256_", Binary: "BUN_BIN_SHA256_"}
)

// ErrNoBunVersion means no layer pins BUN_VERSION.
var ErrNoBunVersion = errors.New("no Bun version pinned")

// IsBinaryKey reports whether key is one of this runtime's binary pins.
func (k RuntimeKeys) IsBinaryKey(key string) bool {
	return strings.HasPrefix(key, k.Binary) || k.BinaryTree != "" && strings.HasPrefix(key, k.BinaryTree)
}

// BinaryKey is the binary pin of a platform, e.g. "BUN_BIN_SHA256_LINUX_X86_64".
func (k RuntimeKeys) BinaryKey(platform string) string { return k.Binary + BinaryKeySuffix(platform) }

// ChecksumKey is the pin of one artifact file, without the version: "bun-linux-x64.zip" →
// "BUN_SHA256_BUN_LINUX_X64_ZIP".
func (k RuntimeKeys) ChecksumKey(version, file string) string {
	if k.ArtifactPrefix != "" {
		file = strings.TrimPrefix(strings.TrimPrefix(file, k.ArtifactPrefix+version+"-"), k.ArtifactPrefix+version+".")
	}
	return k.Checksum + strings.ToUpper(nonAlnum.ReplaceAllString(file, "_"))
}

// Version returns the runtime's pinned version without its "v", refusing ranges.
func (p *Pins) Version(k RuntimeKeys) (string, error) {
	if k.Version == NodeVersion {
		return p.NodeVersion()
	}
	v, ok := p.values[k.Version]
	if !ok || v.Value == "" {
		return "", ErrNoBunVersion
	}
	exact, err := ExactVersion(v.Value, string(v.Source))
	if err != nil {
		return "", fmt.Errorf("%s", strings.Replace(err.Error(), "Node version", k.Name+" version", 1))
	}
	return exact, nil
}

// Binary returns the runtime's binary pin of a platform for version, under NodeBinary's rule.
func (p *Pins) Binary(k RuntimeKeys, version, platform string) (string, bool) {
	return p.pinOf(k, version, k.BinaryKey(platform))
}

// Checksum returns the runtime's artifact pin for a file of version, under NodeChecksum's rule.
func (p *Pins) Checksum(k RuntimeKeys, version, file string) (string, bool) {
	return p.pinOf(k, version, k.ChecksumKey(version, file))
}
