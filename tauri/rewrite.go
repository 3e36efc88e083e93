package tauri

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/diff"
	"github.com/tailscale/hujson"

	"github.com/nize/nizepack/internal/atomicfile"
)

// ResourceMove renames resources under From to the same path under To, e.g. resources/pg to
// resources/pglite. It matches whole path segments: resources/pg/x and resources/pg match,
// resources/pglite/x does not.
type ResourceMove struct{ From, To string }

// ParseResourceMove parses "FROM=TO".
func ParseResourceMove(s string) (ResourceMove, error) {
	if !utf8.ValidString(s) {
		return ResourceMove{}, fmt.Errorf("resource move %q is not valid UTF-8 (a Tauri config is UTF-8 JSON)", s)
	}
	from, to, ok := strings.Cut(s, "=")
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if !ok || cleanPath(from) == "" || cleanPath(to) == "" {
		return ResourceMove{}, fmt.Errorf("resource move %q is not FROM=TO (e.g. resources/pg=resources/pglite)", s)
	}
	return ResourceMove{From: from, To: to}, nil
}

// apply renames s when it lies under From. When To lies inside From (resources=resources/v2),
// a path already under To is left alone, so a second run changes nothing.
func (m ResourceMove) apply(s string) (string, bool) {
	from, to := cleanPath(m.From), cleanPath(m.To)
	prefix, rest := "", s
	if strings.HasPrefix(rest, "./") {
		prefix, rest = "./", rest[2:]
	}
	if from == "" || from == to {
		return s, false
	}
	if under(rest, to) && under(to, from) {
		return s, false
	}
	if under(rest, from) {
		return prefix + to + rest[len(from):], true
	}
	return s, false
}

// under reports whether the slash path p is dir or lies below it.
func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// renameTarget renames the target of a map-form resource whose source m moved, when the target
// names the moved folder by its own name: with resources/pg=resources/pglite, "pg/" becomes
// "pglite/", "pg" becomes "pglite" and "pg/sub/" becomes "pglite/sub/"; any other target (one the
// user chose for itself) stays.
func (m ResourceMove) renameTarget(s string) (string, bool) {
	oldName, newName := path.Base(cleanPath(m.From)), path.Base(cleanPath(m.To))
	if oldName == newName || oldName == "." || oldName == "/" {
		return s, false
	}
	prefix, rest := "", s
	if strings.HasPrefix(rest, "./") {
		prefix, rest = "./", rest[2:]
	}
	if under(rest, newName) && under(newName, oldName) {
		return s, false
	}
	if under(rest, oldName) {
		return prefix + newName + rest[len(oldName):], true
	}
	return s, false
}

func cleanPath(p string) string {
	p = strings.TrimPrefix(strings.TrimSpace(p), "./")
	return strings.TrimSuffix(p, "/")
}

// Options say what the rewrite does; the zero value does nothing.
type Options struct {
	// ExternalBins are ensured in bundle.externalBin: appended when missing, existing entries kept.
	ExternalBins []string
	// NormalizeExternalBins rewrites Windows-style bundle.externalBin entries in the base
	// config and every overlay as Tauri wants them (see NormalizeExternalBin); an entry that
	// then repeats another is dropped.
	NormalizeExternalBins bool
	// RenameExternalBins renames bundle.externalBin entries (old path → new) in the base config
	// and every overlay, keeping their place; an old entry whose new name is already listed is
	// dropped. (A sidecar renamed for the app: binaries/node → binaries/nize-node.)
	RenameExternalBins map[string]string
	// Resources rename bundle.resources entries, in list form and in map form (key and target).
	Resources []ResourceMove
	// Entitlements, when not "", makes a macOS build's entitlements grant every key of Grant:
	// the file the config names (bundle.macOS.entitlements, overlays merged), else this path
	// (relative to the Tauri dir), which the base config is then made to name. Other keys of
	// an existing file stay.
	Entitlements string
	Grant        []string
	// HookRewrites rewrite commands in the build hooks (build.beforeDevCommand,
	// beforeBuildCommand, beforeBundleCommand; the string form and the object form's "script")
	// of the base config and of every overlay, in order; the first that matches a command wins.
	HookRewrites []HookRewrite
}

func (o Options) move(s string) (string, bool) {
	ns, m := o.moveBy(s)
	return ns, m != nil
}

// moveBy renames s by the first move that applies to it and returns that move (nil: none).
func (o Options) moveBy(s string) (string, *ResourceMove) {
	for i, m := range o.Resources {
		if ns, ok := m.apply(s); ok {
			return ns, &o.Resources[i]
		}
	}
	return s, nil
}

// Validate checks the options themselves: every path must be valid UTF-8 and non-empty.
func (o Options) Validate() error {
	for _, b := range o.ExternalBins {
		if !utf8.ValidString(b) {
			return fmt.Errorf("externalBin entry %q is not valid UTF-8 (a Tauri config is UTF-8 JSON)", b)
		}
		if strings.TrimSpace(b) == "" {
			return fmt.Errorf("externalBin entry %q is empty", b)
		}
	}
	for _, m := range o.Resources {
		if _, err := ParseResourceMove(m.From + "=" + m.To); err != nil {
			return err
		}
	}
	for _, r := range o.HookRewrites {
		if _, err := r.compile(); err != nil {
			return err
		}
	}
	return nil
}

