package nize

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLocate(t *testing.T) {
	wd := t.TempDir()
	entry, pkg, app := Locate(wd, "", "")
	if entry != "" || pkg != wd || app != "" {
		t.Errorf("empty dir: entry %q pkg %q app %q; want embedded entry and wd", entry, pkg, app)
	}
	writeTree(t, wd, map[string]string{"packages/nize-desktop/package.json": "{}"})
	if entry, pkg, app = Locate(wd, "", ""); entry != "" || pkg != filepath.Join(wd, "packages", "nize-desktop") || app != "" {
		t.Errorf("app without entry: %q %q %q", entry, pkg, app)
	}
	// The canonical server takes the place of the app's own entry, which is named for the line
	// that says so.
	writeTree(t, wd, map[string]string{AppEntry: "// app's own"})
	if entry, pkg, app = Locate(wd, "", ""); entry != "" || pkg != filepath.Join(wd, "packages", "nize-desktop") || app != filepath.Join(wd, filepath.FromSlash(AppEntry)) {
		t.Errorf("app with entry: %q %q %q", entry, pkg, app)
	}
	if entry, _, app = Locate(wd, AppEntry, ""); entry != filepath.Join(wd, filepath.FromSlash(AppEntry)) || app != "" {
		t.Errorf("--entry with the app's entry: %q %q", entry, app)
	}
	writeTree(t, wd, map[string]string{"other/pkg/package.json": "{}", "other/pkg/src/s.mjs": ""})
	if entry, pkg, _ = Locate(wd, "other/pkg/src/s.mjs", ""); entry != filepath.Join(wd, "other", "pkg", "src", "s.mjs") || pkg != filepath.Join(wd, "other", "pkg") {
		t.Errorf("--entry: %q %q, want the entry and its package", entry, pkg)
	}
	if _, pkg, _ = Locate(wd, "other/pkg/src/s.mjs", "x"); pkg != filepath.Join(wd, "x") {
		t.Errorf("--package-dir: %q", pkg)
	}
}

func TestSeedNode(t *testing.T) {
	host, err := target.Host()
	if err != nil {
		t.Skip(err)
	}
	noPath := func(string) (string, error) { return "", errors.New("not found") }
	onPath := func(string) (string, error) { return "/usr/bin/node", nil }
	dir := t.TempDir()
	if node, _ := SeedNode(dir, "", noPath); node != "" {
		t.Errorf("nothing anywhere: %q", node)
	}
	if node, from := SeedNode(dir, "", onPath); node != "/usr/bin/node" || from != "node on PATH" {
		t.Errorf("PATH only: %q (%s)", node, from)
	}
	if node, _ := SeedNode(dir, "nize-node", onPath); node != "/usr/bin/node" {
		t.Errorf("another sidecar name, none fetched: %q", node)
	}
	named := NodeSidecar(dir, host, "nize-node")
	writeTree(t, dir, map[string]string{BinariesDir + "/" + filepath.Base(named): "node"})
	if node, _ := SeedNode(dir, "nize-node", onPath); node != named {
		t.Errorf("the fetched sidecar under its name: %q, want %s", node, named)
	}
	side := NodeSidecar(dir, host, "")
	writeTree(t, dir, map[string]string{BinariesDir + "/" + filepath.Base(side): "node"})
	if node, from := SeedNode(dir, "", onPath); node != side || from != "the host's fetched sidecar" {
		t.Errorf("with the fetched sidecar: %q (%s); want %s", node, from, side)
	}
	if node, _ := SeedNode("", "", onPath); node != "/usr/bin/node" {
		t.Errorf("no Tauri dir: %q", node)
	}
}

// The hook rewrite turns the real app's hooks, and the other ways a hook may call the old
// scripts, into the nizepack commands; anything else stays, and a second run changes nothing.
func TestHookRewrites(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// The real app's hooks (crates/app/nize_desktop/tauri.conf.json).
		{"cargo build -p nize_api_server -p nize_terminator --release && bash scripts/setup-sidecar-binaries.sh release && npm run --prefix packages/nize-desktop build:pglite-server && npm run --prefix packages/nize-desktop build",
			"cargo build -p nize_api_server -p nize_terminator --release && nizepack sidecars --profile release && nizepack fetch-node && nizepack bundle-pglite && npm run --prefix packages/nize-desktop build"},
		{"cargo build -p nize_api_server -p nize_terminator && bash scripts/setup-sidecar-binaries.sh debug && npm run --prefix packages/nize-desktop build:pglite-server && npm run --prefix packages/nize-desktop dev",
			"cargo build -p nize_api_server -p nize_terminator && nizepack sidecars --profile debug && nizepack fetch-node && nizepack bundle-pglite && npm run --prefix packages/nize-desktop dev"},
		{"./scripts/setup-sidecar-binaries.sh", "nizepack sidecars && nizepack fetch-node"},
		{"sh ../../../scripts/setup-sidecar-binaries.sh release", "nizepack sidecars --profile release && nizepack fetch-node"},
		{"bash scripts/download-node.sh darwin-arm64 && npm run build", "nizepack fetch-node && npm run build"},
		{"bash scripts/download-node.sh", "nizepack fetch-node"},
		{"npm run build:pglite-server", "nizepack bundle-pglite"},
		{"npm --prefix packages/nize-desktop run build:pglite-server", "nizepack bundle-pglite"},
		{"pnpm -C packages/nize-desktop build:pglite-server", "nizepack bundle-pglite"},
		{"node scripts/build-pglite-server.mjs", "nizepack bundle-pglite"},
		{"node packages/nize-desktop/scripts/build-pglite-server.mjs --minify", "nizepack bundle-pglite"},
		{"npx esbuild packages/nize-desktop/scripts/pglite-server.mjs --bundle --platform=node --format=esm --outfile=crates/app/nize_desktop/resources/pglite/pglite-server.mjs", "nizepack bundle-pglite"},
		// Left alone: other commands, and the old names inside another command's arguments.
		{"npm run build && npm run dev", "npm run build && npm run dev"},
		{"echo setup-sidecar-binaries.sh", "echo setup-sidecar-binaries.sh"},
		{"npx esbuild src/main.ts --bundle", "npx esbuild src/main.ts --bundle"},
		{"nizepack sidecars --profile release && nizepack fetch-node && nizepack bundle-pglite", "nizepack sidecars --profile release && nizepack fetch-node && nizepack bundle-pglite"},
	} {
		got, _, err := tauri.RewriteScript(tc.in, HookRewrites())
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%q\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if again, calls, _ := tauri.RewriteScript(got, HookRewrites()); again != got || len(calls) > 0 {
			t.Errorf("a second run changed %q to %q", got, again)
		}
	}
}

// A runtime sidecar's fix is its fetch command; any other sidecar is cargo's.
func TestFetchCommand(t *testing.T) {
	for _, c := range []struct {
		node, base, want string
		ok               bool
	}{
		{"node", "node", "fetch-node", true},
		{"nize-node", "nize-node", "fetch-node", true},
		{"node", "bun", "fetch-bun", true},
		{"node", "nize_api_server", "", false},
	} {
		if got, ok := FetchCommand(c.node, c.base); got != c.want || ok != c.ok {
			t.Errorf("FetchCommand(%q, %q) = %q, %v", c.node, c.base, got, ok)
		}
	}
	if got := RuntimeEntries("nize-node"); len(got) != 2 || got[0] != "binaries/nize-node" || got[1] != "binaries/bun" {
		t.Errorf("RuntimeEntries = %q", got)
	}
}
