package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/sidecars"
)

func init() { commands = append(commands, newSidecarsCmd) }

func newSidecarsCmd(s *Streams, g *globalOptions) *cobra.Command {
	var (
		config, cargoTargetDir, profile string
		bins                            []string
		asJSON                          bool
	)
	cmd := &cobra.Command{
		Use:   "sidecars [PLATFORM]",
		Short: "Copy the Rust sidecars from cargo's target dir to binaries/<name>-<triple>[.exe]",
		Long: `Copies each sidecar (default: every bundle.externalBin entry of the Tauri config except node;
or --bin NAME) from <cargo-target-dir>/<triple>/<profile>/<name>[.exe] (or
<cargo-target-dir>/<profile>/ for a host build) to the entry's path plus -<triple>[.exe] in the
Tauri dir, atomically with mode 0755, after checking its format and CPU against the platform.
macos-universal installs both macOS slices and a fat Mach-O of the two. No PLATFORM means host.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := platformArg(args)
			if err != nil {
				return err
			}
			p, err := openTauri(config)
			if err != nil {
				return err
			}
			done, err := sidecars.Install(cmd.Context(), sidecars.Options{
				Project: p, Target: t, CargoTargetDir: resolveCargoTargetDir(s, cargoTargetDir), Profile: profile, Bins: bins, Exclude: nize.NotFromCargo(),
				Reporter: newReporter(s, g),
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(s.Out, done)
			}
			for _, d := range done {
				fmt.Fprintln(s.Out, d.Path)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&config, "config", "", "Tauri config file (default: the one of the Tauri dir under the working directory)")
	f.StringVar(&cargoTargetDir, "cargo-target-dir", "", "cargo's target dir (default: $CARGO_TARGET_DIR, else ./target)")
	f.StringVar(&profile, "profile", "release", "cargo profile (dev builds are read from debug/)")
	f.StringSliceVar(&bins, "bin", nil, "sidecar binary name to copy (repeatable; default: the config's externalBin entries except node)")
	f.BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}