// Change is the planned rewrite of one config file.
type Change struct {
	File *File
	New  []byte
}

// Changed reports whether the file's bytes would change.
func (c Change) Changed() bool { return !bytes.Equal(c.File.Data, c.New) }

// Diff is a unified diff of the change (nil when there is none), with a/ and b/ path prefixes.
func (c Change) Diff() []byte {
	name := filepath.ToSlash(c.File.Path)
	return diff.Diff("a/"+name, c.File.Data, "b/"+name, c.New)
}

// Plan computes the rewrite of the base config and of every overlay (the bundle settings of an
// overlay that sets bundle.externalBin or bundle.resources, the build hooks of any). It writes nothing. A config Tauri would refuse is
// refused with a *SchemaError (or several, joined): a duplicated key, an externalBin or
// resources of the wrong type, or a result (base alone and merged with each overlay) that the
// official Tauri v2 config schema rejects. The base config always gets the
// external binaries (creating bundle.externalBin if needed); an overlay's arrays replace the
// base's when Tauri merges them, so an overlay's own externalBin gets them too.
func Plan(p *Project, opts Options) ([]Change, error) {
	var out []Change
	for _, f := range p.Files() {
		b, err := Rewrite(f, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, Change{File: f, New: b})
	}
	out, err := planEntitlements(p, out, opts)
	if err != nil {
		return nil, err
	}
	planned := map[*File][]byte{}
	for _, c := range out {
		planned[c.File] = c.New
	}
	if err := validateMerged(p, planned); err != nil {
		return nil, err
	}
	return out, nil
}

// Apply writes every changed file atomically, keeping its mode, and returns the paths written.
// A config that is a symlink is written through the link (the link stays a link).
func Apply(ctx context.Context, changes []Change) ([]string, error) {
	var written []string
	for _, c := range changes {
		if !c.Changed() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return written, err
		}
		// A symlinked config is edited through the link: the link stays, its target changes.
		dest, err := filepath.EvalSymlinks(c.File.Path)
		if errors.Is(err, fs.ErrNotExist) {
			dest, err = c.File.Path, nil // a new file (e.g. the entitlements plist)
		}
		if err != nil {
			return written, fmt.Errorf("writing %s: %w", c.File.Path, err)
		}
		if err := atomicfile.WriteFile(dest, c.New, c.File.Mode); err != nil {
			return written, fmt.Errorf("writing %s: %w", c.File.Path, err)
		}
		written = append(written, c.File.Path)
	}
	return written, nil
}

// Rewrite returns f's bytes with the migration applied; everything else is byte for byte the same.
func Rewrite(f *File, opts Options) ([]byte, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if _, err := f.Value(); err != nil { // syntax, format and Tauri v1 checks
		return nil, err
	}
	if err := f.checkShape(f.Platform == ""); err != nil { // duplicated keys, wrong types
		return nil, err
	}
	v, err := f.parse()
	if err != nil {
		return nil, err
	}
	if err := rewriteHooks(v, opts.HookRewrites); err != nil {
		return nil, err
	}
	root := v.Value.(*hujson.Object)
	st := detectStyle(f.Data)
	isBase := f.Platform == ""
	wantBins := len(opts.ExternalBins) > 0

	_, bm := member(root, "bundle")
	if bm == nil {
		if !isBase || !wantBins {
			return v.Pack(), nil
		}
		if err := appendMember(root, "bundle", map[string]any{"externalBin": opts.ExternalBins}, st, 0); err != nil {
			return nil, fmt.Errorf("rewriting %s: %w", f.Path, err)
		}
		return v.Pack(), nil
	}
	bundle, ok := bm.Value.Value.(*hujson.Object)
	if !ok {
		// The base's "bundle": null is Tauri's defaults: it gets the external binaries. An
		// overlay's "bundle": null drops the base's bundle settings for its platform on purpose.
		if isBase && wantBins && isNull(bm.Value) {
			if err := replaceValue(&bm.Value, map[string]any{"externalBin": opts.ExternalBins}, bm.Name.BeforeExtra, st, 0); err != nil {
				return nil, fmt.Errorf("rewriting %s: %w", f.Path, err)
			}
			return v.Pack(), nil
		}
		return v.Pack(), nil
	}

	if _, eb := member(bundle, "externalBin"); eb == nil {
		if isBase && wantBins {
			if err := appendMember(bundle, "externalBin", opts.ExternalBins, st, 1); err != nil {
				return nil, fmt.Errorf("rewriting %s: %w", f.Path, err)
			}
		}
	} else if isNull(eb.Value) {
		// "externalBin": null in the base is no external binaries; in an overlay it removes the
		// base's for that platform on purpose, and stays.
		if isBase && wantBins {
			if err := replaceValue(&eb.Value, opts.ExternalBins, eb.Name.BeforeExtra, st, 1); err != nil {
				return nil, fmt.Errorf("rewriting %s: %w", f.Path, err)
			}
		}
	} else if arr, ok := eb.Value.Value.(*hujson.Array); ok {
		if opts.NormalizeExternalBins {
			normalizeList(arr)
		}
		renameList(arr, opts.RenameExternalBins)
		for _, bin := range opts.ExternalBins {
			if !hasPath(arr, bin) {
				appendString(arr, bin, st, 2)
			}
		}
	}

	if _, rm := member(bundle, "resources"); rm != nil {
		switch res := rm.Value.Value.(type) {
		case *hujson.Array:
			moveList(res, opts)
		case *hujson.Object:
			moveMap(res, opts)
		}
	}
	return v.Pack(), nil
}

