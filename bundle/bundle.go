// Package bundle builds the PGlite server that Nize Desktop ships: one ESM file bundled with the
// esbuild Go API (in process, never npx) plus every runtime asset its sources load through
// `new URL("<relative>", import.meta.url)`, discovered rather than listed. The output dir is
// replaced as a whole, keeps files nizepack did not write, and carries a manifest that makes an
// unchanged second run a no-op.
//
//	res, err := bundle.Build(ctx, bundle.Options{
//		Entry: "scripts/pglite-server.mjs", PackageDir: ".", Out: "resources/pglite", NodeMajor: 24,
//	})
//	// res.Files: pglite-server.mjs and the assets it loads; res.UpToDate on an unchanged rerun
package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/nize/nizepack/report"
)

const (
	// ServerFile is the bundle's name in the output dir.
	ServerFile = "pglite-server.mjs"
	// ManifestFile lists what nizepack wrote into the output dir.
	ManifestFile = "nizepack-manifest.json"
	// largeBundle is the size above which the .mjs earns a warning.
	largeBundle = 5 << 20

	// formatVersion changes whenever nizepack would produce different output from the same
	// inputs, so upgrading nizepack invalidates "up to date".
	formatVersion = 1
	// embeddedEntryName is how the embedded entry appears in messages and the manifest.
	embeddedEntryName = "(embedded) pglite-server.mjs"
)

// Options say what to bundle and where.
type Options struct {
	// Entry is the server entry file; empty means the embedded canonical server.
	Entry string
	// PackageDir is where the entry's packages resolve from (its node_modules). Required.
	PackageDir string
	// Out is the output dir, replaced as a whole. Required.
	Out string
	// NodeMajor is the pinned Node major version, esbuild's engine target.
	NodeMajor int
	// Minify and Sourcemap are esbuild's options; Sourcemap writes pglite-server.mjs.map.
	Minify, Sourcemap bool
	// Seed, when Seed.Node is set, also makes SeedFile: the data dir a first start creates,
	// so the server's first start unpacks it instead of running initdb. The zero value makes
	// none. An unchanged bundle keeps its seed without running Node.
	Seed Seed
	// Force rebuilds even when the output is up to date (and remakes the seed).
	Force bool
	// File is the bundle's name in Out; "" means ServerFile (the PGlite server). Other JS
	// bundles an app ships (mcp-remote) set their own.
	File string
	// Banner goes at the top of the bundle. When it is "", an ESM bundle whose code calls
	// require() at run time (esbuild then emits a shim that throws `Dynamic require of "path" is
	// not supported`) gets RequireBanner, so CommonJS packages bundled as ESM keep working.
	Banner string
	// Platform is esbuild's platform: "node" (the default), "neutral" or "browser".
	Platform string
	// Reporter receives progress; nil means none.
	Reporter report.Reporter
}

// Result describes the output dir after a run.
type Result struct {
	Out      string            `json:"out"`
	UpToDate bool              `json:"up_to_date"`
	Entry    string            `json:"entry"`
	Target   string            `json:"target"`
	Packages map[string]string `json:"packages"`
	Files    []File            `json:"files"`
	// Seed is the seed in Out (also listed in Files), nil when there is none.
	Seed *SeedInfo `json:"seed,omitempty"`
	// ReadsSeeds is whether the entry declares that it reads the seed this bundler makes
	// (the canonical server does); only then does Options.Seed make one.
	ReadsSeeds bool `json:"reads_seeds"`
	// RequireBanner is whether the bundle got RequireBanner because its code calls require().
	RequireBanner bool `json:"require_banner,omitempty"`
}

// RequireBanner defines require() in an ESM bundle for the CommonJS code in it.
const RequireBanner = `import { createRequire as __nizepackCreateRequire } from "module"; const require = __nizepackCreateRequire(import.meta.url);`

// dynamicRequire is the text of esbuild's shim for a require() it could not bundle.
const dynamicRequire = `Dynamic require of "`

// File is one file nizepack wrote into the output dir.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Source is where an asset was copied from, relative to the package dir.
	Source string `json:"source,omitempty"`
}

// Input names one of the paths Options gives.
type Input string

