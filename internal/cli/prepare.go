package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/prepare"
	"github.com/nize/nizepack/internal/smoke"
	"github.com/nize/nizepack/sidecars"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

type prepareOptions struct {
	fetchFlags
	seedFlags
	config         string
	cargoTargetDir string
	profile        string
	bins           []string
	skipSidecars   bool
	smoke          bool
	entry          string
	packageDir     string
	minify         bool
	sourcemap      bool
	force          bool
	json           bool
}

func newPrepareCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &prepareOptions{}
	cmd := &cobra.Command{
		Use:   "prepare [PLATFORM]",
		Short: "Do everything for one target: tauri, fetch-node, bundle-pglite, sidecars, verify (and smoke)",
		Long: `The one CI step: rewrites the Tauri config (tauri), installs the verified Node binary
(fetch-node), bundles the PGlite server (bundle-pglite), installs the Rust sidecars (sidecars,
unless --skip-sidecars for runs before the Rust build), then checks the result (verify), and with
--smoke runs the bundle with the fetched node when PLATFORM is the host. Run it from the app root;
no PLATFORM means host. A second run with nothing changed rewrites nothing.

Ends with one summary: what each step wrote, sizes and time (--json: one document). Under GitHub
Actions each step is a ::group::, written paths go to $GITHUB_OUTPUT and a table to
$GITHUB_STEP_SUMMARY. A failure names the step; earlier steps' outputs stay as written.`,
		Example: `  nizepack prepare macos-arm64
  nizepack prepare --skip-sidecars
  nizepack prepare linux-x86_64 --cache-dir ~/.cache/nizepack --smoke`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPrepare(cmd, s, g, o, args)
		},
	}
	f := cmd.Flags()
	o.fetchFlags.register(f, "fetch-node/fetch-bun: ", nodeSpec, bunSpec)
	f.StringVar(&o.config, "config", "", "Tauri config file (default: the Tauri dir found under the working directory)")
	f.StringVar(&o.cargoTargetDir, "cargo-target-dir", "", "sidecars: cargo's target dir (default: $CARGO_TARGET_DIR, else ./target)")
	f.StringVar(&o.profile, "profile", "release", "sidecars: cargo profile")
	f.StringSliceVar(&o.bins, "bin", nil, "sidecars: binary name to copy (repeatable; default: the config's externalBin entries except node)")
	f.BoolVar(&o.skipSidecars, "skip-sidecars", false, "skip the sidecars step (before the Rust build); verify then leaves them out")
	f.BoolVar(&o.smoke, "smoke", false, "finally run the bundled server with the fetched node and query it (host only)")
	f.StringVar(&o.entry, "entry", "", "bundle-pglite: server entry (default: $"+entryEnv+", else nizepack's canonical server, also in place of the app's own)")
	f.StringVar(&o.packageDir, "package-dir", "", "bundle-pglite: folder whose node_modules the packages resolve from")
	f.BoolVar(&o.minify, "minify", false, "bundle-pglite: minify the bundle")
	f.BoolVar(&o.sourcemap, "sourcemap", false, "bundle-pglite: also write pglite-server.mjs.map")
	f.BoolVar(&o.force, "force", false, "bundle-pglite: rebuild even when the output is up to date")
	o.seedFlags.register(f, "bundle-pglite: ")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func runPrepare(cmd *cobra.Command, s *Streams, g *globalOptions, o *prepareOptions, args []string) error {
	t, err := platformArg(args)
	if err != nil {
		return err
	}
	var tauriDir string
	if o.config != "" {
		if tauriDir, err = configDir(o.config); err != nil {
			return err
		}
	} else if tauriDir, err = requireTauriDir("prepare"); err != nil {
		return err
	}
	// The runtime the app ships (binaries/bun, else node, which the tauri step adds).
	spec := shippedRuntime(o.config, tauriDir, t)
	fetchOpts, nodeReq, p, err := o.fetchFlags.options(s, g, spec)
	if err != nil {
		return err
	}
	// esbuild's engine is the Node major whichever runtime ships (Bun runs Node's modules);
	// --node-version applies to it.
	nodeFlag := ""
	if v := o.fetchFlags.versions[fetch.Node.Base]; v != nil {
		nodeFlag = *v
	}
	nodePin, err := nodeVersion(p, nodeFlag)
	if err != nil {
		return err
	}
	nodeVersionPin := pins.Major(nodePin)
	// The runtime's sidecar: node's under its NODE_SIDECAR_NAME, else bun.
	runtimeName := spec.rt.Base
	if spec.rt == fetch.Node && nodeReq.Name != "" {
		runtimeName = nodeReq.Name
	}
	migration := nize.MigrationFor(runtimeName) // bun: already listed
	if spec.rt == fetch.Node {
		migration = nize.Migration(runtimeName) // a renamed node sidecar's old entry renamed too
	}
	rep := newReporter(s, g)
	opts := prepare.Options{
		Target:     t,
		TauriDir:   tauriDir,
		ConfigPath: o.config,
		Tauri:      migration,
		Fetch:      fetchOpts,
		Node:       nodeReq,
		Report:     rep,
	}
	if t.GOOS == "darwin" {
		// Notarized apps run under the hardened runtime; node and bun need these to start there.
		opts.Tauri.Entitlements, opts.Tauri.Grant = nize.EntitlementsFile, nize.NodeEntitlements()
	}

	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	opts.Bundle.NodeMajor = nodeVersionPin
	opts.Bundle.Minify, opts.Bundle.Sourcemap, opts.Bundle.Force = o.minify, o.sourcemap, o.force
	opts.Bundle.Reporter = rep
	// The seed is made with the runtime the fetch step installs just before, when it runs here.
	hostNode := ""
	if smoke.Runnable(t) == nil {
		hostNode = nize.RuntimeSidecar(opts.TauriDir, runtimeName, t)
	}
	var readsSeeds bool
	if opts.Bundle.Entry, opts.Bundle.PackageDir, readsSeeds, err = locateEntry(s, rep, wd, o.entry, o.packageDir, !o.noSeed); err != nil {
		return err
	}
	if readsSeeds { // an entry that reads none gets none: no runtime needed
		if opts.Bundle.Seed, err = o.seedFlags.resolve(rep, opts.TauriDir, hostNode, nodeReq.Name); err != nil {
			return err
		}
	}

	declared, err := nize.LoadBundles(appRootAbs(wd), opts.TauriDir)
	if err != nil {
		return err
	}
	for _, d := range declared {
		opts.Bundles = append(opts.Bundles, declaredOptions(d, opts.Bundle.NodeMajor, o.minify, o.sourcemap, o.force, rep))
	}

	if !o.skipSidecars {
		opts.Sidecars = &sidecars.Options{CargoTargetDir: resolveCargoTargetDir(s, o.cargoTargetDir), Profile: o.profile, Bins: o.bins, Exclude: nize.NotFromCargo(nodeReq.Name), Reporter: rep}
	}
	if o.smoke {
		opts.Smoke = &smoke.Options{}
	}

	sum, runErr := prepare.Run(cmd.Context(), opts)
	var failed *prepare.StepError
	hint := ""
	var notBuilt *sidecars.NotBuiltError
	if errors.As(runErr, &notBuilt) {
		// Beside the cargo build: the same prepare without the Rust sidecars, before the Rust build.
		hint = "or, for a run before the Rust build, `" + rerunCommand(cmd, args, nil, "--skip-sidecars") + "`"
	}
	if sum != nil && errors.As(runErr, &failed) {
		for i := range sum.Steps {
			if sum.Steps[i].Name == failed.Step {
				sum.Steps[i].Error = describe(failed.Err) // with the fix, as the error line has it
				if hint != "" {
					sum.Steps[i].Error += "; " + hint
				}
			}
		}
	}
	if hint != "" {
		runErr = &hintError{Err: runErr, Hint: hint}
	}
	if sum != nil {
		if sum.Verify != nil {
			printWarnings(s, sum.Verify.Warnings)
			printProblems(s, sum.Verify.Problems)
		}
		if err := reportPrepare(s, o.json, sum, runErr); err != nil {
			return err
		}
	}
	return runErr
}

