package verify

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/tauri"
)

// ships reports a merged config that would build a package without the JS runtime sidecar or
// without the PGlite bundle: the app could not start its database. Each problem names the file
// whose value the platform's build uses (the overlay that replaces or drops the base's, else
// the base) and the `nizepack tauri` fix when that rewrite makes the config ship it, else the
// edit that does.
func (v *verifier) ships(cfg map[string]any) {
	runtime, pglite := v.shipsRuntime(cfg), shipsPGlite(cfg)
	if runtime && pglite {
		return
	}
	after := v.afterTauri()
	platform := v.opts.Target.Name
	node := nize.RuntimeEntries(v.nodeName())[0]
	if !runtime {
		f, null := v.decidedBy("bundle", "externalBin")
		problem := fmt.Sprintf("bundle.externalBin for %s ships no JS runtime (no %q), so the app cannot start its PGlite server", platform, node)
		fix := fmt.Sprintf("add %q to bundle.externalBin in %s", node, f.Path)
		if null != "" {
			problem = fmt.Sprintf("%s sets %s to null, which drops the base's entries for %s: it ships no JS runtime (no %q), so the app cannot start its PGlite server", f.Path, null, platform, node)
			fix = fmt.Sprintf("replace that null with [%q] (and the Rust sidecars %s needs), as `nizepack tauri` leaves an overlay's null alone", node, platform)
		}
		if after != nil && v.shipsRuntime(after) {
			fix = v.cmd("tauri") + fmt.Sprintf(" (it adds %q)", node)
		}
		v.configProblem(f, problem, fix, "bundle", "externalBin")
	}
	if !pglite {
		f, null := v.decidedBy("bundle", "resources")
		problem := fmt.Sprintf("bundle.resources for %s ships no %s (no %q entry), so the app has no PGlite server to start", platform, nize.BundleDir, nize.BundleDir+"/*")
		if old := oldPGEntry(cfg); old != "" {
			problem += fmt.Sprintf("; it still ships the old %q", old)
		}
		fix := fmt.Sprintf("add %q to bundle.resources in %s", nize.BundleDir+"/*", f.Path)
		if null != "" {
			problem = fmt.Sprintf("%s sets %s to null, which drops the base's resources for %s: it ships no %s, so the app has no PGlite server to start", f.Path, null, platform, nize.BundleDir)
			fix = fmt.Sprintf("replace that null with [%q] (and the other resources %s needs)", nize.BundleDir+"/*", platform)
		}
		if after != nil && shipsPGlite(after) {
			fix = v.cmd("tauri") + " (it moves the old resources/pg entries to resources/pglite), then " + v.cmd("bundle-pglite")
		}
		v.configProblem(f, problem, fix, "bundle", "resources")
	}
}

func (v *verifier) nodeName() string {
	if v.opts.SidecarName != "" {
		return v.opts.SidecarName
	}
	return nize.DefaultSidecarName
}

// shipsRuntime: the merged bundle.externalBin holds the node sidecar or bun.
func (v *verifier) shipsRuntime(cfg map[string]any) bool {
	bundle, _ := cfg["bundle"].(map[string]any)
	list, _ := bundle["externalBin"].([]any)
	want := nize.RuntimeEntries(v.nodeName())
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			continue
		}
		s, _ = tauri.NormalizeExternalBin(s) // a Windows-style entry is its own problem
		if slices.Contains(want, nize.CleanEntry(s)) {
			return true
		}
	}
	return false
}

// shipsPGlite: a merged bundle.resources entry (list entry or map key) ships the bundle dir.
func shipsPGlite(cfg map[string]any) bool {
	for _, p := range resourcePatterns(cfg) {
		if nize.ShipsBundle(p) {
			return true
		}
	}
	return false
}

// oldPGEntry is a resources entry still under the old resources/pg, or "".
func oldPGEntry(cfg map[string]any) string {
	for _, p := range resourcePatterns(cfg) {
		if c := nize.CleanEntry(p); c == "resources/pg" || strings.HasPrefix(c, "resources/pg/") {
			return p
		}
	}
	return ""
}

