// Package tauri reads a Tauri v2 app's config the way the tauri CLI does (the base file plus
// the platform overlay merged with JSON Merge Patch, RFC 7396) and rewrites its
// bundle.externalBin, bundle.resources and build hooks in place, keeping the file's own
// formatting.
//
//	p, err := tauri.OpenDir("crates/app/nize_desktop")
//	changes, err := tauri.Plan(p, tauri.Options{ExternalBins: []string{"binaries/node"}})
//	written, err := tauri.Apply(ctx, changes) // only the files that change, atomically
package tauri

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tailscale/hujson"
)

// Format is the syntax of a config file.
type Format int

const (
	JSON  Format = iota // tauri.conf.json: strict JSON, as Tauri parses it
	JSON5               // tauri.conf.json5: read when it is JSON with comments and trailing commas
	TOML                // Tauri.toml: refused with a clear message
)

func (f Format) String() string {
	switch f {
	case JSON5:
		return "JSON5"
	case TOML:
		return "TOML"
	}
	return "JSON"
}

// platforms are the names Tauri uses for platform overlays (tauri.<platform>.conf.json).
var platforms = []string{"linux", "macos", "windows", "android", "ios"}

// PlatformName maps a GOOS to Tauri's overlay name: darwin is "macos".
func PlatformName(goos string) string {
	if goos == "darwin" {
		return "macos"
	}
	return goos
}

// File is one config file as read from disk.
type File struct {
	Path     string
	Platform string // "" for the base config, else linux, macos, windows, android or ios
	Format   Format
	Data     []byte
	Mode     fs.FileMode
}

// Project is a Tauri dir: its base config and the platform overlays beside it.
type Project struct {
	Dir      string
	Base     *File
	Overlays []*File // in the order linux, macos, windows, android, ios
}

// Overlay returns the overlay for a Tauri platform name, or nil.
func (p *Project) Overlay(platform string) *File {
	for _, f := range p.Overlays {
		if f.Platform == platform {
			return f
		}
	}
	return nil
}

// Files returns the base config followed by every overlay.
func (p *Project) Files() []*File { return append([]*File{p.Base}, p.Overlays...) }

// OpenDir reads the config of a Tauri dir (tauri.conf.json, .json5 or Tauri.toml, as the tauri
// CLI prefers them) and its platform overlays.
func OpenDir(dir string) (*Project, error) {
	path, err := ConfigFile(dir)
	if err != nil {
		return nil, err
	}
	return Open(path)
}

// Open reads the config file at path. When its name is one Tauri looks for (tauri.conf.json,
// tauri.conf.json5, Tauri.toml), the platform overlays beside it are read too; a file with any
// other name stands alone.
func Open(path string) (*Project, error) {
	base, err := readFile(path, "")
	if err != nil {
		return nil, err
	}
	p := &Project{Dir: filepath.Dir(path), Base: base}
	standard := false
	for _, n := range configNames {
		if filepath.Base(path) == n {
			standard = true
		}
	}
	if !standard {
		return p, nil
	}
	for _, plat := range platforms {
		for _, name := range []string{"tauri." + plat + ".conf.json", "tauri." + plat + ".conf.json5", "Tauri." + plat + ".toml"} {
			op := filepath.Join(p.Dir, name)
			if _, err := os.Stat(op); err != nil {
				continue
			}
			f, err := readFile(op, plat)
			if err != nil {
				return nil, err
			}
			p.Overlays = append(p.Overlays, f)
			break
		}
	}
	return p, nil
}

func readFile(path, platform string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading Tauri config: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("reading Tauri config: %s is a directory; pass the config file itself", path)
	}
	if !st.Mode().IsRegular() {
		// A FIFO or a device would block the read or never end; Tauri reads a plain file.
		return nil, fmt.Errorf("reading Tauri config: %s is not a regular file (%s); a Tauri config is a plain file", path, fileKind(st.Mode()))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading Tauri config: %w", err)
	}
	f := &File{Path: path, Platform: platform, Data: data, Mode: st.Mode().Perm()}
	switch name := strings.ToLower(filepath.Base(path)); {
	case strings.HasSuffix(name, ".toml"):
		f.Format = TOML
	case strings.HasSuffix(name, ".json5"):
		f.Format = JSON5
	}
	return f, nil
}

// SyntaxError is a malformed config file, with the position of the problem.
type SyntaxError struct {
	Path         string
	Line, Column int
	Msg          string
	Hint         string
}