const (
	InputEntry      Input = "entry"       // Options.Entry
	InputPackageDir Input = "package dir" // Options.PackageDir
	InputOut        Input = "output"      // Options.Out
	// InputSeedDatabase is Options.Seed.Database (a name, not a path).
	InputSeedDatabase Input = "seed database"
)

// InputError is a path in Options that cannot be used as given.
type InputError struct {
	Input   Input
	Path    string
	Problem string // e.g. "is not a directory"
}

func (e *InputError) Error() string { return fmt.Sprintf("%s %s %s", e.Input, e.Path, e.Problem) }

// databaseName is what the canonical server accepts as --database.
var databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$-]{0,62}$`)

// MissingPackageError is a package the entry imports that is not installed.
type MissingPackageError struct {
	Package, Dir string
}

func (e *MissingPackageError) Error() string {
	return fmt.Sprintf("cannot resolve %s from %s", e.Package, e.Dir)
}

// Build builds the server into opts.Out, or reports it up to date.
func Build(ctx context.Context, opts Options) (*Result, error) {
	rep := report.Or(opts.Reporter)
	if opts.Out == "" || opts.PackageDir == "" {
		return nil, errors.New("bundle: Out and PackageDir are required")
	}
	if opts.NodeMajor <= 0 {
		return nil, fmt.Errorf("bundle: Node major version %d is not a version", opts.NodeMajor)
	}
	pkgDir, err := filepath.Abs(opts.PackageDir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(pkgDir); err != nil || !st.IsDir() {
		return nil, &InputError{Input: InputPackageDir, Path: pkgDir, Problem: "is not a directory"}
	}
	out, err := absOut(opts.Out)
	if err != nil {
		return nil, err
	}
	entry := ""
	if opts.Entry != "" {
		if entry, err = filepath.Abs(opts.Entry); err != nil {
			return nil, err
		}
		if st, err := os.Stat(entry); err != nil || !st.Mode().IsRegular() {
			return nil, &InputError{Input: InputEntry, Path: entry, Problem: "is not a readable file"}
		}
	}
	outFile := opts.File
	if outFile == "" {
		outFile = ServerFile
	}
	platform := api.PlatformNode
	switch opts.Platform {
	case "", "node":
	case "neutral":
		platform = api.PlatformNeutral
	case "browser":
		platform = api.PlatformBrowser
	default:
		return nil, fmt.Errorf("bundle: platform %q is not node, neutral or browser", opts.Platform)
	}
	s := settings{
		Format:     formatVersion,
		Esbuild:    esbuildVersion(),
		Target:     "node" + strconv.Itoa(opts.NodeMajor),
		Minify:     opts.Minify,
		Sourcemap:  opts.Sourcemap,
		Entry:      entry,
		PackageDir: pkgDir,
		Output:     fmt.Sprintf("file=%s platform=%s banner=%q", outFile, opts.Platform, opts.Banner),
	}
	if entry == "" {
		s.EmbeddedSHA256 = embeddedSHA256
	}
	source := canonicalServer
	if entry != "" {
		if source, err = os.ReadFile(entry); err != nil {
			return nil, &InputError{Input: InputEntry, Path: entry, Problem: "is not a readable file"}
		}
	}
	entryReadsSeeds := readsSeeds(source)
	seedDB := ""
	if opts.Seed.Node != "" && entryReadsSeeds {
		if seedDB = opts.Seed.Database; seedDB == "" {
			seedDB = DefaultSeedDatabase
		}
		if !databaseName.MatchString(seedDB) {
			return nil, &InputError{Input: InputSeedDatabase, Path: seedDB, Problem: "is not a database name the server accepts (letters, digits, _, $ or -, at most 63, not starting with a digit)"}
		}
	}

	if err := recoverSwap(out, rep); err != nil { // a run killed mid-swap: finish or roll back first
		return nil, err
	}
	old := readManifest(out)
	if !opts.Force && old != nil && seedCurrent(old, seedDB) {
		if res, ok := upToDate(out, pkgDir, s, old); ok {
			res.ReadsSeeds = entryReadsSeeds
			return res, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	entryName := embeddedEntryName
	if entry != "" {
		entryName = entry
	}
	rep.Infof("bundling %s for %s", entryName, s.Target)
	reserved := []string{outFile, outFile + ".map", ManifestFile}
	assets := newAssetCollector(reserved...)
	var vectorErr, infoErr error
	build := api.BuildOptions{
		Bundle:            true,
		Platform:          platform,
		Format:            api.FormatESModule,
		Engines:           []api.Engine{{Name: api.EngineNode, Version: strconv.Itoa(opts.NodeMajor)}},
		Outfile:           filepath.Join(out, outFile),
		Write:             false,
		Metafile:          true,
		AbsWorkingDir:     pkgDir,
		NodePaths:         []string{filepath.Join(pkgDir, "node_modules")},
		MinifyWhitespace:  opts.Minify,
		MinifyIdentifiers: opts.Minify,
		MinifySyntax:      opts.Minify,
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{vectorPlugin(pkgDir, &vectorErr), infoPlugin(pkgDir, &infoErr), assets.plugin()},
		EntryPoints:       []string{entry},
	}
	if opts.Sourcemap {
		build.Sourcemap = api.SourceMapLinked
	}
	if entry == "" {
		// The embedded folder (server.go): the entry and its modules come from nizepack itself.
		build.EntryPoints = []string{embeddedEntryName}
		build.Plugins = append([]api.Plugin{serverPlugin(pkgDir)}, build.Plugins...)
	}
	if opts.Banner != "" {
		build.Banner = map[string]string{"js": opts.Banner}
	}
	br := api.Build(build)
	for _, err := range []error{vectorErr, infoErr} {
		if err != nil {
			return nil, err
		}
	}
	if len(br.Errors) > 0 {
		return nil, buildError(entryName, pkgDir, br.Errors)
	}
	requireBanner := false
	if opts.Banner == "" && build.Format == api.FormatESModule && platform == api.PlatformNode && outputContains(br.OutputFiles, outFile, dynamicRequire) {
		// CommonJS code calling require() at run time: give the ESM bundle a require.
		rep.Infof("%s calls require() at run time: adding a createRequire banner", outFile)
		build.Banner = map[string]string{"js": RequireBanner}
		assets = newAssetCollector(reserved...)
		build.Plugins[len(build.Plugins)-1] = assets.plugin() // a fresh collector; the others as they were
		if br = api.Build(build); len(br.Errors) > 0 {
			return nil, buildError(entryName, pkgDir, br.Errors)
		}
		requireBanner = true
	}
	for _, w := range br.Warnings {
		rep.Warnf("esbuild: %s", formatMessage(pkgDir, w))
	}
	for _, n := range assets.notes {
		rep.Infof("%s", n)
	}

	// Inputs: every source esbuild read, every asset, and npm's record of the install.
	inputs, packages, packageDirs, err := collectInputs(pkgDir, br.Metafile, assets.list())
	if err != nil {
		return nil, err
	}
	if err := checkPeers(pkgDir, packageDirs); err != nil {
		return nil, err
	}
	s.Inputs = inputs

	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".nizepack-tmp-")
	if err != nil {
		return nil, fmt.Errorf("creating a temp dir beside %s: %w", out, err)
	}
	keepTmp := false
	defer func() {
		if !keepTmp {
			os.RemoveAll(tmp)
		}
	}()
	mode := fs.FileMode(0o755)
	if st, err := os.Stat(out); err == nil {
		mode = st.Mode().Perm() // a replaced dir keeps its permissions
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return nil, err
	}

	var files []File
	for _, f := range br.OutputFiles {
		name := filepath.Base(f.Path)
		if err := writeFile(filepath.Join(tmp, name), f.Contents); err != nil {
			return nil, err
		}
		files = append(files, File{Name: name, Size: int64(len(f.Contents)), SHA256: sha256Hex(f.Contents)})
		if name == outFile && len(f.Contents) > largeBundle {
			rep.Warnf("%s is %.1f MiB, over %d MiB: check that no large file was inlined into it", outFile, float64(len(f.Contents))/(1<<20), largeBundle>>20)
		}
	}
	for _, a := range assets.list() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sum, err := copyFile(a.Source, filepath.Join(tmp, a.Name))
		if err != nil {
			return nil, err
		}
		if sum != a.SHA256 {
			return nil, fmt.Errorf("asset %s changed while it was being copied; run again", a.Source)
		}
		files = append(files, File{Name: a.Name, Size: a.Size, SHA256: a.SHA256, Source: relSlash(pkgDir, a.Source)})
	}
	var seed *SeedInfo
	if seedDB != "" {
		key := seedKey(files, packages, seedDB)
		seed = &SeedInfo{File: SeedFile, Database: seedDB, PGlite: packages[PGlitePackage], Key: key}
		f, reused := (*File)(nil), false
		if !opts.Force {
			f, reused = reuseSeed(out, old, key, tmp)
		}
		if reused {
			rep.Infof("keeping the PGlite seed (database %s): the bundle and PGlite %s are unchanged", seedDB, seed.PGlite)
			seed.Reused = true
		} else {
			rep.Infof("making the PGlite seed (database %s) by running the new bundle with %s", seedDB, opts.Seed.Node)
			began := time.Now()
			if f, err = makeSeed(ctx, opts.Seed, seedDB, tmp, packages); err != nil {
				return nil, err
			}
			seed.Made = time.Since(began)
			rep.Infof("made %s (%.1f MiB) in %s", SeedFile, float64(f.Size)/(1<<20), seed.Made.Round(100*time.Millisecond))
		}
		files = append(files, *f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })

	m := &manifest{
		Tool:     "nizepack bundle-pglite",
		Format:   formatVersion,
		Key:      s.key(),
		Target:   s.Target,
		Entry:    entryLabel(entry, pkgDir),
		Packages: packages,
		Files:    files,
		Inputs:   inputs,
	}
	if seed != nil {
		ms := *seed
		ms.Reused, ms.Made = false, 0
		m.Seed = &ms
	}
	if err := writeManifest(filepath.Join(tmp, ManifestFile), m); err != nil {
		return nil, err
	}
	ours := map[string]bool{}
	if old != nil {
		for _, f := range old.Files {
			ours[f.Name] = true
		}
	}
	if err := swapIn(tmp, out, ours, rep); err != nil {
		return nil, err
	}
	keepTmp = true // it is the output now
	return &Result{Out: out, Entry: m.Entry, Target: s.Target, Packages: packages, Files: files, Seed: seed, ReadsSeeds: entryReadsSeeds, RequireBanner: requireBanner}, nil
}

// outputContains reports whether esbuild's output file name holds text.
func outputContains(files []api.OutputFile, name, text string) bool {
	for _, f := range files {
		if filepath.Base(f.Path) == name && strings.Contains(string(f.Contents), text) {
			return true
		}
	}
	return false
}

// absOut makes out absolute and follows a symlinked output dir to the real one.
func absOut(out string) (string, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return "", &InputError{Input: InputOut, Path: abs, Problem: "exists and is not a directory"}
	}
	return abs, nil
}

func entryLabel(entry, pkgDir string) string {
	if entry == "" {
		return embeddedEntryName
	}
	return relSlash(pkgDir, entry)
}

// relSlash is path relative to base with forward slashes, or path itself when not relative.
func relSlash(base, path string) string {
	r, err := filepath.Rel(base, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(r)
}

var couldNotResolve = regexp.MustCompile(`^Could not resolve "([^"]+)"`)

