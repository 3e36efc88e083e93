package nize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nize/nizepack/bundle"
)

// BundlesFile declares the app's JS bundles besides the PGlite server, at the app's root:
//
//	{
//	  "bundles": [
//	    {
//	      "name": "mcp-remote",
//	      "entry": "mcp-remote/dist/proxy.js",
//	      "out": "resources/mcp-remote",
//	      "file": "mcp-remote.mjs"
//	    }
//	  ]
//	}
//
// entry is a file relative to packageDir, or a file in an installed package, named the way
// Node resolves it from packageDir (node_modules there or above); packageDir defaults to
// AppPackageDir when it exists, else the app root; out is relative to the Tauri dir (default
// resources/<name>); file defaults to <name>.mjs; platform is node (default), neutral or
// browser; banner goes at the top of the bundle (an ESM bundle whose CommonJS code calls
// require() gets a createRequire banner without one).
const BundlesFile = "nizepack.json"

// DeclaredBundle is one entry of BundlesFile.
type DeclaredBundle struct {
	Name       string `json:"name"`
	Entry      string `json:"entry"`
	PackageDir string `json:"packageDir,omitempty"`
	Out        string `json:"out,omitempty"`
	File       string `json:"file,omitempty"`
	Platform   string `json:"platform,omitempty"`
	Banner     string `json:"banner,omitempty"`
}

// BundlesError is a BundlesFile that cannot be used, naming the file and what is wrong.
type BundlesError struct {
	File, Problem string
}

func (e *BundlesError) Error() string { return e.File + ": " + e.Problem }

var bundleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// LoadBundles reads root/BundlesFile; no file means no bundles. Every entry is checked and
// its defaults filled in: paths come back absolute (packageDir from root; out from tauriDir).
func LoadBundles(root, tauriDir string) ([]DeclaredBundle, error) {
	file := filepath.Join(root, BundlesFile)
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &BundlesError{File: file, Problem: err.Error()}
	}
	var doc struct {
		Bundles []DeclaredBundle `json:"bundles"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, &BundlesError{File: file, Problem: "not a bundles declaration: " + err.Error()}
	}
	seen := map[string]bool{}
	out := make([]DeclaredBundle, 0, len(doc.Bundles))
	for i, b := range doc.Bundles {
		where := fmt.Sprintf("bundles[%d]", i)
		switch {
		case !bundleName.MatchString(b.Name):
			return nil, &BundlesError{File: file, Problem: fmt.Sprintf("%s: name %q is not a name (letters, digits, ., _ or -)", where, b.Name)}
		case seen[b.Name]:
			return nil, &BundlesError{File: file, Problem: fmt.Sprintf("%s: a second bundle named %s", where, b.Name)}
		case b.Name == "pglite":
			return nil, &BundlesError{File: file, Problem: where + `: "pglite" is the PGlite server's, which bundle-pglite makes`}
		case b.Entry == "":
			return nil, &BundlesError{File: file, Problem: where + " (" + b.Name + "): no entry"}
		case b.File != "" && (strings.ContainsAny(b.File, `/\`) || !strings.HasSuffix(b.File, ".mjs") && !strings.HasSuffix(b.File, ".js")):
			return nil, &BundlesError{File: file, Problem: fmt.Sprintf("%s (%s): file %q must be a plain .mjs or .js name", where, b.Name, b.File)}
		}
		seen[b.Name] = true
		if b.PackageDir == "" {
			b.PackageDir = root
			if st, err := os.Stat(filepath.Join(root, filepath.FromSlash(AppPackageDir))); err == nil && st.IsDir() {
				b.PackageDir = filepath.Join(root, filepath.FromSlash(AppPackageDir))
			}
		} else if !filepath.IsAbs(b.PackageDir) {
			b.PackageDir = filepath.Join(root, filepath.FromSlash(b.PackageDir))
		}
		if b.Out == "" {
			b.Out = "resources/" + b.Name
		}
		if !filepath.IsAbs(b.Out) {
			b.Out = filepath.Join(tauriDir, filepath.FromSlash(b.Out))
		}
		if b.File == "" {
			b.File = b.Name + ".mjs"
		}
		entry, err := resolveEntry(b.PackageDir, b.Entry)
		if err != nil {
			return nil, &BundlesError{File: file, Problem: fmt.Sprintf("%s (%s): %v", where, b.Name, err)}
		}
		b.Entry = entry
		out = append(out, b)
	}
	return out, nil
}

// resolveEntry finds an entry: a file relative to pkgDir, else the file in an installed
// package under pkgDir's node_modules or a parent's.
func resolveEntry(pkgDir, entry string) (string, error) {
	if filepath.IsAbs(entry) {
		return entry, nil
	}
	local := filepath.Join(pkgDir, filepath.FromSlash(entry))
	if st, err := os.Stat(local); err == nil && st.Mode().IsRegular() {
		return local, nil
	}
	if p, ok := bundle.InstalledFile(pkgDir, entry); ok {
		return p, nil
	}
	return "", fmt.Errorf("entry %s is neither a file in %s nor in an installed package there: run `npm ci` in %s, or fix the entry", entry, pkgDir, pkgDir)
}