func (e *SyntaxError) Error() string {
	msg := fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// FormatError is a config in a syntax nizepack does not handle.
type FormatError struct {
	Path   string
	Format Format
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s is TOML, which nizepack does not read or edit; convert it to tauri.conf.json (same keys) or edit bundle.externalBin and bundle.resources in it by hand", e.Path)
}

// V1Error is a Tauri v1 config (bundle settings under tauri.bundle).
type V1Error struct{ Path string }

func (e *V1Error) Error() string {
	return fmt.Sprintf("%s is a Tauri v1 config (it has tauri.bundle)", e.Path)
}

// ErrNotObject means the top level of a config is not a JSON object.
var ErrNotObject = errors.New("the top level is not a JSON object")

// parse returns the format-preserving syntax tree of f, checking the syntax the way Tauri would.
func (f *File) parse() (hujson.Value, error) {
	switch f.Format {
	case TOML:
		return hujson.Value{}, &FormatError{Path: f.Path, Format: TOML}
	case JSON:
		// Tauri parses .json files as strict JSON: no comments, no trailing commas.
		var v any
		if err := json.Unmarshal(f.Data, &v); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				pos := int(se.Offset) - 1
				if strings.Contains(se.Error(), "unexpected end") || pos < 0 {
					pos = int(se.Offset)
				}
				line, col := lineColumn(f.Data, pos)
				return hujson.Value{}, &SyntaxError{Path: f.Path, Line: line, Column: col, Msg: se.Error(),
					Hint: "fix the JSON (Tauri reads it as strict JSON: no comments or trailing commas); the file was not changed"}
			}
			return hujson.Value{}, fmt.Errorf("reading %s: %w", f.Path, err)
		}
	}
	v, err := hujson.Parse(bytes.Clone(f.Data)) // the tree aliases its input; never let edits reach f.Data
	if err != nil {
		line, col, msg := splitHujsonError(err)
		return hujson.Value{}, &SyntaxError{Path: f.Path, Line: line, Column: col, Msg: msg,
			Hint: "nizepack reads JSON5 files written as JSON with comments and trailing commas (quoted keys, double-quoted strings); fix the syntax, the file was not changed"}
	}
	if _, ok := v.Value.(*hujson.Object); !ok {
		return hujson.Value{}, fmt.Errorf("reading %s: %w", f.Path, ErrNotObject)
	}
	return v, nil
}

// Value returns the config as plain JSON values (map[string]any at the top). It refuses a
// Tauri v1 config with a *V1Error.
func (f *File) Value() (map[string]any, error) {
	v, err := f.parse()
	if err != nil {
		return nil, err
	}
	v.Standardize()
	var m map[string]any
	if err := json.Unmarshal(v.Pack(), &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Path, err)
	}
	if isV1(m) {
		return nil, &V1Error{Path: f.Path}
	}
	return m, nil
}

func isV1(m map[string]any) bool {
	t, ok := m["tauri"].(map[string]any)
	if !ok {
		return false
	}
	_, ok = t["bundle"]
	return ok
}

// Merged is the config Tauri builds with for goos: the base merged with the platform overlay
// (if any) by JSON Merge Patch (RFC 7396), so an overlay's array replaces the base's.
func (p *Project) Merged(goos string) (map[string]any, error) {
	base, err := p.Base.Value()
	if err != nil {
		return nil, err
	}
	o := p.Overlay(PlatformName(goos))
	if o == nil {
		return base, nil
	}
	patch, err := o.Value()
	if err != nil {
		return nil, err
	}
	merged, _ := MergePatch(base, patch).(map[string]any)
	if merged == nil {
		merged = map[string]any{}
	}
	return merged, nil
}

// MergePatch applies an RFC 7396 JSON Merge Patch to target and returns the result; target is
// not modified.
func MergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	out := map[string]any{}
	if t, ok := target.(map[string]any); ok {
		for k, v := range t {
			out[k] = v
		}
	}
	for k, v := range p {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = MergePatch(out[k], v)
		}
	}
	return out
}

func lineColumn(b []byte, n int) (line, column int) {
	n = min(max(n, 0), len(b))
	line = 1 + bytes.Count(b[:n], []byte("\n"))
	column = 1 + n - (bytes.LastIndexByte(b[:n], '\n') + 1)
	return line, column
}

// splitHujsonError turns "hujson: line 3, column 5: msg" into its parts.
func splitHujsonError(err error) (line, col int, msg string) {
	s := strings.TrimPrefix(err.Error(), "hujson: ")
	if _, scanErr := fmt.Sscanf(s, "line %d, column %d:", &line, &col); scanErr == nil {
		if i := strings.Index(s, ": "); i >= 0 {
			return line, col, s[i+2:]
		}
	}
	return 1, 1, s
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}
