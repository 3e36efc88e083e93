// Package sidecars installs the app's Rust sidecar binaries where Tauri looks for them:
// `<cargo target dir>/<triple>/<profile>/<name>[.exe]` is copied to the externalBin entry's path
// plus `-<triple>[.exe]`, atomically with mode 0755, after its format and CPU are checked against
// the target. A host build may also sit in `<cargo target dir>/<profile>/`; when both hold the
// binary the newer one is taken and Installed.Choice says so. For macos-universal both per-arch
// files are installed plus a fat Mach-O of the two.
//
//	installed, err := sidecars.Install(ctx, sidecars.Options{
//		Project: p, Target: t, CargoTargetDir: "target", Exclude: []string{"node"},
//	})
package sidecars

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nize/nizepack/internal/atomicfile"
	"github.com/nize/nizepack/internal/binfmt"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// Options say what to copy where.
type Options struct {
	// Project is the Tauri app; its merged config for Target lists the externalBin entries.
	Project *tauri.Project
	// Target is the platform to install for.
	Target target.Target
	// CargoTargetDir is cargo's target dir (the CLI defaults it to $CARGO_TARGET_DIR or ./target).
	CargoTargetDir string
	// Profile is the cargo profile; "" means release. "dev" builds land in debug/.
	Profile string
	// Bins are the binary names to copy; empty means every externalBin entry not excluded.
	Bins []string
	// Exclude names externalBin entries (by base name, e.g. "node") that something other than
	// cargo provides.
	Exclude []string
	// Host is the machine's own target, whose builds may sit in <target dir>/<profile>/ without
	// a triple; nil means target.Host().
	Host *target.Target
	// Reporter receives progress; nil means none.
	Reporter report.Reporter
}

// sidecar is one externalBin entry to install.
type sidecar struct {
	Entry string // the externalBin entry, e.g. "binaries/nize_api_server"
	Name  string // the cargo binary name, e.g. "nize_api_server"
}

// Installed is one file written.
type Installed struct {
	Path   string `json:"path"`
	Source string `json:"source,omitempty"` // empty for a fat file built from the slices
	Target string `json:"target"`
	Format string `json:"format"`
	// UpToDate means the file already held these bytes and was not rewritten.
	UpToDate bool `json:"up_to_date"`
	// Choice, when both of cargo's dirs held the binary, says why Source was taken.
	Choice *Choice `json:"choice,omitempty"`
}

// Choice is how Install picked a sidecar's source when both the triple dir
// `<target dir>/<triple>/<profile>/` and, for a host build, `<target dir>/<profile>/` hold the
// binary: the one modified later is taken; on equal times the triple dir, as when only it does.
type Choice struct {
	// Other is the file not taken.
	Other string `json:"other"`
	// Newer is how much later Installed.Source was modified than Other; 0 for equal times.
	Newer time.Duration `json:"newer_ns"`
	// Reason says it in words, e.g. "from target/release (newer than
	// target/x86_64-unknown-linux-gnu/release by 2h)".
	Reason string `json:"reason"`
}

// NotBuiltError is a sidecar that cargo has not built for the target: no file at any of the
// places looked.
type NotBuiltError struct {
	Name     string   // the cargo binary name
	Platform string   // the target's friendly name
	Looked   []string // the paths tried, in order
	Cargo    []string // the cargo command that builds it
}

func (e *NotBuiltError) Error() string {
	return fmt.Sprintf("sidecar %s for %s not found at %s", e.Name, e.Platform, strings.Join(e.Looked, " or "))
}

// WrongBinaryError is a built sidecar of the wrong format or CPU for the target.
type WrongBinaryError struct {
	Path  string
	Err   error    // what is wrong, e.g. "is ELF amd64, but linux-arm64 needs ELF arm64"
	Cargo []string // the cargo command that builds the right one
}

func (e *WrongBinaryError) Error() string { return fmt.Sprintf("%s %v", e.Path, e.Err) }
func (e *WrongBinaryError) Unwrap() error { return e.Err }

