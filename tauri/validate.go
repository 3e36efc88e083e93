package tauri

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/tailscale/hujson"
)

// schemaJSON is the official Tauri v2 config schema (config.schema.json of @tauri-apps/cli
// 2.12.5, unchanged; testdata/tauri/config.schema.json is the same file).
//
//go:embed config.schema.json
var schemaJSON []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	const url = "https://schema.tauri.app/config/2"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
})

// SchemaError is a config that Tauri would refuse, or read differently from what an editor
// shows (a duplicated key), at the position of the offending key or value.
type SchemaError struct {
	Path         string
	Line, Column int
	Key          string // dotted path of the value, e.g. "bundle.externalBin"; "" for the top level
	Platform     string // the overlay merged in when the problem showed, "" for the base alone
	Msg          string // what is wrong and what Tauri expects
}

func (e *SchemaError) Error() string {
	key := e.Key
	if key == "" {
		key = "the config"
	}
	return fmt.Sprintf("%s:%d:%d: %s %s", e.Path, e.Line, e.Column, key, e.Msg)
}

// Validate checks the project as Tauri does before it builds: every file's bundle.externalBin
// and bundle.resources have the types Tauri reads, no key that nizepack reads or edits is
// duplicated, and the base config alone and merged with each overlay (RFC 7396, as Tauri merges
// them) validate against the official Tauri v2 config schema. Every problem is a *SchemaError
// (several are joined).
func (p *Project) Validate() error {
	for _, f := range p.Files() {
		if err := f.checkShape(f.Platform == ""); err != nil {
			return err
		}
	}
	return validateMerged(p, nil)
}

// validateMerged checks the base alone and merged with each overlay against the schema. data
// replaces a file's bytes (a planned rewrite); positions are looked up in the file as it is on
// disk first, so they match what the user sees.
func validateMerged(p *Project, data map[*File][]byte) error {
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("compiling the embedded Tauri config schema: %w", err)
	}
	value := func(f *File) (map[string]any, error) {
		if b, ok := data[f]; ok {
			return (&File{Path: f.Path, Platform: f.Platform, Format: f.Format, Data: b}).Value()
		}
		return f.Value()
	}
	base, err := value(p.Base)
	if err != nil {
		return err
	}
	type run struct {
		overlay *File
		config  map[string]any
	}
	runs := []run{{nil, base}}
	for _, o := range p.Overlays {
		patch, err := value(o)
		if err != nil {
			return err
		}
		merged, _ := MergePatch(base, patch).(map[string]any)
		runs = append(runs, run{o, merged})
	}
	var errs []error
	seen := map[string]bool{}
	for _, r := range runs {
		for _, e := range schemaProblems(sch, r.config) {
			f := p.Base
			if r.overlay != nil && (hasPointer(r.overlay, data, e.ptr) || !hasPointer(p.Base, data, e.ptr)) {
				f = r.overlay
			}
			line, col := position(f, data, e.ptr)
			se := &SchemaError{Path: f.Path, Line: line, Column: col, Key: strings.Join(e.ptr, "."), Msg: e.msg}
			if r.overlay != nil {
				se.Platform = r.overlay.Platform
			}
			if k := se.Error(); !seen[k] {
				seen[k] = true
				errs = append(errs, se)
			}
		}
	}
	return errors.Join(errs...)
}

const unknownKey = "unknown key"

type schemaProblem struct {
	ptr []string
	msg string
}

