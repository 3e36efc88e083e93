package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/verify"
	"github.com/nize/nizepack/tauri"
)

type verifyOptions struct {
	config       string
	skipSidecars bool
	sidecarName  string
	json         bool
}

func newVerifyCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [PLATFORM]",
		Short: "Check that everything `tauri build` needs for a platform is present, named, executable and of the right CPU",
		Long: `Merges the Tauri config with the platform's overlay as Tauri does, then checks every
bundle.externalBin file for the platform (exists, regular, executable, right format and CPU; a
universal one fat with both slices), that every bundle.resources entry or glob matches a file,
that the PGlite bundle matches its manifest, and that no build hook still calls a script
nizepack replaces (tauri build would run it after nizepack; ` + "`nizepack tauri`" + ` rewrites it).
Reports every problem with the command that fixes it and exits 1 if there is any. No PLATFORM
means host.`,

		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd, s, g, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "Tauri config file (default: the one of the Tauri dir under the working directory)")
	f.BoolVar(&o.skipSidecars, "skip-sidecars", false, "leave out the Rust sidecars (every externalBin entry but node), for a run before the Rust build")
	sidecarNameFlag(f, &o.sidecarName)
	f.BoolVar(&o.json, "json", false, "print one JSON document")
	return cmd
}

func runVerify(cmd *cobra.Command, s *Streams, g *globalOptions, o *verifyOptions, args []string) error {
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
	r, err := verify.Check(cmd.Context(), verify.Options{Project: p, Target: t, ConfigPath: o.config, SkipSidecars: o.skipSidecars, SidecarName: name, BundleDirs: declaredBundleDirs(p)})
	if err != nil {
		return err
	}
	var problems error
	if !r.OK() {
		problems = &problemsError{Platform: t.Name, Problems: len(r.Problems), Checked: len(r.Checked)}
	}
	if o.json {
		if r.Problems == nil {
			r.Problems = []verify.Problem{}
		}
		if err := writeDoc(s.Out, r, problems); err != nil {
			return err
		}
	} else {
		printWarnings(s, r.Warnings)
		printProblems(s, r.Problems)
	}
	if problems != nil {
		fmt.Fprintf(s.Err, "nizepack: %s\n", problems)
		return &ExitError{Code: ExitFailure}
	}
	if !o.json {
		note := ""
		if o.skipSidecars {
			note = "; Rust sidecars not checked"
		}
		fmt.Fprintf(s.Out, "ok: %s is ready for tauri build (%d paths checked%s)\n", t.Name, len(r.Checked), note)
	}
	return nil
}

// printWarnings prints verify's warnings on stderr (a GitHub Actions annotation too).
func printWarnings(s *Streams, warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(s.Err, "warning: %s\n", w)
		if s.getenv("GITHUB_ACTIONS") == "true" {
			fmt.Fprintf(s.Err, "::warning::%s\n", escapeAnnotation(w))
		}
	}
}

// printProblems lists verify's problems on stderr, each also a GitHub Actions annotation on its
// file when GITHUB_ACTIONS=true.
func printProblems(s *Streams, problems []verify.Problem) {
	for _, pr := range problems {
		fmt.Fprintf(s.Err, "problem: %s\n", pr)
		if s.getenv("GITHUB_ACTIONS") == "true" {
			pos := ""
			if pr.Line > 0 {
				pos = fmt.Sprintf(",line=%d,col=%d", pr.Line, pr.Column)
			}
			fmt.Fprintf(s.Err, "::error file=%s%s::%s\n", escapeProperty(pr.File), pos, escapeAnnotation(pr.Problem+"; fix: "+pr.Fix))
		}
	}
}

// declaredBundleDirs are the output dirs of the bundles nizepack.json declares, relative to the
// Tauri dir (for verify's fix); none when there is no such file or it cannot be read (bundles
// and prepare report that).
func declaredBundleDirs(p *tauri.Project) []string {
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	tauriDir := filepath.Dir(p.Base.Path)
	declared, err := nize.LoadBundles(appRootAbs(wd), tauriDir)
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range declared {
		if rel, err := filepath.Rel(tauriDir, d.Out); err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	return out
}