// buildError turns esbuild's messages into one error: a missing package as the sentence that
// says how to fix it, anything else as file:line:col: text.
func buildError(entry, pkgDir string, msgs []api.Message) error {
	for _, m := range msgs {
		if sm := couldNotResolve.FindStringSubmatch(m.Text); sm != nil && isBareSpecifier(sm[1]) {
			return &MissingPackageError{Package: packageName(sm[1]), Dir: pkgDir}
		}
	}
	text := formatMessage(pkgDir, msgs[0])
	if len(msgs) > 1 {
		text += fmt.Sprintf(" (and %d more)", len(msgs)-1)
	}
	return fmt.Errorf("bundling %s: %s", entry, text)
}

// formatMessage prints an esbuild message as file:line:col: text, with the file made absolute
// (esbuild names files relative to its working dir, the package dir).
func formatMessage(pkgDir string, m api.Message) string {
	if m.Location == nil {
		return m.Text
	}
	file := m.Location.File
	if m.Location.Namespace == serverNamespace {
		file = embeddedLabel(strings.TrimPrefix(file, serverNamespace+":"))
	} else if file != embeddedEntryName && !filepath.IsAbs(file) {
		file = filepath.Join(pkgDir, filepath.FromSlash(file))
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, m.Location.Line, m.Location.Column+1, m.Text)
}

