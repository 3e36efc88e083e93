package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// verify reads the manifest that the real bundle-pglite code writes: a bundle made by
// bundle passes, and a changed asset is reported.
func TestManifestWrittenByBundle(t *testing.T) {
	root := t.TempDir()
	pkg := filepath.Join(root, "pkg")
	for name, body := range map[string]string{
		"package.json":                    `{"name":"app","private":true,"type":"module"}`,
		"server.mjs":                      "import {wasm} from '@x/db';\nconsole.log(String(wasm));\n",
		"node_modules/@x/db/package.json": `{"name":"@x/db","version":"1.0.0","type":"module","exports":"./index.js"}`,
		"node_modules/@x/db/index.js":     "export const wasm = new URL(\"./engine.wasm\", import.meta.url);\n",
		"node_modules/@x/db/engine.wasm":  "WASM",
		"tauri/tauri.conf.json":           `{"identifier": "x", "bundle": {"externalBin": ["binaries/node"], "resources": ["resources/pglite/*"], "macOS": {"entitlements": "E.plist"}}}`,
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasPrefix(name, "package.json") || strings.HasPrefix(name, "server.mjs") || strings.HasPrefix(name, "node_modules") {
			p = filepath.Join(pkg, filepath.FromSlash(name))
		}
		write(t, p, body)
	}
	write(t, filepath.Join(root, "tauri", "E.plist"), plistGranting(nize.NodeEntitlements()...))
	exe, _ := fakebin.Executable("darwin", "arm64", "v1\n")
	node := filepath.Join(root, "tauri", "binaries", "node-aarch64-apple-darwin")
	os.MkdirAll(filepath.Dir(node), 0o755)
	if err := os.WriteFile(node, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "tauri", "resources", "pglite")
	if _, err := bundle.Build(context.Background(), bundle.Options{Entry: filepath.Join(pkg, "server.mjs"), PackageDir: pkg, Out: out, NodeMajor: 22}); err != nil {
		t.Fatalf("bundle: %v", err)
	}
	p, err := tauri.OpenDir(filepath.Join(root, "tauri"))
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := target.Parse("macos-arm64")
	r, err := Check(context.Background(), Options{Project: p, Target: mac})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("fresh bundle: %v", r.Problems)
	}
	manifestChecked := false
	for _, c := range r.Checked {
		if filepath.Base(c) == "engine.wasm" {
			manifestChecked = true
		}
	}
	if !manifestChecked {
		t.Errorf("the manifest's files were not checked: %v", r.Checked)
	}
	if err := os.WriteFile(filepath.Join(out, "engine.wasm"), []byte("MSAW"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ = Check(context.Background(), Options{Project: p, Target: mac})
	if len(r.Problems) != 1 || filepath.Base(r.Problems[0].File) != "engine.wasm" || !strings.Contains(r.Problems[0].Problem, "SHA-256") {
		t.Errorf("after changing an asset: %+v", r.Problems)
	}
}

// The app's other JS bundles (nizepack.json) are checked against their manifests too: a glob
// that still matches what is left of one does not hide its deleted bundle, and the fix builds it.
func TestDeclaredBundleChecked(t *testing.T) {
	root := t.TempDir()
	pkg := filepath.Join(root, "pkg")
	write(t, filepath.Join(pkg, "proxy.mjs"), "console.log('proxy');\n")
	write(t, filepath.Join(root, "tauri", "tauri.conf.json"), `{"identifier": "x", "bundle": {"externalBin": ["binaries/bun"], "resources": {"resources/pglite/*": "pglite/", "resources/mcp/*": "mcp/"}}}`)
	exe, _ := fakebin.Executable("linux", "amd64", "v1\n")
	bun := filepath.Join(root, "tauri", "binaries", "bun-x86_64-unknown-linux-gnu")
	os.MkdirAll(filepath.Dir(bun), 0o755)
	if err := os.WriteFile(bun, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct{ out, file string }{{"pglite", bundle.ServerFile}, {"mcp", "mcp.mjs"}} {
		if _, err := bundle.Build(context.Background(), bundle.Options{Entry: filepath.Join(pkg, "proxy.mjs"), PackageDir: pkg, Out: filepath.Join(root, "tauri", "resources", b.out), File: b.file, NodeMajor: 22}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := tauri.OpenDir(filepath.Join(root, "tauri"))
	if err != nil {
		t.Fatal(err)
	}
	linux, _ := target.Parse("linux-x86_64")
	opts := Options{Project: p, Target: linux, BundleDirs: []string{"resources/mcp"}}
	if r, err := Check(context.Background(), opts); err != nil || !r.OK() {
		t.Fatalf("fresh bundles: %+v, %v", r, err)
	}
	if err := os.Remove(filepath.Join(root, "tauri", "resources", "mcp", "mcp.mjs")); err != nil {
		t.Fatal(err)
	}
	r, _ := Check(context.Background(), opts)
	if len(r.Problems) != 1 || filepath.Base(r.Problems[0].File) != "mcp.mjs" || r.Problems[0].Fix != "`nizepack bundles` (the bundle nizepack.json declares there)" {
		t.Errorf("after deleting the declared bundle: %+v", r.Problems)
	}
}
