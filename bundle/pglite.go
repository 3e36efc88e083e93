package bundle

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/Masterminds/semver/v3"
	"github.com/evanw/esbuild/pkg/api"
)

// The installed PGlite set: which PGlite is there, which pgvector goes with it, and whether the
// packages bundled together agree on one PGlite. PGlite 0.3.x ships pgvector as
// @electric-sql/pglite/vector; from 0.5.x it is the separate @electric-sql/pglite-pgvector, each
// version peer-pinning one exact PGlite, as pglite-socket does. A mismatched set bundles without
// a word and then opens no data dir (a LinkError inside PGlite's WASM), so it is refused here.

const (
	// VectorModule is the import the canonical server names pgvector by; the bundler resolves
	// it to the pgvector of the installed PGlite.
	VectorModule = "nizepack:pglite-vector"
	// InfoModule is the import the canonical server reads the bundled PGlite's version from
	// (`export const pgliteVersion`): PGlite before 0.5 serves one database whatever it is
	// asked for, and the server must know which behaviour it has before it opens a data dir.
	InfoModule = "nizepack:pglite-info"
	// PGvectorPackage is pgvector for PGlite 0.5.x and later.
	PGvectorPackage = "@electric-sql/pglite-pgvector"
	// pgliteVectorExport is pgvector inside PGlite 0.3.x.
	pgliteVectorExport = "./vector"
)

// seedDirective is how an entry declares that it reads the seed bundle-pglite makes, and in
// which format: a line `nizepack-pglite-server: seed-format=N` in its source (the canonical
// server has one). An entry without it gets no seed.
var seedDirective = regexp.MustCompile(`nizepack-pglite-server:\s*seed-format=(\d+)`)

// readsSeeds reports whether the entry source declares the seed format this bundler makes.
func readsSeeds(source []byte) bool {
	m := seedDirective.FindSubmatch(source)
	if m == nil {
		return false
	}
	n, err := strconv.Atoi(string(m[1]))
	return err == nil && n == seedFormat
}

// PeerMismatchError is a bundled package whose peer dependency the installed set does not
// satisfy, e.g. pglite-socket 0.2.17 (peer @electric-sql/pglite 0.5.14) beside PGlite 0.3.15.
type PeerMismatchError struct {
	Package, Version string // the package that declares the peer
	Peer, Wants      string // the peer and the range it asks for
	Installed        string // the peer's installed version
	Dir              string // the installed peer's package dir
}

func (e *PeerMismatchError) Error() string {
	return fmt.Sprintf("%s %s needs %s %s, but %s %s is installed in %s: they cannot run together (PGlite would open no data dir)", e.Package, e.Version, e.Peer, e.Wants, e.Peer, e.Installed, e.Dir)
}

// NoVectorError is an installed PGlite without a pgvector that goes with it.
type NoVectorError struct {
	PGlite string // the installed @electric-sql/pglite version
	Dir    string // where it is installed
	// PGvector and Wants describe an installed @electric-sql/pglite-pgvector made for another
	// PGlite ("" when none is installed).
	PGvector, Wants string
}

func (e *NoVectorError) Error() string {
	if e.PGvector != "" {
		return fmt.Sprintf("PGlite %s in %s has no pgvector of its own, and the installed %s %s is for @electric-sql/pglite %s", e.PGlite, e.Dir, PGvectorPackage, e.PGvector, e.Wants)
	}
	return fmt.Sprintf("PGlite %s in %s has no pgvector of its own and %s is not installed", e.PGlite, e.Dir, PGvectorPackage)
}

// packageJSON is what the bundler reads of an installed package.
type packageJSON struct {
	Version string                     `json:"version"`
	Exports map[string]json.RawMessage `json:"exports"`
	Peers   map[string]string          `json:"peerDependencies"`
}

func readPackageJSON(dir string) (*packageJSON, error) {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		// "exports" may be a string; only the version and peers matter then.
		var loose struct {
			Version string            `json:"version"`
			Peers   map[string]string `json:"peerDependencies"`
		}
		if err := json.Unmarshal(data, &loose); err != nil {
			return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, "package.json"), err)
		}
		pj = packageJSON{Version: loose.Version, Peers: loose.Peers}
	}
	return &pj, nil
}

// installedPackage finds a package the way Node resolves it from dir (see InstalledFile).
func installedPackage(dir, name string) (string, bool) {
	p, ok := InstalledFile(dir, name+"/package.json")
	return filepath.Dir(p), ok
}

