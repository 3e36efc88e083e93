// Package nize is the Nize Desktop app's layout and migration policy: where the app keeps its
// server entry, its packages, its sidecars and its bundle, and what the PGlite migration changes
// in its Tauri config. The public packages (fetch, bundle, sidecars, tauri) take all of these as
// plain options; only the CLI and the orchestration under internal/ apply this policy.
package nize

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

const (
	// BinariesDir holds the sidecars, relative to the Tauri dir.
	BinariesDir = "binaries"
	// NodeEntry is the bundle.externalBin entry that fetch-node, not cargo, provides.
	NodeEntry = BinariesDir + "/" + fetch.BinaryBase
	// BundleDir is where the PGlite bundle goes, relative to the Tauri dir (the app's
	// bundle.resources ships "resources/pglite/*").
	BundleDir = "resources/pglite"
	// AppEntry is where the app keeps its own server entry, relative to the app root.
	AppEntry = "packages/nize-desktop/scripts/pglite-server.mjs"
	// AppPackageDir is the app's desktop package, where `npm ci` installs PGlite.
	AppPackageDir = "packages/nize-desktop"
	// SeedDatabase is the database the app asks its PGlite server for (--database=nize), so
	// the seed bundle-pglite makes holds it.
	SeedDatabase = "nize"
)

// EntitlementsFile is the entitlements plist `tauri --entitlements` writes beside the config.
const EntitlementsFile = "Entitlements.plist"

// NodeEntitlements are what node needs under the hardened runtime that notarized macOS apps run
// with (Tauri signs sidecars with the app's entitlements): V8 compiles code at run time, and
// PGlite's WASM needs writable executable memory. Without them node dies with SIGTRAP at start.
func NodeEntitlements() []string {
	return []string{"com.apple.security.cs.allow-jit", "com.apple.security.cs.allow-unsigned-executable-memory"}
}

// NodeSidecar is the node binary fetch-node installs for t in the Tauri dir under the sidecar
// name ("" is DefaultSidecarName).
func NodeSidecar(tauriDir string, t target.Target, name string) string {
	return filepath.Join(tauriDir, BinariesDir, fetch.SidecarName(name, t))
}

// RuntimeSidecar is the runtime binary fetch-node or fetch-bun installs for t under its sidecar
// name (node's NODE_SIDECAR_NAME, bun).
func RuntimeSidecar(tauriDir, name string, t target.Target) string {
	return filepath.Join(tauriDir, BinariesDir, t.SidecarPath(name))
}