// reportPrepare prints the summary (stdout; with --json one document, failed when runErr is not
// nil), and under GitHub Actions appends the written paths to $GITHUB_OUTPUT and a Markdown
// table to $GITHUB_STEP_SUMMARY.
func reportPrepare(s *Streams, asJSON bool, sum *prepare.Summary, runErr error) error {
	if asJSON {
		out := *sum
		for i := range out.Steps {
			out.Steps[i].Written = nonNil(out.Steps[i].Written)
		}
		if err := writeDoc(s.Out, out, runErr); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "prepare %s (%s)\tTIME\tWRITTEN\tSIZE\t\n", sum.Platform, sum.Triple)
		for _, st := range sum.Steps {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\n", st.Name, stepTime(st), len(st.Written), bundleSize(st.Bytes), stepNote(st))
		}
		fmt.Fprintf(tw, "  total\t%s\t%d\t\t\n", sum.Total.Round(time.Millisecond), len(sum.Written()))
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if s.getenv("GITHUB_ACTIONS") != "true" {
		return nil
	}
	if path := s.getenv("GITHUB_OUTPUT"); path != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "platform=%s\ntriple=%s\n", sum.Platform, sum.Triple)
		fmt.Fprintf(&b, "written<<NIZEPACK_EOF\n%s\nNIZEPACK_EOF\n", strings.Join(sum.Written(), "\n"))
		if err := appendFile(path, b.String()); err != nil {
			return fmt.Errorf("writing $GITHUB_OUTPUT: %w", err)
		}
	}
	if path := s.getenv("GITHUB_STEP_SUMMARY"); path != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "### nizepack prepare %s (`%s`)\n\n| step | time | written | size | note |\n|---|---|---|---|---|\n", sum.Platform, sum.Triple)
		for _, st := range sum.Steps {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", st.Name, stepTime(st), len(st.Written), bundleSize(st.Bytes), strings.ReplaceAll(stepNote(st), "|", "\\|"))
		}
		fmt.Fprintf(&b, "| **total** | %s | %d | | |\n\n", sum.Total.Round(time.Millisecond), len(sum.Written()))
		if err := appendFile(path, b.String()); err != nil {
			return fmt.Errorf("writing $GITHUB_STEP_SUMMARY: %w", err)
		}
	}
	return nil
}

