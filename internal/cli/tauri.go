package cli

import (
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/tauri"
)

// openTauri reads the Tauri config named by --config, or the one of the Tauri dir found under
// the working directory as the tauri CLI finds it; several Tauri dirs need --config.
func openTauri(config string) (*tauri.Project, error) {
	if config != "" {
		st, err := os.Stat(config)
		if err != nil {
			return nil, usageErrorf("--config %s: the file does not exist", config)
		}
		if st.IsDir() {
			return tauri.OpenDir(config)
		}
		return tauri.Open(config)
	}
	dir, err := requireTauriDir("")
	if err != nil {
		return nil, err
	}
	return tauri.OpenDir(dir)
}

type tauriOptions struct {
	config    string
	check     bool
	entitle   bool
	json      bool
	bins      []string
	resources []string
	sidecar   string
}

func newTauriCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &tauriOptions{}
	def := nize.Migration(nize.DefaultSidecarName)
	cmd := &cobra.Command{
		Use:   "tauri",
		Short: "Rewrite bundle.externalBin, bundle.resources and the build hooks of the Tauri config (and its platform overlays) in place",
		Long: `Rewrites the Tauri config for the PGlite migration, keeping its formatting: adds binaries/node
to bundle.externalBin (existing entries kept, no duplicates; entries written for Windows, such as
binaries\node or binaries/node.exe, rewritten with forward slashes and without .exe, which Tauri
adds itself) and moves every resources/pg/...
resource to resources/pglite/... (list form, and map form key and target). In the build hooks
(build.beforeDevCommand, beforeBuildCommand, beforeBundleCommand; a string or {"script": ...})
it replaces each command that calls a script nizepack replaces with the nizepack commands that
do its job, keeping the rest of the hook:
"bash scripts/setup-sidecar-binaries.sh release" becomes
"nizepack sidecars --profile release && nizepack fetch-node", "bash scripts/download-node.sh ..."
becomes "nizepack fetch-node", and "npm run ... build:pglite-server" (or the esbuild bundle
script) becomes "nizepack bundle-pglite"; so tauri build no longer redoes those jobs the old
way after nizepack's. Without --config it edits the base config of the Tauri dir found
under the working directory and every platform overlay (tauri.<platform>.conf.json) that sets
bundle.externalBin, bundle.resources or a build hook.

Before anything is written, every config (the base alone and merged with each overlay, as Tauri
merges them) is checked against the official Tauri v2 config schema; a config Tauri would refuse
(e.g. externalBin or resources as a string, a duplicated "bundle" key) is reported with
FILE:LINE:COL and left untouched. A symlinked config is edited through the link.

--check writes nothing: it prints a unified diff of what would change. Exit codes: 0 when the
config is current, 3 when a rewrite would change it, 1 when it could not tell (a malformed or
invalid config), 2 for a usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTauri(cmd, s, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "Tauri config file to rewrite (default: the Tauri dir's config and its platform overlays)")
	f.BoolVar(&o.check, "check", false, "write nothing; print a unified diff; exit 0 when current, 3 when a rewrite would change something, 1 when it could not tell")
	f.BoolVar(&o.entitle, "entitlements", false, "make the macOS entitlements grant what node needs under the hardened runtime (allow-jit, allow-unsigned-executable-memory): the file bundle.macOS.entitlements names, else "+nize.EntitlementsFile+" beside the config, which it then names")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	f.StringSliceVar(&o.bins, "external-bin", def.ExternalBins, "externalBin entry to ensure (repeatable; default: binaries/<sidecar name>)")
	sidecarNameFlag(f, &o.sidecar)
	var defMoves []string
	for _, m := range def.Resources {
		defMoves = append(defMoves, m.From+"="+m.To)
	}
	f.StringSliceVar(&o.resources, "resource", defMoves, "resource move FROM=TO applied to bundle.resources (repeatable)")
	return cmd
}

func runTauri(cmd *cobra.Command, s *Streams, g *globalOptions, o *tauriOptions) error {
	var renames map[string]string
	if !cmd.Flags().Changed("external-bin") {
		name, err := sidecarName(s, g, o.sidecar)
		if err != nil {
			return err
		}
		mig := nize.Migration(name)
		o.bins, renames = mig.ExternalBins, mig.RenameExternalBins
	}
	opts := tauri.Options{ExternalBins: o.bins, NormalizeExternalBins: true, RenameExternalBins: renames, HookRewrites: nize.HookRewrites()}
	if o.entitle {
		opts.Entitlements, opts.Grant = nize.EntitlementsFile, nize.NodeEntitlements()
	}
	for _, b := range o.bins {
		if !utf8.ValidString(b) {
			return usageErrorf("--external-bin %q: not valid UTF-8 (a Tauri config is UTF-8 JSON)", b)
		}
		if strings.TrimSpace(b) == "" {
			return usageErrorf("--external-bin: an empty entry")
		}
	}
	for _, r := range o.resources {
		mv, err := tauri.ParseResourceMove(r)
		if err != nil {
			return usageErrorf("--resource: %v", err)
		}
		opts.Resources = append(opts.Resources, mv)
	}
	p, err := openTauri(o.config)
	if err != nil {
		return err
	}
	if !cmd.Flags().Changed("external-bin") && projectRuntime(p).rt == fetch.Bun {
		// An app that ships Bun has its runtime: node is added only to an app that ships none.
		opts.ExternalBins, opts.RenameExternalBins = nize.MigrationFor(fetch.Bun.Base).ExternalBins, nil
	}
	changes, err := tauri.Plan(p, opts)
	if err != nil {
		return err
	}
	rep := newReporter(s, g)
	var changed, unchanged []string
	for _, c := range changes {
		if c.Changed() {
			changed = append(changed, c.File.Path)
		} else {
			unchanged = append(unchanged, c.File.Path)
		}
	}
	if o.check {
		var stale error
		if len(changed) > 0 {
			stale = &changedError{Message: fmt.Sprintf("%d Tauri config file(s) need rewriting", len(changed)), Hint: fmt.Sprintf("run `%s`", rerunCommand(cmd, nil, []string{"check", "json"}))}
		}
		if o.json {
			if err := writeDoc(s.Out, map[string]any{"check": true, "needs_rewrite": nonNil(changed), "up_to_date": nonNil(unchanged)}, stale); err != nil {
				return err
			}
		} else {
			for _, c := range changes {
				s.Out.Write(c.Diff())
			}
		}
		if stale != nil {
			rep.Warnf("%s", describe(stale))
			return &ExitError{Code: ExitChanged}
		}
		rep.Infof("Tauri config is up to date")
		return nil
	}
	written, err := tauri.Apply(cmd.Context(), changes)
	if err != nil {
		return err
	}
	for _, f := range unchanged {
		rep.Infof("%s: already up to date", f)
	}
	if o.json {
		return writeDoc(s.Out, map[string]any{"check": false, "written": nonNil(written), "up_to_date": nonNil(unchanged)}, nil)
	}
	for _, f := range written {
		fmt.Fprintln(s.Out, f)
	}
	return nil
}
