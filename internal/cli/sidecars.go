package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/sidecars"
)

type sidecarsOptions struct {
	config, cargoTargetDir, profile string
	bins                            []string
	sidecarName                     string
	json                            bool
}

func newSidecarsCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &sidecarsOptions{}
	cmd := &cobra.Command{
		Use:   "sidecars [PLATFORM]",
		Short: "Copy the Rust sidecars from cargo's target dir to binaries/<name>-<triple>[.exe]",
		Long: `Copies each sidecar (default: every bundle.externalBin entry of the Tauri config except node;
or --bin NAME) from <cargo-target-dir>/<triple>/<profile>/<name>[.exe] (or
<cargo-target-dir>/<profile>/ for a host build; with both there, the newer one, and the progress
and --json say which and why) to the entry's path plus -<triple>[.exe] in the Tauri dir,
atomically with mode 0755, after checking its format and CPU against the platform.
macos-universal installs both macOS slices and a fat Mach-O of the two. No PLATFORM means host.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSidecars(cmd, s, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "Tauri config file (default: the one of the Tauri dir under the working directory)")
	f.StringVar(&o.cargoTargetDir, "cargo-target-dir", "", "cargo's target dir (default: $CARGO_TARGET_DIR, else ./target)")
	f.StringVar(&o.profile, "profile", "release", "cargo profile (dev builds are read from debug/)")
	f.StringSliceVar(&o.bins, "bin", nil, "sidecar binary name to copy (repeatable; default: the config's externalBin entries except node)")
	sidecarNameFlag(f, &o.sidecarName)
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func runSidecars(cmd *cobra.Command, s *Streams, g *globalOptions, o *sidecarsOptions, args []string) error {
	t, err := platformArg(args)
	if err != nil {
		return err
	}
	name, err := sidecarName(s, g, o.sidecarName)
	if err != nil {
		return err
	}
	p, err := openTauri(o.config)
	if err != nil {
		return err
	}
	done, err := sidecars.Install(cmd.Context(), sidecars.Options{
		Project: p, Target: t, CargoTargetDir: resolveCargoTargetDir(s, o.cargoTargetDir), Profile: o.profile, Bins: o.bins,
		Exclude: nize.NotFromCargo(name), Reporter: newReporter(s, g),
	})
	if err != nil {
		return err
	}
	if o.json {
		return writeDoc(s.Out, map[string]any{"platform": t.Name, "installed": nonNil(done)}, nil)
	}
	for _, d := range done {
		fmt.Fprintln(s.Out, d.Path)
	}
	return nil
}