func stepTime(st prepare.StepResult) string {
	if st.Skipped != "" {
		return "-"
	}
	return st.Duration.Round(time.Millisecond).String()
}

func stepNote(st prepare.StepResult) string {
	switch {
	case st.Error != "":
		// One line: a step can fail for several reasons at once (errors.Join).
		return "FAILED: " + strings.Join(strings.Fields(strings.ReplaceAll(st.Error, "\n", " ; ")), " ")
	case st.Skipped != "":
		return "skipped: " + st.Skipped
	}
	return st.Detail
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// shippedRuntime is the runtime the app's config ships for t (merged with its overlay):
// binaries/bun → Bun; else Node (binaries/node, or added by the tauri step).
func shippedRuntime(config, tauriDir string, t target.Target) runtimeSpec {
	var p *tauri.Project
	var err error
	if config != "" {
		p, err = tauri.Open(config)
	} else {
		p, err = tauri.OpenDir(tauriDir)
	}
	if err != nil {
		return nodeSpec // the tauri step reports what is wrong with the config
	}
	m, err := p.Merged(t.GOOS)
	if err != nil {
		return nodeSpec
	}
	if spec, ok := configRuntime(m); ok {
		return spec
	}
	return nodeSpec
}

// projectRuntime is the runtime the base config or any overlay ships (Node when none does).
func projectRuntime(p *tauri.Project) runtimeSpec {
	for _, f := range p.Files() {
		if m, err := f.Value(); err == nil {
			if spec, ok := configRuntime(m); ok {
				return spec
			}
		}
	}
	return nodeSpec
}

// configRuntime is the runtime a config's bundle.externalBin ships.
func configRuntime(m map[string]any) (runtimeSpec, bool) {
	var bins []string
	if b, ok := m["bundle"].(map[string]any); ok {
		if list, ok := b["externalBin"].([]any); ok {
			for _, e := range list {
				if s, ok := e.(string); ok {
					bins = append(bins, s)
				}
			}
		}
	}
	if base, ok := nize.ShippedRuntime(bins); ok {
		return runtimeSpecOf(base)
	}
	return runtimeSpec{}, false
}