func isBareSpecifier(s string) bool {
	return !strings.HasPrefix(s, ".") && !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "node:") && !filepath.IsAbs(s)
}

// packageName cuts a bare import down to its package: "@scope/pkg/sub" → "@scope/pkg".
func packageName(spec string) string {
	parts := strings.Split(spec, "/")
	if strings.HasPrefix(spec, "@") && len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// esbuildVersion is the esbuild module nizepack was built with.
func esbuildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/evanw/esbuild" {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}

// collectInputs lists the files the bundle was made from with their hashes, and the versions of
// the npm packages they belong to.
func collectInputs(pkgDir, metafile string, assets []*asset) ([]File, map[string]string, map[string]string, error) {
	var meta struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(metafile), &meta); err != nil {
		return nil, nil, nil, fmt.Errorf("reading esbuild's metafile: %w", err)
	}
	paths := map[string]bool{}
	for p := range meta.Inputs {
		if p == embeddedEntryName || strings.HasPrefix(p, "<") || strings.Contains(p, ":") && !filepath.IsAbs(p) {
			continue // stdin or another namespace
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(pkgDir, filepath.FromSlash(p))
		}
		paths[p] = true
	}
	for _, a := range assets {
		paths[a.Source] = true
	}
	for _, lock := range lockFiles(pkgDir, paths) {
		paths[lock] = true
	}
	packages, dirs := map[string]string{}, map[string]string{}
	var inputs []File
	for p := range paths {
		sum, size, err := hashFile(p)
		if err != nil {
			return nil, nil, nil, err
		}
		inputs = append(inputs, File{Name: relSlash(pkgDir, p), Size: size, SHA256: sum})
		if name, dir, ok := packageOf(p); ok {
			if _, done := packages[name]; !done {
				packages[name], dirs[name] = packageVersion(dir), dir
			}
		}
	}
	sort.Slice(inputs, func(i, j int) bool { return inputs[i].Name < inputs[j].Name })
	return inputs, packages, dirs, nil
}

