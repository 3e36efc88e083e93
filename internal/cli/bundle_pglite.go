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
)

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
		Long: `Bundles the PGlite server entry (--entry, else the app's ` + nize.AppEntry + `,
else the canonical server embedded in nizepack) into <out>/` + bundle.ServerFile + ` with the esbuild Go API
(ESM, platform node, engine = the pinned Node major), and copies every file its sources load with
new URL("<relative>", import.meta.url) beside it. <out> defaults to the Tauri dir's resources/pglite/
and is replaced as a whole; files nizepack did not write stay. Unchanged inputs: "up to date".

It also makes ` + bundle.SeedFile + `, the data dir a first start creates (initdb done, the
--seed-database created with pgvector), by running the new bundle once with Node (--node, else
the Tauri dir's binaries/node-<host triple>, else node on PATH). The server unpacks it on a first
start with that --database instead of running initdb. An unchanged bundle keeps its seed without
running Node; without any Node the bundle has no seed (warned).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return jsonOnFailure(s, o.json, runBundlePglite(cmd, s, g, o))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.entry, "entry", "", "server entry file (default: "+nize.AppEntry+" when present, else nizepack's canonical server)")
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
	opts.Entry, opts.PackageDir = locateEntry(wd, o.entry, o.packageDir)
	if opts.Out = o.out; o.out == "" {
		if opts.Out, err = tauriSubdir(o.config, filepath.FromSlash(nize.BundleDir), "--out"); err != nil {
			return err
		}
	}
	if opts.NodeMajor, err = bundleNodeMajor(s, g); err != nil {
		return err
	}
	opts.Minify, opts.Sourcemap, opts.Force = o.minify, o.sourcemap, o.force
	opts.Reporter = newReporter(s, g)
	if opts.Seed, err = o.seedFlags.resolve(opts.Reporter, optionalTauriDir(), ""); err != nil {
		return err
	}
	res, err := bundle.Build(cmd.Context(), opts)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(s.Out, res)
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
func locateEntry(wd, entry, packageDir string) (string, string) {
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
	return nize.Locate(root, abs(entry), abs(packageDir))
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