// ShippedRuntime is the JS runtime an app ships: the first externalBin entry whose name is a
// runtime's (binaries/node, binaries/bun). ok is false for an app that ships none yet (or a node
// sidecar renamed with NODE_SIDECAR_NAME: that is Node).
func ShippedRuntime(externalBins []string) (base string, ok bool) {
	for _, e := range externalBins {
		name := path.Base(strings.ReplaceAll(e, `\`, "/"))
		name = strings.TrimSuffix(name, ".exe")
		if _, isRuntime := fetch.RuntimeByBase(name); isRuntime {
			return name, true
		}
	}
	return "", false
}

// SeedNode picks the Node binary that makes the PGlite seed when none is given: the host's
// fetched sidecar (binaries/node-<host triple>) in the Tauri dir when present, else node on
// PATH (lookPath is exec.LookPath in the CLI). It returns "" when there is neither; from says
// where the one returned was found.
func SeedNode(tauriDir, name string, lookPath func(string) (string, error)) (node, from string) {
	if name == "" {
		name = DefaultSidecarName
	}
	return SeedRuntime(tauriDir, name, fetch.BinaryBase, lookPath)
}

// SeedRuntime is SeedNode for the app's runtime: its fetched host sidecar (named name), else the
// runtime (base: node, bun) on PATH.
func SeedRuntime(tauriDir, name, base string, lookPath func(string) (string, error)) (node, from string) {
	if tauriDir != "" {
		if host, err := target.Host(); err == nil {
			p := RuntimeSidecar(tauriDir, name, host)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, "the host's fetched sidecar"
			}
		}
	}
	if p, err := lookPath(base); err == nil {
		return p, base + " on PATH"
	}
	return "", ""
}

// DefaultSidecarName is the node sidecar's name: the name the app's Rust code starts it by
// (`sidecar("node")`).
const DefaultSidecarName = fetch.BinaryBase

// Migration is the PGlite migration of the Tauri config: add binaries/<nodeName> to externalBin
// (Windows-style entries such as binaries\node or binaries/node.exe rewritten as Tauri wants them),
// move resources/pg to resources/pglite, and make the build hooks call nizepack instead of the
// scripts it replaces (HookRewrites).
func Migration(nodeName string) tauri.Options {
	if nodeName == "" {
		nodeName = DefaultSidecarName
	}
	opts := MigrationFor(nodeName)
	if nodeName != DefaultSidecarName {
		// A sidecar renamed for the app (NODE_SIDECAR_NAME): its old entry is renamed in place.
		opts.RenameExternalBins = map[string]string{BinariesDir + "/" + DefaultSidecarName: BinariesDir + "/" + nodeName}
	}
	return opts
}

// MigrationFor is Migration for an app whose runtime sidecar is name (node's, or bun: already
// there for an app that ships Bun, so nothing is added).
func MigrationFor(name string) tauri.Options {
	return tauri.Options{
		ExternalBins:          []string{BinariesDir + "/" + name},
		NormalizeExternalBins: true,
		Resources:             []tauri.ResourceMove{{From: "resources/pg", To: "resources/pglite"}},
		HookRewrites:          HookRewrites(),
	}
}

// The old scripts' commands as a hook may call them: by bash or sh or directly, from any
// folder ("scripts/x.sh", "./scripts/x.sh", "../../../scripts/x.sh").
const (
	shell     = `(?:(?:bash|sh)\s+)?`
	pathTo    = `(?:[^\s'"]*/)?`
	word      = `[A-Za-z0-9_.-]+`
	moreArgs  = `(?:\s+[^\s]+)*`
	npmRunner = `(?:npm|pnpm|yarn|bun)`
)

// hookRewrites is the policy of the hook rewrite: each command of a Tauri build hook that calls
// one of the scripts nizepack replaces, and the nizepack commands that do its job instead. The
// rewritten hooks run where tauri runs them (the frontend dir, the app root for Nize: plain
// `nizepack CMD` finds the Tauri dir from there, or from the Tauri dir itself).
var hookRewrites = []tauri.HookRewrite{
	// setup-sidecar-binaries.sh <profile> copied cargo's sidecars and node into binaries/.
	{Command: shell + pathTo + `setup-sidecar-binaries\.sh\s+(` + word + `)`, Replace: "nizepack sidecars --profile $1 && nizepack fetch-node"},
	{Command: shell + pathTo + `setup-sidecar-binaries\.sh`, Replace: "nizepack sidecars && nizepack fetch-node"},
	// download-node.sh [platform] downloaded node into binaries/node-<triple>; the hook runs
	// for the host's build, as fetch-node does without a platform.
	{Command: shell + pathTo + `download-node\.sh` + moreArgs, Replace: "nizepack fetch-node"},
	// The npm script build:pglite-server ran the esbuild bundle script.
	{Command: npmRunner + moreArgs + `\s+build:pglite-server` + moreArgs, Replace: "nizepack bundle-pglite"},
	// The bundle script itself, run by node or as esbuild's command line on the server entry.
	{Command: `node\s+` + pathTo + `build-pglite-server\.m?js` + moreArgs, Replace: "nizepack bundle-pglite"},
	{Command: `(?:npx\s+(?:--yes\s+|-y\s+)?)?esbuild\s+(?:[^\s]+\s+)*?` + pathTo + `pglite-server\.mjs` + moreArgs, Replace: "nizepack bundle-pglite"},
}

// HookRewrites are the rewrites that make a Tauri build hook call nizepack instead of the
// scripts it replaces: setup-sidecar-binaries.sh PROFILE becomes `nizepack sidecars --profile
// PROFILE && nizepack fetch-node`, download-node.sh `nizepack fetch-node`, the npm script
// build:pglite-server and the esbuild bundle script `nizepack bundle-pglite`. Left in place, such
// a hook would redo those jobs the old way when tauri build runs it, after nizepack's.
func HookRewrites() []tauri.HookRewrite {
	return slices.Clone(hookRewrites)
}

// RuntimeEntries are the bundle.externalBin entries that ship a JS runtime for the PGlite
// server: the node sidecar (named nodeName) or a bun one.
func RuntimeEntries(nodeName string) []string {
	out := []string{BinariesDir + "/" + nodeName}
	for _, r := range fetch.Runtimes() {
		if r != fetch.Node {
			out = append(out, BinariesDir+"/"+r.Base)
		}
	}
	return out
}

// FetchCommand is the nizepack command that installs the runtime sidecar named base (the node
// sidecar under nodeName, or another runtime under its own name): "fetch-node", "fetch-bun".
// ok is false for any other sidecar (cargo builds it).
func FetchCommand(nodeName, base string) (cmd string, ok bool) {
	if base == nodeName {
		return "fetch-node", true
	}
	if r, isRuntime := fetch.RuntimeByBase(base); isRuntime && r != fetch.Node {
		return "fetch-" + r.Base, true
	}
	return "", false
}

// ShipsBundle reports whether a bundle.resources pattern (a list entry or a map key) ships the
// whole PGlite bundle dir: the dir itself, "resources/pglite/*" or "resources/pglite/**/*".
func ShipsBundle(pattern string) bool {
	p := strings.TrimPrefix(filepath.ToSlash(pattern), "./")
	switch strings.TrimSuffix(p, "/") {
	case BundleDir, BundleDir + "/*", BundleDir + "/**/*":
		return true
	}
	return false
}

// CleanEntry is a config path as Tauri joins it: "./binaries/node" is "binaries/node".
func CleanEntry(p string) string {
	return path.Clean(strings.TrimPrefix(filepath.ToSlash(p), "./"))
}

// NotFromCargo lists the externalBin entries (by base name) that cargo does not build: the node
// sidecar (named name), which fetch-node installs, node itself under its default name (an
// entry left from before a rename is no Rust binary either), and bun, which fetch-bun installs.
// The sidecars step leaves them out.
func NotFromCargo(name string) []string {
	out := []string{DefaultSidecarName}
	if name != "" && name != DefaultSidecarName {
		out = append([]string{name}, out...)
	}
	for _, r := range fetch.Runtimes() { // bun, which fetch-bun installs
		if !slices.Contains(out, r.Base) {
			out = append(out, r.Base)
		}
	}
	return out
}

// Locate fills in the defaults a user of the app repo expects, relative to the working dir wd:
// the entry is the given one, else the embedded canonical server (returned as ""), which is a
// drop-in for the app's own AppEntry (same flags, same port line) and takes its place; appEntry
// is that app entry when it exists and was not chosen, so the caller can say so. The package dir
// is the given one, else the entry's package (the nearest folder above it with a package.json),
// else AppPackageDir when it exists, else wd.
func Locate(wd, entry, packageDir string) (entryPath, pkgDir, appEntry string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(wd, p)
	}
	entryPath, pkgDir = abs(entry), abs(packageDir)
	if entryPath == "" {
		app := filepath.Join(wd, filepath.FromSlash(AppEntry))
		if st, err := os.Stat(app); err == nil && st.Mode().IsRegular() {
			appEntry = app
		}
	}
	if pkgDir == "" && entryPath != "" {
		pkgDir = bundle.EntryPackageDir(entryPath)
	}
	if pkgDir == "" {
		pkgDir = wd
		app := filepath.Join(wd, filepath.FromSlash(AppPackageDir))
		if st, err := os.Stat(app); err == nil && st.IsDir() {
			pkgDir = app
		}
	}
	return entryPath, pkgDir, appEntry
}

// CanonicalAdds is what nizepack's canonical server does that a stock app entry does not, for
// the line that says which server is bundled.
const CanonicalAdds = "a seeded first start, a clean session for each client (sqlx's replacement connections otherwise fail with 42P05), a data-dir lock and exit when the app dies"