// lockFiles are npm's records of what is installed, so a changed install changes the inputs:
// the package dir's package-lock.json, and the node_modules/.package-lock.json npm wrote beside
// every package the bundle read from (with npm workspaces, the one at the repository root:
// the packages are hoisted there).
func lockFiles(pkgDir string, inputs map[string]bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	add(filepath.Join(pkgDir, "node_modules", ".package-lock.json"))
	add(filepath.Join(pkgDir, "package-lock.json"))
	for p := range inputs {
		slash := filepath.ToSlash(p)
		if i := strings.LastIndex(slash, "/node_modules/"); i >= 0 {
			add(filepath.FromSlash(slash[:i+len("/node_modules/")] + ".package-lock.json"))
		}
	}
	sort.Strings(out)
	return out
}

// packageOf finds the npm package a file in node_modules belongs to.
func packageOf(path string) (name, dir string, ok bool) {
	slash := filepath.ToSlash(path)
	i := strings.LastIndex(slash, "/node_modules/")
	if i < 0 {
		return "", "", false
	}
	rest := strings.Split(slash[i+len("/node_modules/"):], "/")
	n := 1
	if strings.HasPrefix(rest[0], "@") {
		n = 2
	}
	if len(rest) <= n {
		return "", "", false
	}
	name = strings.Join(rest[:n], "/")
	return name, filepath.FromSlash(slash[:i+len("/node_modules/")] + name), true
}

func packageVersion(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "unknown"
	}
	var pj struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(data, &pj) != nil || pj.Version == "" {
		return "unknown"
	}
	return pj.Version
}

// EntryPackageDir is the entry's package: the nearest folder at or above the entry's folder
// holding a package.json, or "" when there is none.
func EntryPackageDir(entry string) string {
	for dir := filepath.Dir(entry); ; {
		if st, err := os.Stat(filepath.Join(dir, "package.json")); err == nil && st.Mode().IsRegular() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
