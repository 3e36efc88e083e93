package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

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
	json      bool
	bins      []string
	resources []string
}

func newTauriCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &tauriOptions{}
	def := nize.Migration()
	cmd := &cobra.Command{
		Use:   "tauri",
		Short: "Rewrite bundle.externalBin and bundle.resources of the Tauri config (and its platform overlays) in place",
		Long: `Rewrites the Tauri config for the PGlite migration, keeping its formatting: adds binaries/node
to bundle.externalBin (existing entries kept, no duplicates) and moves every resources/pg/...
resource to resources/pglite/... (list form, and map form key and target). Without --config it
edits the base config of the Tauri dir found under the working directory and every platform
overlay (tauri.<platform>.conf.json) that sets bundle.externalBin or bundle.resources.

--check writes nothing: it prints a unified diff of what would change and exits 1 when a
change is needed, 0 when not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return jsonOnFailure(s, o.json, runTauri(cmd, s, g, o))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "Tauri config file to rewrite (default: the Tauri dir's config and its platform overlays)")
	f.BoolVar(&o.check, "check", false, "write nothing; print a unified diff and exit 1 when a change is needed")
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	f.StringSliceVar(&o.bins, "external-bin", def.ExternalBins, "externalBin entry to ensure (repeatable)")
	var defMoves []string
	for _, m := range def.Resources {
		defMoves = append(defMoves, m.From+"="+m.To)
	}
	f.StringSliceVar(&o.resources, "resource", defMoves, "resource move FROM=TO applied to bundle.resources (repeatable)")
	return cmd
}

func runTauri(cmd *cobra.Command, s *Streams, g *globalOptions, o *tauriOptions) error {
	opts := tauri.Options{ExternalBins: o.bins}
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
		if o.json {
			if err := writeJSON(s.Out, map[string]any{"check": true, "needs_rewrite": nonNil(changed), "up_to_date": nonNil(unchanged)}); err != nil {
				return err
			}
		} else {
			for _, c := range changes {
				s.Out.Write(c.Diff())
			}
		}
		if len(changed) > 0 {
			rep.Warnf("%d Tauri config file(s) need rewriting; run `nizepack tauri`", len(changed))
			return &ExitError{Code: ExitFailure}
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
		return writeJSON(s.Out, map[string]any{"check": false, "written": nonNil(written), "up_to_date": nonNil(unchanged)})
	}
	for _, f := range written {
		fmt.Fprintln(s.Out, f)
	}
	return nil
}