// NoSidecarsError is a config whose externalBin lists nothing to install.
type NoSidecarsError struct {
	Config   string   // the base config file
	Excluded []string // the entries it lists that were left out (Options.Exclude)
}

func (e *NoSidecarsError) Error() string {
	if len(e.Excluded) == 0 {
		return fmt.Sprintf("bundle.externalBin in %s lists no sidecar", e.Config)
	}
	return fmt.Sprintf("bundle.externalBin in %s lists no sidecar besides %s", e.Config, strings.Join(e.Excluded, ", "))
}

// entries lists the sidecars to install for t: the merged config's externalBin entries not
// excluded, or the named bins (their entries when listed, else binaries/<name>).
func entries(p *tauri.Project, t target.Target, bins, exclude []string) ([]sidecar, []string, error) {
	cfg, err := p.Merged(t.GOOS)
	if err != nil {
		return nil, nil, err
	}
	var entries []string
	if bundle, ok := cfg["bundle"].(map[string]any); ok {
		if list, ok := bundle["externalBin"].([]any); ok {
			for _, e := range list {
				if s, ok := e.(string); ok {
					entries = append(entries, s)
				}
			}
		}
	}
	var out []sidecar
	var warnings []string
	if len(bins) == 0 {
		var excluded []string
		for _, e := range entries {
			if name := path.Base(filepath.ToSlash(e)); !slices.Contains(exclude, name) {
				out = append(out, sidecar{Entry: e, Name: name})
			} else if !slices.Contains(excluded, name) {
				excluded = append(excluded, name)
			}
		}
		if len(out) == 0 {
			return nil, nil, &NoSidecarsError{Config: p.Base.Path, Excluded: excluded}
		}
		return out, nil, nil
	}
	for _, name := range bins {
		found := ""
		for _, e := range entries {
			if path.Base(filepath.ToSlash(e)) == name {
				found = e
				break
			}
		}
		if found == "" {
			found = "binaries/" + name
			warnings = append(warnings, fmt.Sprintf("%s is not in bundle.externalBin of %s, so Tauri will not bundle it; installing it as %s", name, p.Base.Path, found))
		}
		out = append(out, sidecar{Entry: found, Name: name})
	}
	return out, warnings, nil
}

// profileDir is the folder cargo writes a profile's builds to, and the arguments that select it.
func profileDir(profile string) (dir string, args []string) {
	switch profile {
	case "", "release":
		return "release", []string{"--release"}
	case "dev", "debug":
		return "debug", nil
	}
	return profile, []string{"--profile", profile}
}

type job struct {
	src, dst string
	t        target.Target
	info     binfmt.Info
	choice   *Choice
}

// locate finds the build of file for t: <ctd>/<triple>/<pdir>/file, and when t is the host also
// <ctd>/<pdir>/file, the newer of the two when both are there (see Choice). With neither, src is
// the triple dir's path and looked lists every path tried.
func locate(ctd, pdir, file string, t target.Target, host *target.Target) (src string, looked []string, choice *Choice) {
	triple := filepath.Join(ctd, t.Triple, pdir, file)
	if host == nil || host.Triple != t.Triple {
		return triple, []string{triple}, nil
	}
	plain := filepath.Join(ctd, pdir, file)
	looked = []string{triple, plain}
	ts, terr := os.Stat(triple)
	ps, perr := os.Stat(plain)
	tok, pok := terr == nil && ts.Mode().IsRegular(), perr == nil && ps.Mode().IsRegular()
	switch {
	case tok && pok:
		if d := ps.ModTime().Sub(ts.ModTime()); d > 0 {
			return plain, looked, newChoice(plain, triple, d)
		}
		return triple, looked, newChoice(triple, plain, ts.ModTime().Sub(ps.ModTime()))
	case pok:
		return plain, looked, nil
	}
	return triple, looked, nil
}

func newChoice(src, other string, newer time.Duration) *Choice {
	c := &Choice{Other: other, Newer: newer}
	from, than := filepath.Dir(src), filepath.Dir(other)
	if newer == 0 {
		c.Reason = fmt.Sprintf("from %s (%s holds one with the same modification time; the triple dir wins a tie)", from, than)
	} else {
		c.Reason = fmt.Sprintf("from %s (newer than %s by %s)", from, than, roughly(newer))
	}
	return c
}

