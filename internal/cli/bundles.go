package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/report"
)

type bundlesOptions struct {
	config                   string
	minify, sourcemap, force bool
	json                     bool
}

func newBundlesCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &bundlesOptions{}
	cmd := &cobra.Command{
		Use:   "bundles [NAME...]",
		Short: "Bundle the app's other JS bundles declared in " + nize.BundlesFile + " (prepare runs them too)",
		Long: `Builds each JS bundle the app declares in ` + nize.BundlesFile + ` at its root (all, or the NAMEs
given) the way bundle-pglite builds the PGlite server: the esbuild Go API, ESM, the pinned Node
major as engine, every asset its sources load copied beside it, a manifest and an up-to-date
check, no seed. An ESM bundle whose CommonJS code calls require() at run time gets a
createRequire banner by itself. The file:

  {"bundles": [{"name": "mcp-remote", "entry": "mcp-remote/dist/proxy.js",
                "out": "resources/mcp-remote", "file": "mcp-remote.mjs"}]}

entry: a file relative to packageDir (default packages/nize-desktop, else the app root) or in
an installed package there; out: relative to the Tauri dir (default resources/<name>); file:
default <name>.mjs; platform: node (default), neutral or browser; banner: optional.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBundles(cmd, s, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "Tauri config file whose dir the outs are relative to (default: the Tauri dir found from the working directory)")
	f.BoolVar(&o.minify, "minify", false, "minify the bundles")
	f.BoolVar(&o.sourcemap, "sourcemap", false, "also write each bundle's .map")
	f.BoolVar(&o.force, "force", false, "rebuild even when up to date")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func runBundles(cmd *cobra.Command, s *Streams, g *globalOptions, o *bundlesOptions, names []string) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	tauriDir, err := tauriSubdir(o.config, ".", "--config")
	if err != nil {
		return err
	}
	declared, err := nize.LoadBundles(appRootAbs(wd), tauriDir)
	if err != nil {
		return err
	}
	major, err := bundleNodeMajor(s, g)
	if err != nil {
		return err
	}
	rep := newReporter(s, g)
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var results []*bundle.Result
	for _, d := range declared {
		if len(want) > 0 && !want[d.Name] {
			continue
		}
		delete(want, d.Name)
		res, err := bundle.Build(cmd.Context(), declaredOptions(d, major, o.minify, o.sourcemap, o.force, rep))
		if err != nil {
			return fmt.Errorf("bundling %s: %w", d.Name, err)
		}
		results = append(results, res)
	}
	for n := range want {
		return usageErrorf("no bundle named %s in %s", n, filepath.Join(appRootAbs(wd), nize.BundlesFile))
	}
	if o.json {
		return writeDoc(s.Out, map[string]any{"bundles": nonNil(results)}, nil)
	}
	if len(declared) == 0 {
		fmt.Fprintf(s.Out, "no bundles declared (%s)\n", nize.BundlesFile)
	}
	for _, res := range results {
		shown := bundleShownPath(wd, res.Out)
		if res.UpToDate {
			fmt.Fprintf(s.Out, "%s is up to date (%d files)\n", shown, len(res.Files))
			continue
		}
		for _, f := range res.Files {
			fmt.Fprintf(s.Out, "%10s  %s\n", bundleSize(f.Size), filepath.Join(shown, f.Name))
		}
	}
	return nil
}

// declaredOptions are the bundle.Options of a declared bundle.
func declaredOptions(d nize.DeclaredBundle, nodeMajor int, minify, sourcemap, force bool, rep report.Reporter) bundle.Options {
	return bundle.Options{
		Entry: d.Entry, PackageDir: d.PackageDir, Out: d.Out, File: d.File, Banner: d.Banner, Platform: d.Platform,
		NodeMajor: nodeMajor, Minify: minify, Sourcemap: sourcemap, Force: force, Reporter: rep,
	}
}

// appRootAbs is the app's root (the working dir, or the repository root from a subfolder),
// absolute.
func appRootAbs(wd string) string {
	root := appRoot()
	if !filepath.IsAbs(root) {
		root = filepath.Join(wd, root)
	}
	return root
}
