package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/verify"
	"github.com/nize/nizepack/report"
)

// entryEnv is the default of --entry, for build hooks, which take no flags.
const entryEnv = "NIZEPACK_PGLITE_ENTRY"

type bundlePgliteOptions struct {
	seedFlags
	config                   string
	entry, packageDir, out   string
	minify, sourcemap, force bool
	json                     bool
}

func newBundlePgliteCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &bundlePgliteOptions{}
	cmd := &cobra.Command{
		Use:   "bundle-pglite",
		Short: "Bundle the PGlite server with esbuild and copy its runtime assets beside it",
		Long: `Bundles the PGlite server entry (--entry, else the canonical server embedded in nizepack,
which takes the place of the app's own ` + nize.AppEntry + `: a drop-in with the same flags and
port line, which also works with the PGlite the app has installed, 0.3.x to 0.5.x) into <out>/` + bundle.ServerFile + ` with the esbuild Go API
(ESM, platform node, engine = the pinned Node major), and copies every file its sources load with
new URL("<relative>", import.meta.url) beside it. <out> defaults to the Tauri dir's resources/pglite/
and is replaced as a whole; files nizepack did not write stay. Unchanged inputs: "up to date".

For an entry that reads it (the canonical server does), it also makes ` + bundle.SeedFile + `, the data dir a first start creates (initdb done, the
--seed-database created with pgvector), by running the new bundle once with Node (--node, else
the Tauri dir's binaries/node-<host triple>, else node on PATH). The server unpacks it on a first
start with that --database instead of running initdb. An unchanged bundle keeps its seed without
running Node; without any Node the bundle has no seed (warned).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBundlePglite(cmd, s, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.entry, "entry", "", "server entry file (default: $"+entryEnv+", else nizepack's canonical server, also in place of "+nize.AppEntry+")")
	f.StringVar(&o.packageDir, "package-dir", "", "folder whose node_modules the packages resolve from (default: the entry's package, else "+nize.AppPackageDir+" when present, else the working dir)")
	f.StringVar(&o.config, "config", "", "Tauri config file whose dir gets resources/pglite (default: the Tauri dir found from the working directory)")
	f.StringVar(&o.out, "out", "", "output dir (default: <Tauri dir>/resources/pglite, or ./resources/pglite when the tree has no Tauri config)")
	f.BoolVar(&o.minify, "minify", false, "minify the bundle")
	f.BoolVar(&o.sourcemap, "sourcemap", false, "also write "+bundle.ServerFile+".map")
	f.BoolVar(&o.force, "force", false, "rebuild even when the output is up to date")
	f.BoolVar(&o.json, "json", false, "print one JSON document describing the output")
	o.seedFlags.register(f, "")
	return cmd
}

func runBundlePglite(cmd *cobra.Command, s *Streams, g *globalOptions, o *bundlePgliteOptions) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	var opts bundle.Options
	opts.Reporter = newReporter(s, g)
	var readsSeeds bool
	if opts.Entry, opts.PackageDir, readsSeeds, err = locateEntry(s, opts.Reporter, wd, o.entry, o.packageDir, !o.noSeed); err != nil {
		return err
	}
	if readsSeeds { // an entry that reads none gets none: no Node needed
		name, err := sidecarName(s, g, "")
		if err != nil {
			return err
		}
		if opts.Seed, err = o.seedFlags.resolve(opts.Reporter, optionalTauriDir(), "", name); err != nil {
			return err
		}
	}
	if opts.Out = o.out; o.out == "" {
		if opts.Out, err = tauriSubdir(o.config, filepath.FromSlash(nize.BundleDir), "--out"); err != nil {
			return err
		}
	}
	if opts.NodeMajor, err = bundleNodeMajor(s, g); err != nil {
		return err
	}
	opts.Minify, opts.Sourcemap, opts.Force = o.minify, o.sourcemap, o.force
	res, err := bundle.Build(cmd.Context(), opts)
	if err != nil {
		return err
	}
	if o.json {
		return writeDoc(s.Out, res, nil)
	}
	shown := bundleShownPath(wd, res.Out)
	var total int64
	for _, f := range res.Files {
		total += f.Size
	}
	if res.UpToDate {
		fmt.Fprintf(s.Out, "%s is up to date (%d files, %s)\n", shown, len(res.Files), bundleSize(total))
		return nil
	}
	for _, f := range res.Files {
		fmt.Fprintf(s.Out, "%10s  %s\n", bundleSize(f.Size), filepath.Join(shown, f.Name))
	}
	fmt.Fprintf(s.Out, "%10s  total, from %s\n", bundleSize(total), bundlePackagesLine(res.Packages))
	if sd := res.Seed; sd != nil {
		how := fmt.Sprintf("made in %s", sd.Made.Round(100*time.Millisecond))
		if sd.Reused {
			how = "kept: bundle and PGlite unchanged"
		}
		fmt.Fprintf(s.Out, "seed: %s holds database %s (PGlite %s), %s\n", filepath.Join(shown, sd.File), sd.Database, sd.PGlite, how)
	}
	return nil
}

// locateEntry is nize.Locate from the app's root (the working dir, or the repository root when
// run from a subfolder of the app); the paths the user typed stay relative to the working dir.
// It says which server is bundled when that is not what the app's tree suggests: the canonical
// server in place of the app's own entry, or an entry that reads no seed when one is wanted.
// An empty entry flag takes $NIZEPACK_PGLITE_ENTRY, relative to the app's root (build hooks
// have no flags, and run in a dir of their own).
func locateEntry(s *Streams, rep report.Reporter, wd, entry, packageDir string, seedWanted bool) (entryPath, pkgDir string, readsSeeds bool, err error) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(wd, p)
	}
	root := appRoot()
	if !filepath.IsAbs(root) {
		root = filepath.Join(wd, root)
	}
	entry = abs(entry)
	if env := s.getenv(entryEnv); entry == "" && env != "" {
		// Relative to the app's root: hooks run in the frontend dir or a cwd of their own.
		if entry = env; !filepath.IsAbs(env) {
			entry = filepath.Join(root, env)
		}
	}
	entryPath, pkgDir, appEntry := nize.Locate(root, entry, abs(packageDir))
	if readsSeeds, err = bundle.EntryReadsSeeds(entryPath); err != nil {
		return "", "", false, err
	}
	if appEntry != "" {
		rel := bundleShownPath(wd, appEntry)
		rep.Infof("bundling nizepack's canonical PGlite server in place of %s: a drop-in (same flags, same {\"port\": N} line) that adds %s; to bundle the app's own instead, pass --entry %s", rel, nize.CanonicalAdds, verify.ShellQuote(rel))
	}
	if entryPath != "" && seedWanted {
		if !readsSeeds {
			rep.Warnf("%s does not read nizepack's seed, so the bundle has none: the app's first start runs initdb (5–25 s instead of 1–3 s), and the entry lacks the rest of what nizepack's canonical server adds (%s); drop --entry (and %s) to bundle the canonical server, a drop-in with the same flags and port line", bundleShownPath(wd, entryPath), nize.CanonicalAdds, entryEnv)
		}
	}
	return entryPath, pkgDir, readsSeeds, nil
}

// bundleNodeMajor is the major of the pinned Node version: esbuild's engine target.
func bundleNodeMajor(s *Streams, g *globalOptions) (int, error) {
	p, err := loadPins(s, g)
	if err != nil {
		return 0, err
	}
	v, err := nodeVersion(p, "")
	if err != nil {
		return 0, err
	}
	return pins.Major(v), nil
}

func bundleShownPath(wd, p string) string {
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func bundleSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

func bundlePackagesLine(pk map[string]string) string {
	names := make([]string, 0, len(pk))
	for n := range pk {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "@" + pk[n]
	}
	return strings.Join(parts, ", ")
}