// roughly writes d for people: whole seconds from a second up, without zero tails ("2h", "1h30m",
// "90ms").
func roughly(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Install installs the sidecars. It checks every source before writing anything, and reports all
// problems at once; each file it writes is replaced atomically, so a failed run leaves no
// half-written file. It stops between files when ctx ends.
func Install(ctx context.Context, opts Options) ([]Installed, error) {
	rep := report.Or(opts.Reporter)
	host := opts.Host
	if host == nil {
		if h, err := target.Host(); err == nil {
			host = &h
		}
	}
	sidecars, warnings, err := entries(opts.Project, opts.Target, opts.Bins, opts.Exclude)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		rep.Warnf("%s", w)
	}
	ctd := opts.CargoTargetDir
	if ctd == "" {
		ctd = "target"
	}
	pdir, pargs := profileDir(opts.Profile)

	archs := []target.Target{opts.Target}
	if opts.Target.Universal() {
		archs = opts.Target.SliceTargets()
	}
	var jobs []job
	var problems []error
	for _, sc := range sidecars {
		for _, t := range archs {
			src, looked, choice := locate(ctd, pdir, sc.Name+t.Exe(), t, host)
			cargo := append(append([]string{"cargo", "build"}, pargs...), "--target", t.Triple, "--bin", sc.Name)
			st, err := os.Stat(src)
			if err != nil || !st.Mode().IsRegular() {
				problems = append(problems, &NotBuiltError{Name: sc.Name, Platform: t.Name, Looked: looked, Cargo: cargo})
				continue
			}
			info, err := binfmt.IdentifyFile(src)
			if err == nil {
				err = binfmt.Check(info, t)
			}
			if err != nil {
				problems = append(problems, &WrongBinaryError{Path: src, Err: err, Cargo: cargo})
				continue
			}
			jobs = append(jobs, job{src: src, dst: dest(opts.Project.Dir, t, sc.Entry), t: t, info: info, choice: choice})
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}

	var done []Installed
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		wrote, err := install(j.src, j.dst)
		if err != nil {
			return done, err
		}
		why := ""
		if j.choice != nil {
			why = ", " + j.choice.Reason
		}
		if wrote {
			rep.Infof("installing %s -> %s%s", j.src, j.dst, why)
		} else {
			rep.Infof("%s is up to date%s", j.dst, why)
		}
		done = append(done, Installed{Path: j.dst, Source: j.src, Target: j.t.Name, Format: j.info.String(), UpToDate: !wrote, Choice: j.choice})
	}
	if opts.Target.Universal() {
		for _, sc := range sidecars {
			var parts []string
			for _, t := range archs {
				parts = append(parts, dest(opts.Project.Dir, t, sc.Entry))
			}
			dst := dest(opts.Project.Dir, opts.Target, sc.Entry)
			rep.Infof("joining %s into %s", strings.Join(parts, " + "), dst)
			wrote, err := binfmt.WriteFatFile(dst, parts...)
			if err != nil {
				return done, fmt.Errorf("writing universal sidecar %s: %w", dst, err)
			}
			info, err := binfmt.IdentifyFile(dst)
			if err != nil {
				return done, fmt.Errorf("reading back %s: %w", dst, err)
			}
			done = append(done, Installed{Path: dst, Target: opts.Target.Name, Format: info.String(), UpToDate: !wrote})
		}
	}
	return done, nil
}

// dest is Tauri's externalBin rule: the entry relative to the Tauri dir, plus -<triple>[.exe].
func dest(tauriDir string, t target.Target, entry string) string {
	p := filepath.FromSlash(t.SidecarPath(entry))
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(tauriDir, p)
}

func install(src, dst string) (wrote bool, err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, fmt.Errorf("creating %s: %w", filepath.Dir(dst), err)
	}
	if wrote, err = atomicfile.Copy(src, dst, 0o755); err != nil {
		return false, fmt.Errorf("writing %s: %w", dst, err)
	}
	return wrote, nil
}
