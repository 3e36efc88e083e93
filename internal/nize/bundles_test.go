package nize

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadBundles(t *testing.T) {
	root := t.TempDir()
	tauriDir := filepath.Join(root, "crates", "app", "nize_desktop")
	if b, err := LoadBundles(root, tauriDir); err != nil || b != nil {
		t.Fatalf("no file: %v, %v", b, err)
	}
	writeTree(t, root, map[string]string{
		"packages/nize-desktop/package.json":     "{}",
		"node_modules/mcp-remote/dist/proxy.js":  "",
		"packages/nize-desktop/scripts/tool.mjs": "",
		BundlesFile:                              `{"bundles": [{"name": "mcp-remote", "entry": "mcp-remote/dist/proxy.js", "out": "resources/mcp", "file": "mcp-remote.mjs"}, {"name": "tool", "entry": "scripts/tool.mjs"}]}`,
	})
	b, err := LoadBundles(root, tauriDir)
	if err != nil {
		t.Fatal(err)
	}
	// A package file resolves from the workspace root's node_modules (hoisted); defaults fill in.
	if len(b) != 2 || b[0].Entry != filepath.Join(root, "node_modules", "mcp-remote", "dist", "proxy.js") || b[0].Out != filepath.Join(tauriDir, "resources", "mcp") ||
		b[0].PackageDir != filepath.Join(root, "packages", "nize-desktop") || b[1].File != "tool.mjs" || b[1].Out != filepath.Join(tauriDir, "resources", "tool") ||
		b[1].Entry != filepath.Join(root, "packages", "nize-desktop", "scripts", "tool.mjs") {
		t.Errorf("bundles %+v", b)
	}
	for _, c := range []struct{ doc, want string }{
		{`{"bundles": [{"name": "x"}]}`, "bundles[0] (x): no entry"},
		{`{"bundles": [{"name": "a b", "entry": "e"}]}`, `name "a b" is not a name`},
		{`{"bundles": [{"name": "pglite", "entry": "e"}]}`, `"pglite" is the PGlite server's`},
		{`{"bundles": [{"name": "t", "entry": "scripts/tool.mjs"}, {"name": "t", "entry": "scripts/tool.mjs"}]}`, "a second bundle named t"},
		{`{"bundles": [{"name": "t", "entry": "nothing.js"}]}`, "entry nothing.js is neither a file in"},
		{`{"bundles": [{"name": "t", "entry": "scripts/tool.mjs", "file": "../x.mjs"}]}`, `file "../x.mjs" must be a plain .mjs or .js name`},
		{`{"bundels": []}`, `not a bundles declaration: json: unknown field "bundels"`},
	} {
		writeTree(t, root, map[string]string{BundlesFile: c.doc})
		_, err := LoadBundles(root, tauriDir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), filepath.Join(root, BundlesFile)+": ") {
			t.Errorf("%s: err = %v, want %q", c.doc, err, c.want)
		}
	}
}