func resourcePatterns(cfg map[string]any) []string {
	bundle, _ := cfg["bundle"].(map[string]any)
	var out []string
	switch res := bundle["resources"].(type) {
	case []any:
		for _, e := range res {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case map[string]any:
		for k := range res {
			out = append(out, k)
		}
	}
	return out
}

// afterTauri is the merged config for the target as `nizepack tauri` would leave it, or nil
// when that rewrite would refuse the config.
func (v *verifier) afterTauri() map[string]any {
	p := v.opts.Project
	changes, err := tauri.Plan(p, nize.Migration(v.nodeName()))
	if err != nil {
		return nil
	}
	q := &tauri.Project{Dir: p.Dir}
	for _, c := range changes {
		f := *c.File
		f.Data = c.New
		switch {
		case c.File == p.Base:
			q.Base = &f
		case c.File.Platform != "":
			q.Overlays = append(q.Overlays, &f)
		}
	}
	if q.Base == nil {
		return nil
	}
	cfg, err := q.Merged(v.opts.Target.GOOS)
	if err != nil {
		return nil
	}
	return cfg
}

// decidedBy is the file whose value at keys the target's merged config uses: the platform's
// overlay when it sets the value or a parent of it (null included), else the base; null names
// the key the overlay sets to null ("" when it does not).
func (v *verifier) decidedBy(keys ...string) (f *tauri.File, null string) {
	p := v.opts.Project
	if o := p.Overlay(tauri.PlatformName(v.opts.Target.GOOS)); o != nil {
		if m, err := o.Value(); err == nil {
			var cur any = m
			for i, k := range keys {
				obj, _ := cur.(map[string]any)
				val, present := obj[k]
				if !present {
					break
				}
				if val == nil {
					return o, strings.Join(keys[:i+1], ".")
				}
				if i == len(keys)-1 {
					return o, ""
				}
				cur = val
			}
		}
	}
	return p.Base, ""
}

// configProblem is a problem at keys (or the deepest part of them set) in f.
func (v *verifier) configProblem(f *tauri.File, problem, fix string, keys ...string) {
	line, col, _ := f.Locate(keys...)
	v.r.Problems = append(v.r.Problems, Problem{File: f.Path, Line: line, Column: col, Problem: problem, Fix: fix})
}

// nodeCollision warns about a Linux build with a .deb or .rpm (bundle.targets "all", absent,
// or naming deb or rpm) that ships a sidecar named node: Tauri installs sidecars beside the
// app's binary, so the package installs /usr/bin/node, which the distribution's nodejs owns.
func (v *verifier) nodeCollision(cfg map[string]any) {
	if v.opts.Target.GOOS != "linux" {
		return
	}
	bundle, _ := cfg["bundle"].(map[string]any)
	list, _ := bundle["externalBin"].([]any)
	node := false
	for _, e := range list {
		if s, ok := e.(string); ok {
			s, _ = tauri.NormalizeExternalBin(s)
			node = node || path.Base(s) == "node"
		}
	}
	if !node || !debOrRPM(bundle["targets"]) {
		return
	}
	v.r.Warnings = append(v.r.Warnings, fmt.Sprintf("the Linux .deb and .rpm install the node sidecar as /usr/bin/node (Tauri puts sidecars beside the app's binary), where the distribution's nodejs package has its node: dpkg refuses the package next to it (\"trying to overwrite '/usr/bin/node', which is also in package nodejs\"), and without it the app's node becomes every user's node; set %s=nize-node in versions.env (or pass --sidecar-name nize-node) and change the app's sidecar(\"node\") call to sidecar(\"nize-node\")", pins.NodeSidecarName))
}

// debOrRPM reports whether bundle.targets builds a .deb or an .rpm: "all", absent (Tauri's
// default is all), or a name or list naming deb or rpm.
func debOrRPM(targets any) bool {
	switch t := targets.(type) {
	case nil:
		return true
	case string:
		return t == "all" || t == "deb" || t == "rpm"
	case []any:
		for _, e := range t {
			if s, _ := e.(string); s == "all" || s == "deb" || s == "rpm" {
				return true
			}
		}
	}
	return false
}