// schemaProblems validates v and returns the most specific problems: for each failing value
// the errors at the deepest location (an anyOf reports its branches' errors, all at one place).
func schemaProblems(sch *jsonschema.Schema, v map[string]any) []schemaProblem {
	b, err := json.Marshal(v)
	if err != nil {
		return []schemaProblem{{msg: err.Error()}}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return []schemaProblem{{msg: err.Error()}}
	}
	err = sch.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			return []schemaProblem{{msg: err.Error()}}
		}
		return nil
	}
	// Leaves of the error tree, grouped by instance location; keep the deepest locations.
	byLoc := map[string][]string{}
	var locs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
				for _, name := range ap.Properties { // point at each unknown key
					loc := strings.Join(append(append([]string(nil), e.InstanceLocation...), name), "\x00")
					if _, ok := byLoc[loc]; !ok {
						locs = append(locs, loc)
					}
					byLoc[loc] = append(byLoc[loc], unknownKey)
				}
				return
			}
			loc := strings.Join(e.InstanceLocation, "\x00")
			if _, ok := byLoc[loc]; !ok {
				locs = append(locs, loc)
			}
			switch k := e.ErrorKind.(type) {
			case *kind.Const:
				byLoc[loc] = append(byLoc[loc], "one of "+jsonText(k.Want))
				return
			case *kind.Enum:
				for _, w := range k.Want {
					byLoc[loc] = append(byLoc[loc], "one of "+jsonText(w))
				}
				return
			}
			msg := e.Error()
			if out := e.BasicOutput(); out != nil {
				for _, u := range out.Errors {
					if u.Error != nil {
						msg = u.Error.String()
					}
				}
				if out.Error != nil {
					msg = out.Error.String()
				}
			}
			byLoc[loc] = append(byLoc[loc], msg)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(locs)
	var out []schemaProblem
	for i, loc := range locs {
		// Leave out a location when a deeper one under it also failed (the deeper one says more).
		if i+1 < len(locs) && strings.HasPrefix(locs[i+1], loc) && (loc == "" || strings.HasPrefix(locs[i+1], loc+"\x00")) {
			continue
		}
		var ptr []string
		if loc != "" {
			ptr = strings.Split(loc, "\x00")
		}
		msgs := dedupeStrings(byLoc[loc])
		// The branches of an enum written as anyOf of consts: one "one of a, b, c".
		var consts, others []string
		for _, m := range msgs {
			if v, ok := strings.CutPrefix(m, "one of "); ok {
				consts = append(consts, v)
			} else {
				others = append(others, m)
			}
		}
		if len(consts) > 0 {
			others = append(others, "a value of "+strings.Join(consts, ", "))
		}
		msg := "does not match the Tauri v2 config schema: " + strings.Join(others, ", or ")
		if len(others) == 1 && others[0] == unknownKey {
			msg = "is not a key of the Tauri v2 config (misspelt?); the official schema allows no other keys here"
		}
		out = append(out, schemaProblem{ptr: ptr, msg: msg})
	}
	return out
}