// NormalizeExternalBin returns a bundle.externalBin entry as Tauri wants it, and whether that
// differs from entry: with forward slashes (Tauri joins the entry as a path of the machine that
// builds, where a backslash separates only on Windows) and without a trailing ".exe" (Tauri
// appends "-<triple>" and, for a Windows target, ".exe" itself, so "binaries/node.exe" would be
// looked for as binaries/node.exe-<triple>.exe).
func NormalizeExternalBin(entry string) (string, bool) {
	n := strings.ReplaceAll(entry, `\`, "/")
	if len(n) > len(".exe") && strings.EqualFold(n[len(n)-len(".exe"):], ".exe") {
		n = n[:len(n)-len(".exe")]
	}
	return n, n != entry
}

// normalizeList rewrites Windows-style externalBin entries; one that then repeats an entry
// before it is dropped.
func normalizeList(arr *hujson.Array) {
	seen := map[string]bool{}
	for i := 0; i < len(arr.Elements); {
		s, ok := stringOf(arr.Elements[i])
		if !ok {
			i++
			continue
		}
		n, changed := NormalizeExternalBin(s)
		if seen[pathKey(n)] {
			removeElement(arr, i)
			continue
		}
		seen[pathKey(n)] = true
		if changed {
			arr.Elements[i].Value = hujson.String(n)
		}
		i++
	}
}

// renameList renames the entries that renames names (old → new) in place, dropping one whose
// new name is listed already.
func renameList(arr *hujson.Array, renames map[string]string) {
	if len(renames) == 0 {
		return
	}
	byKey := map[string]string{}
	for from, to := range renames {
		byKey[pathKey(from)] = to
	}
	for i := 0; i < len(arr.Elements); {
		s, ok := stringOf(arr.Elements[i])
		to, rename := byKey[pathKey(s)]
		if !ok || !rename || pathKey(to) == pathKey(s) {
			i++
			continue
		}
		if hasPath(arr, to) {
			removeElement(arr, i)
			continue
		}
		arr.Elements[i].Value = hujson.String(to)
		i++
	}
}

func pathKey(s string) string { return path.Clean(strings.TrimPrefix(s, "./")) }

func hasPath(arr *hujson.Array, p string) bool {
	for _, e := range arr.Elements {
		if s, ok := stringOf(e); ok && pathKey(s) == pathKey(p) {
			return true
		}
	}
	return false
}

// moveList renames list-form resources; a renamed entry that duplicates another is dropped.
func moveList(arr *hujson.Array, opts Options) {
	kept := map[string]bool{}
	for _, e := range arr.Elements {
		if s, ok := stringOf(e); ok {
			if _, moved := opts.move(s); !moved {
				kept[pathKey(s)] = true
			}
		}
	}
	for i := 0; i < len(arr.Elements); {
		s, ok := stringOf(arr.Elements[i])
		ns, moved := opts.move(s)
		if !ok || !moved {
			i++
			continue
		}
		if k := pathKey(ns); kept[k] {
			removeElement(arr, i)
			continue
		} else {
			kept[k] = true
		}
		arr.Elements[i].Value = hujson.String(ns)
		i++
	}
}

// moveMap renames map-form resources, in the source key and in the target value; a renamed key
// that duplicates another is dropped.
func moveMap(obj *hujson.Object, opts Options) {
	kept := map[string]bool{}
	for _, m := range obj.Members {
		if s, ok := stringOf(m.Name); ok {
			if _, moved := opts.move(s); !moved {
				kept[s] = true
			}
		}
	}
	for i := 0; i < len(obj.Members); {
		m := &obj.Members[i]
		var keyMove *ResourceMove
		if s, ok := stringOf(m.Name); ok {
			var ns string
			if ns, keyMove = opts.moveBy(s); keyMove != nil {
				if kept[ns] {
					removeMember(obj, i)
					continue
				}
				kept[ns] = true
				m.Name.Value = hujson.String(ns)
			}
		}
		if s, ok := stringOf(m.Value); ok {
			if ns, moved := opts.move(s); moved {
				m.Value.Value = hujson.String(ns)
			} else if keyMove != nil {
				if ns, ok := keyMove.renameTarget(s); ok {
					m.Value.Value = hujson.String(ns)
				}
			}
		}
		i++
	}
}
