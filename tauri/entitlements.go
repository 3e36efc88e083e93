package tauri

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tailscale/hujson"
	"howett.net/plist"
)

// EntitlementsFile is the macOS entitlements file the config names for a macOS build
// (bundle.macOS.entitlements of the base merged with the macos overlay), resolved against the
// Tauri dir; "" when the config names none.
func (p *Project) EntitlementsFile() (string, error) {
	cfg, err := p.Merged("darwin")
	if err != nil {
		return "", err
	}
	bundle, _ := cfg["bundle"].(map[string]any)
	macOS, _ := bundle["macOS"].(map[string]any)
	rel, _ := macOS["entitlements"].(string)
	if rel == "" {
		return "", nil
	}
	if filepath.IsAbs(rel) {
		return rel, nil
	}
	return filepath.Join(p.Dir, filepath.FromSlash(rel)), nil
}

// EntitlementsError is an entitlements file that cannot be read as a property list.
type EntitlementsError struct {
	Path string
	Err  error
}

func (e *EntitlementsError) Error() string {
	return fmt.Sprintf("reading entitlements %s: %v", e.Path, e.Err)
}
func (e *EntitlementsError) Unwrap() error { return e.Err }

// ReadEntitlements parses an entitlements property list (XML, binary or OpenStep, as codesign
// accepts them) into its top-level dictionary.
func ReadEntitlements(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &EntitlementsError{Path: path, Err: err}
	}
	var dict map[string]any
	if _, err := plist.Unmarshal(data, &dict); err != nil {
		return nil, &EntitlementsError{Path: path, Err: fmt.Errorf("not a property list dictionary: %w", err)}
	}
	return dict, nil
}

// MissingEntitlements lists the keys of want that dict does not grant (absent or not true).
func MissingEntitlements(dict map[string]any, want []string) []string {
	var missing []string
	for _, k := range want {
		if v, ok := dict[k].(bool); !ok || !v {
			missing = append(missing, k)
		}
	}
	return missing
}

// entitlementsBytes returns path's bytes (nil when missing) and what they must become to grant
// every key of grant (the same bytes when they already do).
func entitlementsBytes(path string, grant []string) (old, data []byte, err error) {
	dict := map[string]any{}
	old, err = os.ReadFile(path)
	switch {
	case err == nil:
		if dict, err = ReadEntitlements(path); err != nil {
			return nil, nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	default:
		return nil, nil, &EntitlementsError{Path: path, Err: err}
	}
	missing := MissingEntitlements(dict, grant)
	if len(missing) == 0 {
		return old, old, nil
	}
	for _, k := range missing {
		dict[k] = true
	}
	data, err = plist.MarshalIndent(dict, plist.XMLFormat, "\t")
	if err != nil {
		return nil, nil, fmt.Errorf("writing entitlements %s: %w", path, err)
	}
	return old, append(data, '\n'), nil
}

// planEntitlements adds to a plan the entitlements file and, when the config names none, the
// base config's bundle.macOS.entitlements (on top of the base's planned bytes).
func planEntitlements(p *Project, changes []Change, opts Options) ([]Change, error) {
	if opts.Entitlements == "" {
		return changes, nil
	}
	file, err := p.EntitlementsFile()
	if err != nil {
		return nil, err
	}
	if file == "" {
		file = filepath.Join(p.Dir, filepath.FromSlash(opts.Entitlements))
		for i, c := range changes {
			if c.File != p.Base {
				continue
			}
			planned := &File{Path: c.File.Path, Format: c.File.Format, Data: c.New, Mode: c.File.Mode}
			if changes[i].New, err = setEntitlements(planned, filepath.ToSlash(opts.Entitlements)); err != nil {
				return nil, err
			}
		}
	}
	old, data, err := entitlementsBytes(file, opts.Grant)
	if err != nil {
		return nil, err
	}
	return append(changes, Change{File: &File{Path: file, Platform: "", Data: old, Mode: 0o644}, New: data}), nil
}

// setEntitlements returns the base config f with bundle.macOS.entitlements set to rel when
// it names none (a value the app set stays, and so does every other byte).
func setEntitlements(f *File, rel string) ([]byte, error) {
	m, err := f.Value()
	if err != nil {
		return nil, err
	}
	if bundle, ok := m["bundle"].(map[string]any); ok {
		if macOS, ok := bundle["macOS"].(map[string]any); ok {
			if _, ok := macOS["entitlements"].(string); ok {
				return f.Data, nil
			}
		}
	}
	v, err := f.parse()
	if err != nil {
		return nil, err
	}
	root := v.Value.(*hujson.Object)
	st := detectStyle(f.Data)
	value := map[string]any{"entitlements": rel}
	_, bm := member(root, "bundle")
	var bundle *hujson.Object
	if bm != nil {
		bundle, _ = bm.Value.Value.(*hujson.Object)
	}
	switch {
	case bm == nil:
		err = appendMember(root, "bundle", map[string]any{"macOS": value}, st, 0)
	case bundle == nil:
		return nil, fmt.Errorf("%s: bundle is not an object, so bundle.macOS.entitlements cannot be set", f.Path)
	default:
		_, mm := member(bundle, "macOS")
		if mm == nil {
			err = appendMember(bundle, "macOS", value, st, 1)
		} else if macOS, ok := mm.Value.Value.(*hujson.Object); ok {
			err = appendMember(macOS, "entitlements", rel, st, 2)
		} else {
			return nil, fmt.Errorf("%s: bundle.macOS is not an object, so bundle.macOS.entitlements cannot be set", f.Path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("rewriting %s: %w", f.Path, err)
	}
	return v.Pack(), nil
}