func dedupeStrings(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// lookup finds the member (or element) at ptr in a parsed config and returns the offset of its
// key (of the value, for array elements) and how many segments were found.
func lookup(v hujson.Value, ptr []string) (offset, found int) {
	offset = v.StartOffset
	cur := v
	for i, seg := range ptr {
		switch c := cur.Value.(type) {
		case *hujson.Object:
			idx := -1
			for j := range c.Members {
				if lit, ok := c.Members[j].Name.Value.(hujson.Literal); ok && lit.String() == seg {
					idx = j // the last one wins, as JSON readers do
				}
			}
			if idx < 0 {
				return offset, i
			}
			offset = c.Members[idx].Name.StartOffset
			cur = c.Members[idx].Value
		case *hujson.Array:
			var n int
			if _, err := fmt.Sscanf(seg, "%d", &n); err != nil || n < 0 || n >= len(c.Elements) {
				return offset, i
			}
			cur = c.Elements[n]
			offset = cur.StartOffset
		default:
			return offset, i
		}
	}
	return offset, len(ptr)
}

// find looks ptr up in b: the offset of its deepest part present, and whether all of it is.
func find(b []byte, ptr []string) (off int, all, ok bool) {
	v, err := hujson.Parse(bytes.Clone(b))
	if err != nil {
		return 0, false, false
	}
	off, n := lookup(v, ptr)
	return off, n == len(ptr), true
}

// hasPointer reports whether f (as on disk, or as planned in data) sets ptr.
func hasPointer(f *File, data map[*File][]byte, ptr []string) bool {
	if _, all, _ := find(f.Data, ptr); all {
		return true
	}
	if b, ok := data[f]; ok {
		_, all, _ := find(b, ptr)
		return all
	}
	return false
}

// position is the line and column of ptr (or of its deepest part present) in f as the user
// sees it on disk; a part only a planned rewrite adds is placed in the rewritten text.
func position(f *File, data map[*File][]byte, ptr []string) (int, int) {
	off, all, ok := find(f.Data, ptr)
	if !all {
		if b, planned := data[f]; planned {
			if noff, nall, _ := find(b, ptr); nall {
				return lineColumn(b, noff)
			}
		}
	}
	if !ok {
		return 1, 1
	}
	return lineColumn(f.Data, off)
}

// checkShape refuses what would make nizepack's edit differ from what Tauri reads: a
// duplicated key at the top level or in bundle (JSON readers use the last one, an edit would
// change the first), and bundle, bundle.externalBin or bundle.resources of a type Tauri does
// not read. The base's "bundle": null is left to the caller (tauri fills it in, the schema
// check reports it).
func (f *File) checkShape(isBase bool) error {
	v, err := f.parse()
	if err != nil {
		return err
	}
	root := v.Value.(*hujson.Object)
	at := func(off int, key, msg string) error {
		line, col := lineColumn(f.Data, off)
		return &SchemaError{Path: f.Path, Line: line, Column: col, Key: key, Msg: msg, Platform: f.Platform}
	}
	if err := duplicates(f.Data, root, "", at); err != nil {
		return err
	}
	_, bm := member(root, "bundle")
	if bm == nil {
		return nil
	}
	bundle, ok := bm.Value.Value.(*hujson.Object)
	if !ok {
		if isNull(bm.Value) {
			return nil
		}
		return at(bm.Name.StartOffset, "bundle", "is "+kindOf(bm.Value)+"; Tauri expects an object with the bundle settings")
	}
	if err := duplicates(f.Data, bundle, "bundle.", at); err != nil {
		return err
	}
	if _, eb := member(bundle, "externalBin"); eb != nil {
		switch val := eb.Value.Value.(type) {
		case *hujson.Array:
			for _, e := range val.Elements {
				if _, ok := stringOf(e); !ok {
					return at(e.StartOffset, "bundle.externalBin", "has "+kindOf(e)+" in it; Tauri expects a list of paths (strings), e.g. [\"binaries/node\"]")
				}
			}
		default:
			if !isNull(eb.Value) {
				return at(eb.Name.StartOffset, "bundle.externalBin", "is "+kindOf(eb.Value)+"; Tauri expects a list of paths, e.g. [\"binaries/node\"], or null")
			}
		}
	}
	if _, rm := member(bundle, "resources"); rm != nil {
		switch val := rm.Value.Value.(type) {
		case *hujson.Array:
			for _, e := range val.Elements {
				if _, ok := stringOf(e); !ok {
					return at(e.StartOffset, "bundle.resources", "has "+kindOf(e)+" in it; Tauri expects a list of paths or globs (strings)")
				}
			}
		case *hujson.Object:
			if err := duplicates(f.Data, val, "bundle.resources.", at); err != nil {
				return err
			}
			for _, m := range val.Members {
				if _, ok := stringOf(m.Value); !ok && (isBase || !isNull(m.Value)) { // an overlay's null removes the base's entry
					return at(m.Value.StartOffset, "bundle.resources", "maps "+m.Name.Value.(hujson.Literal).String()+" to "+kindOf(m.Value)+"; Tauri expects a map of source path to target path (strings)")
				}
			}
		default:
			if !isNull(rm.Value) {
				return at(rm.Name.StartOffset, "bundle.resources", "is "+kindOf(rm.Value)+"; Tauri expects a list of paths or globs, e.g. [\"resources/pglite/*\"], or a map of source to target")
			}
		}
	}
	return nil
}

// duplicates reports the second occurrence of a key in obj.
func duplicates(data []byte, obj *hujson.Object, prefix string, at func(int, string, string) error) error {
	first := map[string]int{}
	for _, m := range obj.Members {
		lit, ok := m.Name.Value.(hujson.Literal)
		if !ok {
			continue
		}
		name := lit.String()
		if off, dup := first[name]; dup {
			return at(m.Name.StartOffset, prefix+name, fmt.Sprintf("is a duplicate key (first at line %d); JSON readers, Tauri among them, use the last one: keep one", line(data, off)))
		}
		first[name] = m.Name.StartOffset
	}
	return nil
}

func line(data []byte, off int) int {
	l, _ := lineColumn(data, off)
	return l
}

// kindOf names a JSON value's type for a message: "a string", "a number", ...
func kindOf(v hujson.Value) string {
	switch c := v.Value.(type) {
	case *hujson.Object:
		return "an object"
	case *hujson.Array:
		return "a list"
	case hujson.Literal:
		switch c.Kind() {
		case '"':
			return "a string"
		case 'n':
			return "null"
		case 't', 'f':
			return "a boolean"
		default:
			return "a number"
		}
	}
	return "a value"
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Locate returns the line and column of the value at keys (e.g. "bundle", "externalBin") in the
// file as it is on disk, and whether the file sets it; when it does not, the position is that
// of the deepest part it sets.
func (f *File) Locate(keys ...string) (line, column int, found bool) {
	off, all, ok := find(f.Data, keys)
	if !ok {
		return 1, 1, false
	}
	line, column = lineColumn(f.Data, off)
	return line, column, all
}
