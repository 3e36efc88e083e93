// Package verify checks, before `tauri build` runs, that everything it needs for a target is in
// place: every externalBin file exists under Tauri's name for the target, is a regular,
// executable file of the right format and CPU (a universal one fat with both slices), every
// bundle.resources entry matches at least one file, and the PGlite bundle matches its manifest.
package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/internal/binfmt"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// Options say what to verify.
type Options struct {
	Project *tauri.Project
	Target  target.Target
	// ConfigPath is the --config the user gave, repeated (shell-quoted) in every fix so it runs
	// as printed; "" when the config was found, not named.
	ConfigPath string
	// SidecarName is the node sidecar's name (binaries/<name> in externalBin); "" is
	// nize.DefaultSidecarName.
	SidecarName string
	// SkipSidecars leaves out the Rust sidecars (every externalBin entry but node), for runs
	// before the Rust build.
	SkipSidecars bool
	// BundleDirs are the output dirs of the app's other JS bundles (nizepack.json), relative to
	// the Tauri dir with forward slashes: a resource there that is missing is fixed by
	// `nizepack bundles`.
	BundleDirs []string
}

// Problem is one thing `tauri build` would trip over.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"` // for a problem inside a config file
	Column  int    `json:"column,omitempty"`
	Problem string `json:"problem"`
	Fix     string `json:"fix"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s; fix: %s", p.File, p.Line, p.Column, p.Problem, p.Fix)
	}
	return fmt.Sprintf("%s %s; fix: %s", p.File, p.Problem, p.Fix)
}

// Report is the outcome: what was checked and every problem found.
type Report struct {
	Platform string    `json:"platform"`
	Config   []string  `json:"config"`
	Checked  []string  `json:"checked"`
	Problems []Problem `json:"problems"`
	// Warnings are what does not stop tauri build but hurts the package, e.g. a Linux package
	// whose node sidecar collides with the distribution's nodejs.
	Warnings []string `json:"warnings,omitempty"`
}

// OK reports whether no problem was found.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Check verifies; an error means the config itself could not be read or ctx ended.
func Check(ctx context.Context, opts Options) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, t := opts.Project, opts.Target
	cfg, err := p.Merged(t.GOOS)
	if err != nil {
		return nil, err
	}
	r := &Report{Platform: t.Name, Config: []string{p.Base.Path}}
	if o := p.Overlay(tauri.PlatformName(t.GOOS)); o != nil {
		r.Config = append(r.Config, o.Path)
	}
	bundle, _ := cfg["bundle"].(map[string]any)
	v := &verifier{opts: opts, r: r}
	if err := v.config(); err != nil {
		return nil, err
	}
	if err := v.hooks(); err != nil {
		return nil, err
	}
	v.version(cfg)
	v.externalBins(bundle["externalBin"])
	v.resources(bundle["resources"])
	v.manifest(bundle["resources"])
	v.bundleManifests()
	if t.GOOS == "darwin" {
		v.entitlements(bundle["externalBin"])
	}
	v.ships(cfg)
	v.nodeCollision(cfg)
	return r, nil
}

type verifier struct {
	opts Options
	r    *Report
}

func (v *verifier) problem(file, problem, fix string) {
	v.r.Problems = append(v.r.Problems, Problem{File: file, Problem: problem, Fix: fix})
}

func (v *verifier) rel(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(v.opts.Project.Dir, filepath.FromSlash(p))
}

func (v *verifier) cmd(s string) string {
	if v.opts.ConfigPath != "" {
		return "`nizepack " + s + " --config " + ShellQuote(v.opts.ConfigPath) + "`"
	}
	return "`nizepack " + s + "`"
}

// config reports what Tauri would refuse in the config files: duplicated keys, wrong types,
// and whatever the official Tauri v2 schema rejects in the base merged with each overlay.
func (v *verifier) config() error {
	err := v.opts.Project.Validate()
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var se *tauri.SchemaError
		if !errors.As(e, &se) {
			return err // not a schema problem: the config could not be read at all
		}
		key := se.Key
		if key == "" {
			key = "the config"
		}
		fix := "edit " + key + " in " + se.Path + " as the message says (Tauri v2 config reference: https://v2.tauri.app/reference/config/)"
		if se.Key == "bundle" && se.Platform == "" && se.Path == v.opts.Project.Base.Path && strings.Contains(se.Msg, "got null") {
			fix = v.cmd("tauri") + " (it fills in \"bundle\": null)"
		}
		v.r.Problems = append(v.r.Problems, Problem{File: se.Path, Line: se.Line, Column: se.Column, Problem: key + " " + se.Msg, Fix: fix})
	}
	return nil
}

// hooks reports a build hook tauri would run for the target (the overlay's where it sets one,
// else the base's) that still calls a script nizepack replaces: tauri build runs it after
// nizepack, and it would redo that job the old way over nizepack's outputs (or fail once the
// script is gone).
func (v *verifier) hooks() error {
	p := v.opts.Project
	all, err := p.Hooks()
	if err != nil {
		return err
	}
	platform := tauri.PlatformName(v.opts.Target.GOOS)
	fromOverlay := map[string]bool{}
	for _, h := range all {
		if h.Platform == platform {
			fromOverlay[h.Key] = true
		}
	}
	for _, h := range all {
		if h.Platform != platform && (h.Platform != "" || fromOverlay[h.Key]) {
			continue
		}
		_, calls, err := tauri.RewriteScript(h.Script, nize.HookRewrites())
		if err != nil {
			return err
		}
		run := "tauri build"
		if strings.HasSuffix(h.Key, ".beforeDevCommand") {
			run = "tauri dev"
		}
		for _, c := range calls {
			v.r.Problems = append(v.r.Problems, Problem{File: h.Path, Line: h.Line, Column: h.Column,
				Problem: fmt.Sprintf("%s runs %s, a script nizepack replaces: %s runs the hook after nizepack, so it would redo that job the old way over nizepack's output", h.Key, quote(c.Command), run),
				Fix:     v.cmd("tauri") + " (it makes the hook run " + quote(c.Replace) + " instead)"})
		}
	}
	return nil
}

func (v *verifier) externalBins(raw any) {
	list, _ := raw.([]any)
	t := v.opts.Target
	targets := []target.Target{t}
	if t.Universal() {
		targets = append(t.SliceTargets(), t)
	}
	for i, e := range list {
		entry, ok := e.(string)
		if !ok {
			continue
		}
		if n, changed := tauri.NormalizeExternalBin(entry); changed {
			v.windowsStyle(i, entry, n)
			entry = n // the files it should name are checked too
		}
		if base := path.Base(entry); base == nize.DefaultSidecarName && v.nodeName() != base {
			f, _ := v.decidedBy("bundle", "externalBin")
			line, col, _ := f.Locate("bundle", "externalBin", strconv.Itoa(i))
			v.r.Problems = append(v.r.Problems, Problem{File: f.Path, Line: line, Column: col,
				Problem: fmt.Sprintf("bundle.externalBin still lists %q, but the node sidecar is named %q (NODE_SIDECAR_NAME or --sidecar-name): fetch-node installs that one, so Tauri would not find this one", entry, v.nodeName()),
				Fix:     fmt.Sprintf("remove %q from bundle.externalBin in %s", entry, f.Path)})
			continue
		}
		fix := v.cmd("sidecars " + t.Name)
		if fetch, runtime := nize.FetchCommand(v.nodeName(), path.Base(entry)); runtime {
			fix = v.cmd(fetch + " " + t.Name) // a JS runtime: no cargo binary
		} else if v.opts.SkipSidecars {
			continue
		}
		for _, tt := range targets {
			v.executable(v.rel(tt.SidecarPath(entry)), tt, fix)
		}
	}
}

// windowsStyle reports an externalBin entry written for Windows (binaries\node,
// binaries/node.exe): Tauri appends "-<triple>" (and ".exe" for a Windows target) to the entry
// as written and joins it as a path of the machine that builds, so it would look for the wrong
// file everywhere, or (a backslash) everywhere but on Windows.
func (v *verifier) windowsStyle(i int, entry, normal string) {
	var what []string
	if strings.Contains(entry, `\`) {
		what = append(what, "use forward slashes (a backslash separates folders only on Windows)")
	}
	if strings.ReplaceAll(entry, `\`, "/") != normal {
		what = append(what, "leave out \".exe\" (Tauri adds it for Windows targets, after \"-<triple>\")")
	}
	f, _ := v.decidedBy("bundle", "externalBin")
	line, col, _ := f.Locate("bundle", "externalBin", strconv.Itoa(i))
	v.r.Problems = append(v.r.Problems, Problem{File: f.Path, Line: line, Column: col,
		Problem: fmt.Sprintf("bundle.externalBin entry %q is written for Windows: %s; Tauri would look for %s", entry, strings.Join(what, ", and "), v.opts.Target.SidecarPath(entry)),
		Fix:     v.cmd("tauri") + fmt.Sprintf(" (it rewrites the entry to %q)", normal)})
}

func (v *verifier) executable(file string, t target.Target, fix string) {
	v.r.Checked = append(v.r.Checked, file)
	st, err := os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.problem(file, "is missing", fix)
		return
	case err != nil:
		v.problem(file, fmt.Sprintf("cannot be read (%v)", err), fix)
		return
	case !st.Mode().IsRegular():
		v.problem(file, "is not a regular file", fix)
		return
	}
	if !v.opts.Target.Windows() && runtime.GOOS != "windows" && st.Mode().Perm()&0o111 == 0 {
		v.problem(file, fmt.Sprintf("is not executable (mode %04o)", st.Mode().Perm()), fmt.Sprintf("`chmod +x %s` or %s", ShellQuote(file), fix))
	}
	info, err := binfmt.IdentifyFile(file)
	if err != nil {
		v.problem(file, fmt.Sprintf("is not an executable (%v)", err), fix)
		return
	}
	if err := binfmt.Check(info, t); err != nil {
		v.problem(file, err.Error(), fix)
	}
}

func (v *verifier) resources(raw any) {
	var patterns []string
	mapForm := false
	switch res := raw.(type) {
	case []any:
		for _, e := range res {
			if s, ok := e.(string); ok {
				patterns = append(patterns, s)
			}
		}
	case map[string]any:
		mapForm = true
		for k := range res {
			patterns = append(patterns, k)
		}
		sort.Strings(patterns)
	}
	for _, pat := range patterns {
		abs := v.rel(pat)
		v.r.Checked = append(v.r.Checked, abs)
		file := v.setBy("bundle", "resources")
		if mapForm {
			file = v.setBy("bundle", "resources", pat)
		}
		correct := "correct bundle.resources in " + file
		in := quote(pat) + " in bundle.resources"
		o := resourceFiles(v.opts.Project.Dir, pat)
		switch {
		case o.invalid != "":
			v.problem(abs, "is not a glob Tauri accepts ("+in+": "+o.invalid+")", correct)
		case o.err != nil:
			v.problem(abs, fmt.Sprintf("cannot be read (%v), so Tauri cannot bundle it (%s)", o.err, in), correct)
		case o.broken != "":
			v.problem(o.broken, "does not exist (a broken symbolic link), and Tauri's bundler stops at it (resource path ... doesn't exist; "+in+")", "remove the link or make it point at a file")
		case o.missing:
			msg := "does not exist (" + in + ")"
			if strings.ContainsAny(pat, "?[{") {
				msg = "does not exist (" + in + " has no \"*\", so Tauri reads it as a literal path: \"?\", \"[...]\" and \"{...}\" match only themselves; use \"*\" or list each path)"
				v.problem(abs, msg, correct)
				continue
			}
			v.problem(abs, msg, v.resourceFix(pat, file))
		case o.files > 0:
		case o.glob && o.dirs > 0:
			v.problem(abs, "matches only folders ("+in+"): Tauri's glob ships files and skips folders, so nothing of it ships, and the bundler fails (\"glob pattern ... didn't match any files\") when no pattern after it ships a file; use "+quote(recursiveGlob(pat))+" for the files below them", correct)
		case o.glob && strings.Contains(pat, "{"):
			v.problem(abs, "matches no file ("+in+"; Tauri's glob has no {a,b} alternation, the braces match only themselves: list each pattern)", correct)
		case o.glob:
			v.problem(abs, "matches no file ("+in+")", v.resourceFix(pat, file))
		default:
			v.problem(abs, "is a folder without files ("+in+"): Tauri walks it and ships nothing", v.resourceFix(pat, file))
		}
	}
}

// recursiveGlob is the glob that brings the files below the folders pat matches: "dir/*"
// becomes "dir/**/*".
func recursiveGlob(pat string) string {
	if strings.HasSuffix(pat, "/*") {
		return strings.TrimSuffix(pat, "*") + "**/*"
	}
	return strings.TrimRight(pat, "/") + "/**/*"
}

// setBy is the config file whose value at keys the merged config for the target uses: the
// platform's overlay when it sets it (an overlay's list replaces the base's), else the base.
func (v *verifier) setBy(keys ...string) string {
	p := v.opts.Project
	if o := p.Overlay(tauri.PlatformName(v.opts.Target.GOOS)); o != nil {
		if m, err := o.Value(); err == nil {
			var cur any = m
			for _, k := range keys {
				obj, _ := cur.(map[string]any)
				cur = obj[k]
			}
			if cur != nil {
				return o.Path
			}
		}
	}
	return p.Base.Path
}

func quote(s string) string { return `"` + s + `"` }

func (v *verifier) resourceFix(pat, file string) string {
	clean := strings.TrimPrefix(filepath.ToSlash(pat), "./")
	switch {
	case clean == nize.BundleDir || strings.HasPrefix(clean, nize.BundleDir+"/"):
		return v.cmd("bundle-pglite")
	case clean == "resources/pg" || strings.HasPrefix(clean, "resources/pg/"):
		return v.cmd("tauri") + " (it moves the old resources/pg entries to resources/pglite), then " + v.cmd("bundle-pglite")
	}
	for _, d := range v.opts.BundleDirs {
		if clean == d || strings.HasPrefix(clean, d+"/") {
			return v.cmd("bundles") + " (the bundle " + nize.BundlesFile + " declares there)"
		}
	}
	return "create it, or correct bundle.resources in " + file
}

// manifest checks the PGlite bundle dir against nizepack-manifest.json (written by
// `nizepack bundle-pglite`), when the config bundles that dir or the dir exists.
func (v *verifier) manifest(resources any) {
	dir := v.rel(nize.BundleDir)
	_, dirErr := os.Stat(dir)
	if dirErr != nil && !mentionsPGlite(resources) {
		return
	}
	fix := v.cmd("bundle-pglite")
	checked, problems := bundle.CheckOutput(dir)
	v.r.Checked = append(v.r.Checked, checked...)
	for _, p := range problems {
		v.problem(p.Path, p.What, fix)
	}
}

// bundleManifests checks the app's other JS bundles (nizepack.json) against their manifests,
// as manifest does the PGlite bundle: a deleted or changed file of theirs is a problem even
// while a glob still matches what is left.
func (v *verifier) bundleManifests() {
	for _, d := range v.opts.BundleDirs {
		checked, problems := bundle.CheckOutput(v.rel(d))
		v.r.Checked = append(v.r.Checked, checked...)
		for _, p := range problems {
			v.problem(p.Path, p.What, v.cmd("bundles")+" (the bundle "+nize.BundlesFile+" declares there)")
		}
	}
}

func mentionsPGlite(resources any) bool {
	b, _ := json.Marshal(resources)
	return strings.Contains(string(b), nize.BundleDir)
}

// ShellQuote quotes s for a POSIX shell when it needs it (spaces, quotes, $...), so a fix
// that names a path runs as printed. Plain paths, Windows ones included, stay as they are.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=+@%,\\", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
