package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/internal/verify"
)

func init() { commands = append(commands, newVerifyCmd) }

func newVerifyCmd(s *Streams, g *globalOptions) *cobra.Command {
	var (
		config string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "verify [PLATFORM]",
		Short: "Check that everything `tauri build` needs for a platform is present, named, executable and of the right CPU",
		Long: `Merges the Tauri config with the platform's overlay as Tauri does, then checks every
bundle.externalBin file for the platform (exists, regular, executable, right format and CPU; a
universal one fat with both slices), that every bundle.resources entry or glob matches a file,
and that the PGlite bundle matches its manifest. Reports every problem with the command that
fixes it and exits 1 if there is any. No PLATFORM means host.`,
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
			flag := ""
			if config != "" {
				flag = "--config " + config
			}
			r, err := verify.Check(cmd.Context(), verify.Options{Project: p, Target: t, ConfigFlag: flag})
			if err != nil {
				return err
			}
			if asJSON {
				if r.Problems == nil {
					r.Problems = []verify.Problem{}
				}
				if err := writeJSON(s.Out, r); err != nil {
					return err
				}
			} else {
				printProblems(s, r.Problems)
			}
			if !r.OK() {
				fmt.Fprintf(s.Err, "nizepack: verify %s: %d problem(s) in %d checked path(s)\n", t.Name, len(r.Problems), len(r.Checked))
				return &ExitError{Code: ExitFailure}
			}
			if !asJSON {
				fmt.Fprintf(s.Out, "ok: %s is ready for tauri build (%d paths checked)\n", t.Name, len(r.Checked))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "Tauri config file (default: the one of the Tauri dir under the working directory)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// printProblems lists verify's problems on stderr, each also a GitHub Actions annotation on its
// file when GITHUB_ACTIONS=true.
func printProblems(s *Streams, problems []verify.Problem) {
	for _, pr := range problems {
		fmt.Fprintf(s.Err, "problem: %s\n", pr)
		if s.getenv("GITHUB_ACTIONS") == "true" {
			fmt.Fprintf(s.Err, "::error file=%s::%s\n", escapeProperty(pr.File), escapeAnnotation(pr.Problem+"; fix: "+pr.Fix))
		}
	}
}