// InstalledFile finds a file of an installed package the way Node resolves packages from dir:
// dir/node_modules/REL, then each parent's (npm workspaces hoist packages to the repository
// root). rel is slash-separated, e.g. "mcp-remote/dist/proxy.js".
func InstalledFile(dir, rel string) (string, bool) {
	for {
		p := filepath.Join(dir, "node_modules", filepath.FromSlash(rel))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// satisfies reports whether version meets an npm range; a range it cannot read counts as met
// (npm checked it at install time), a version it cannot read as not met.
func satisfies(version, npmRange string) bool {
	c, err := semver.NewConstraint(npmRange)
	if err != nil {
		return true
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	return c.Check(v)
}

// vectorImport picks the pgvector that goes with the PGlite installed for pkgDir: the
// pglite-pgvector package when it is installed and made for that PGlite, else PGlite's own
// ./vector export (0.3.x).
func vectorImport(pkgDir string) (string, error) {
	pgliteDir, ok := installedPackage(pkgDir, PGlitePackage)
	if !ok {
		return "", &MissingPackageError{Package: PGlitePackage, Dir: pkgDir}
	}
	pglite, err := readPackageJSON(pgliteDir)
	if err != nil {
		return "", err
	}
	nv := &NoVectorError{PGlite: pglite.Version, Dir: pkgDir}
	if dir, ok := installedPackage(pkgDir, PGvectorPackage); ok {
		pv, err := readPackageJSON(dir)
		if err != nil {
			return "", err
		}
		wants, pinned := pv.Peers[PGlitePackage]
		if !pinned || satisfies(pglite.Version, wants) {
			return PGvectorPackage, nil
		}
		nv.PGvector, nv.Wants = pv.Version, wants
	}
	if _, ok := pglite.Exports[pgliteVectorExport]; ok {
		return PGlitePackage + "/vector", nil
	}
	return "", nv
}

// infoPlugin serves InfoModule: the version of the PGlite installed for pkgDir.
func infoPlugin(pkgDir string, failed *error) api.Plugin {
	return api.Plugin{
		Name: "nizepack-pglite-info",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: "^" + regexp.QuoteMeta(InfoModule) + "$"}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				return api.OnResolveResult{Path: InfoModule, Namespace: "nizepack"}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: "nizepack"}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
				dir, ok := installedPackage(pkgDir, PGlitePackage)
				if !ok {
					*failed = &MissingPackageError{Package: PGlitePackage, Dir: pkgDir}
					return api.OnLoadResult{}, *failed
				}
				pj, err := readPackageJSON(dir)
				if err != nil {
					*failed = err
					return api.OnLoadResult{}, err
				}
				js := fmt.Sprintf("export const pgliteVersion = %q;\n", pj.Version)
				return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS}, nil
			})
		},
	}
}

// vectorPlugin resolves VectorModule for the canonical server. Why it could not is kept in
// *failed, so Build returns the typed error rather than esbuild's text of it.
func vectorPlugin(pkgDir string, failed *error) api.Plugin {
	return api.Plugin{
		Name: "nizepack-pglite-vector",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: "^" + regexp.QuoteMeta(VectorModule) + "$"}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				spec, err := vectorImport(pkgDir)
				if err != nil {
					*failed = err // esbuild resolves this one import once, on one goroutine
					return api.OnResolveResult{}, err
				}
				r := b.Resolve(spec, api.ResolveOptions{ResolveDir: pkgDir, Kind: args.Kind})
				if len(r.Errors) > 0 {
					return api.OnResolveResult{Errors: r.Errors}, nil
				}
				return api.OnResolveResult{Path: r.Path, Namespace: r.Namespace, SideEffects: api.SideEffectsTrue}, nil
			})
		},
	}
}

// checkPeers refuses a bundle whose packages disagree: every peer dependency a bundled package
// declares on another bundled package must be met by the copy that was bundled.
func checkPeers(pkgDir string, dirs map[string]string) error {
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	versions := map[string]string{}
	peers := map[string]map[string]string{}
	for _, n := range names {
		pj, err := readPackageJSON(dirs[n])
		if err != nil {
			continue // packageVersion already says "unknown"
		}
		versions[n], peers[n] = pj.Version, pj.Peers
	}
	for _, n := range names {
		peerNames := make([]string, 0, len(peers[n]))
		for p := range peers[n] {
			peerNames = append(peerNames, p)
		}
		sort.Strings(peerNames)
		for _, peer := range peerNames {
			installed, bundled := versions[peer]
			if !bundled || satisfies(installed, peers[n][peer]) {
				continue
			}
			return &PeerMismatchError{Package: n, Version: versions[n], Peer: peer, Wants: peers[n][peer], Installed: installed, Dir: dirs[peer]}
		}
	}
	return nil
}

// shippedAsset finds an asset an app's own source expects beside itself (the app's old build
// script copied it next to the bundle) in the dist of an installed PGlite package, the way
// Node resolves packages from the source's dir: "" when none ships one of that name.
func shippedAsset(sourceDir, name string) string {
	for dir := sourceDir; ; {
		matches, _ := filepath.Glob(filepath.Join(dir, "node_modules", "@electric-sql", "pglite*", "dist", name))
		sort.Slice(matches, func(i, j int) bool { return len(matches[i]) < len(matches[j]) }) // pglite itself first
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
				return m
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// EntryReadsSeeds reports whether the server entry declares that it reads the seed Build makes
// (a `nizepack-pglite-server: seed-format=N` line of this bundler's format); "" is the canonical
// server, which does. Build makes a seed only for such an entry.
func EntryReadsSeeds(entry string) (bool, error) {
	if entry == "" {
		return readsSeeds(canonicalServer), nil
	}
	src, err := os.ReadFile(entry)
	if err != nil {
		return false, &InputError{Input: InputEntry, Path: entry, Problem: "is not a readable file"}
	}
	return readsSeeds(src), nil
}
