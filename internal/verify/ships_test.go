package verify

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// verify says ready only when the merged config for the platform ships the JS runtime sidecar
// and the PGlite bundle; otherwise the problem names the file that decides it and the fix.
func TestShipsRuntimeAndPGlite(t *testing.T) {
	const migrated = `{"identifier": "x", "bundle": {"externalBin": ["binaries/node", "binaries/api"], "resources": ["resources/pglite/*"]}}`
	for _, c := range []struct {
		name, base, overlay, platform string
		want                          []string // "FILE:LINE:COL WHAT | FIX"
	}{
		{"migrated", migrated, "", "linux-x86_64", nil},
		{"unmigrated", `{"identifier": "x", "bundle": {"externalBin": ["binaries/api"], "resources": ["resources/pg/*"]}}`, "", "linux-x86_64", []string{
			`tauri.conf.json:1:32 bundle.externalBin for linux-x86_64 ships no JS runtime (no "binaries/node") | ` + "`nizepack tauri --config CONF` (it adds \"binaries/node\")",
			`tauri.conf.json:1:65 bundle.resources for linux-x86_64 ships no resources/pglite (no "resources/pglite/*" entry), so the app has no PGlite server to start; it still ships the old "resources/pg/*" | ` + "`nizepack tauri --config CONF` (it moves the old resources/pg entries to resources/pglite), then `nizepack bundle-pglite --config CONF`",
		}},
		{"no bundle", `{"identifier": "x"}`, "", "linux-x86_64", []string{
			`tauri.conf.json:1:1 bundle.externalBin for linux-x86_64 ships no JS runtime | ` + "`nizepack tauri --config CONF`",
			`tauri.conf.json:1:1 bundle.resources for linux-x86_64 ships no resources/pglite | add "resources/pglite/*" to bundle.resources in CONF`,
		}},
		{"linux overlay externalBin null", migrated, `{"bundle": {"externalBin": null}}`, "linux-x86_64", []string{
			`tauri.linux.conf.json:1:13 OVERLAY sets bundle.externalBin to null, which drops the base's entries for linux-x86_64: it ships no JS runtime (no "binaries/node") | replace that null with ["binaries/node"] (and the Rust sidecars linux-x86_64 needs), as ` + "`nizepack tauri`" + ` leaves an overlay's null alone`,
		}},
		{"... not for macOS", migrated, `{"bundle": {"externalBin": null}}`, "macos-arm64", nil},
		{"linux overlay without node", migrated, `{"bundle": {"externalBin": ["binaries/api"]}}`, "linux-x86_64", []string{
			`tauri.linux.conf.json:1:13 bundle.externalBin for linux-x86_64 ships no JS runtime (no "binaries/node") | ` + "`nizepack tauri --config CONF` (it adds \"binaries/node\")",
		}},
		{"linux overlay bundle null", migrated, `{"bundle": null}`, "linux-x86_64", []string{
			`tauri.linux.conf.json:1:2 OVERLAY sets bundle to null, which drops the base's entries for linux-x86_64 | replace that null`,
			`tauri.linux.conf.json:1:2 OVERLAY sets bundle to null, which drops the base's resources for linux-x86_64 | replace that null`,
		}},
		{"windows overlay resources without pglite", migrated, `{"bundle": {"resources": ["resources/win/*"]}}`, "windows-x86_64", []string{
			`tauri.windows.conf.json:1:13 bundle.resources for windows-x86_64 ships no resources/pglite | add "resources/pglite/*" to bundle.resources in OVERLAY`,
		}},
		{"bun counts as a runtime", `{"identifier": "x", "bundle": {"externalBin": ["./binaries/bun"], "resources": ["resources/pglite"]}}`, "", "linux-x86_64", nil},
		{"map form", `{"identifier": "x", "bundle": {"externalBin": ["binaries/node"], "resources": {"resources/pglite/*": "pglite/"}}}`, "", "linux-x86_64", nil},
		{"map form overlay drops pglite", `{"identifier": "x", "bundle": {"externalBin": ["binaries/node"], "resources": {"resources/pglite/*": "pglite/"}}}`, `{"bundle": {"resources": {"resources/pglite/*": null}}}`, "linux-x86_64", []string{
			`tauri.linux.conf.json:1:13 bundle.resources for linux-x86_64 ships no resources/pglite | add "resources/pglite/*" to bundle.resources in OVERLAY`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "tauri.conf.json")
			write(t, conf, c.base)
			tt, _ := target.Parse(c.platform)
			overlay := filepath.Join(dir, "tauri."+tauri.PlatformName(tt.GOOS)+".conf.json")
			if strings.HasPrefix(c.name, "... not for") { // the row above's Linux overlay
				overlay = filepath.Join(dir, "tauri.linux.conf.json")
			}
			if c.overlay != "" {
				write(t, overlay, c.overlay)
			}
			write(t, filepath.Join(dir, "resources", "pg", "old.txt"), "old")
			p, err := tauri.OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Check(context.Background(), Options{Project: p, Target: tt, ConfigPath: conf})
			if err != nil {
				t.Fatal(err)
			}
			var got []Problem
			for _, pr := range r.Problems {
				if strings.Contains(pr.Problem, " ships no ") {
					got = append(got, pr)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("problems %v, want %d", got, len(c.want))
			}
			for i, pr := range got {
				s := fmt.Sprintf("%s:%d:%d %s | %s", filepath.Base(pr.File), pr.Line, pr.Column, pr.Problem, pr.Fix)
				s = strings.ReplaceAll(strings.ReplaceAll(s, overlay, "OVERLAY"), conf, "CONF")
				what, fix, _ := strings.Cut(c.want[i], " | ")
				if gw, gf, _ := strings.Cut(s, " | "); !strings.HasPrefix(gw, what) || !strings.HasPrefix(gf, fix) {
					t.Errorf("problem\n %s\nwant\n %s", s, c.want[i])
				}
			}
		})
	}
}

// A Windows-style externalBin entry is a problem at the entry, saying what is wrong and offering
// the `nizepack tauri` rewrite (never `nizepack sidecars`, which cannot fix it); the files the
// entry should name are still checked.
func TestWindowsStyleEntries(t *testing.T) {
	for _, c := range []struct{ entry, want string }{
		{`binaries\\node`, `bundle.externalBin entry "binaries\\node" is written for Windows: use forward slashes (a backslash separates folders only on Windows); Tauri would look for binaries\node-x86_64-unknown-linux-gnu`},
		{`binaries/node.exe`, `bundle.externalBin entry "binaries/node.exe" is written for Windows: leave out ".exe" (Tauri adds it for Windows targets, after "-<triple>"); Tauri would look for binaries/node.exe-x86_64-unknown-linux-gnu`},
		{`binaries\\api.exe`, `bundle.externalBin entry "binaries\\api.exe" is written for Windows: use forward slashes (a backslash separates folders only on Windows), and leave out ".exe"`},
	} {
		dir := t.TempDir()
		conf := filepath.Join(dir, "tauri.conf.json")
		write(t, conf, "{\"identifier\": \"x\", \"bundle\": {\"resources\": [\"resources/pglite/*\"], \"externalBin\": [\n  \"binaries/node\",\n  \""+c.entry+"\"\n]}}")
		p, err := tauri.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		linux, _ := target.Parse("linux-x86_64")
		r, err := Check(context.Background(), Options{Project: p, Target: linux, ConfigPath: conf})
		if err != nil {
			t.Fatal(err)
		}
		normal, _ := tauri.NormalizeExternalBin(strings.ReplaceAll(c.entry, `\\`, `\`))
		var found bool
		for _, pr := range r.Problems {
			if strings.Contains(pr.Problem, "written for Windows") {
				found = true
				if !strings.HasPrefix(pr.Problem, c.want) || pr.Line != 3 || pr.Column != 3 || pr.Fix != "`nizepack tauri --config "+conf+"` (it rewrites the entry to \""+normal+"\")" {
					t.Errorf("%s: %s", c.entry, pr)
				}
			}
			if strings.Contains(pr.Fix, "sidecars") && strings.Contains(pr.File, "node") {
				t.Errorf("%s: a fix that cannot work: %s", c.entry, pr)
			}
			if strings.Contains(pr.Problem, "ships no JS runtime") {
				t.Errorf("%s: counted as no runtime: %s", c.entry, pr)
			}
		}
		if !found {
			t.Errorf("%s: no problem: %v", c.entry, r.Problems)
		}
		missing := filepath.Join(dir, "binaries", filepath.Base(linux.SidecarPath(normal)))
		var checked bool
		for _, c := range r.Checked {
			checked = checked || c == missing
		}
		if !checked {
			t.Errorf("%s: %s not checked: %v", c.entry, missing, r.Checked)
		}
	}
}

// A Linux build with a .deb or .rpm that ships a sidecar named node warns once (the package
// would install /usr/bin/node over the distribution's nodejs); another name, another platform or
// only other bundle targets do not.
func TestNodeCollisionWarning(t *testing.T) {
	for _, c := range []struct {
		name, bundle, platform, sidecar string
		warn                            bool
	}{
		{"targets all", `"targets": "all", "externalBin": ["binaries/node"]`, "linux-x86_64", "", true},
		{"targets absent (all)", `"externalBin": ["binaries/node"]`, "linux-arm64", "", true},
		{"deb", `"targets": ["deb"], "externalBin": ["binaries/node"]`, "linux-x86_64", "", true},
		{"rpm", `"targets": "rpm", "externalBin": ["binaries/node"]`, "linux-x86_64", "", true},
		{"appimage only", `"targets": ["appimage"], "externalBin": ["binaries/node"]`, "linux-x86_64", "", false},
		{"macOS", `"targets": "all", "externalBin": ["binaries/node"]`, "macos-arm64", "", false},
		{"renamed", `"targets": "all", "externalBin": ["binaries/nize-node"]`, "linux-x86_64", "nize-node", false},
		{"renamed but the config still ships node", `"targets": "all", "externalBin": ["binaries/node"]`, "linux-x86_64", "nize-node", true},
	} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "tauri.conf.json"), `{"identifier": "x", "bundle": {`+c.bundle+`, "resources": ["resources/pglite/*"]}}`)
		p, err := tauri.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		tt, _ := target.Parse(c.platform)
		r, err := Check(context.Background(), Options{Project: p, Target: tt, SidecarName: c.sidecar})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !c.warn && len(r.Warnings) > 0:
			t.Errorf("%s: warnings %q", c.name, r.Warnings)
		case c.warn && (len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "/usr/bin/node") || !strings.Contains(r.Warnings[0], "trying to overwrite '/usr/bin/node', which is also in package nodejs") || !strings.Contains(r.Warnings[0], "NODE_SIDECAR_NAME=nize-node") || !strings.Contains(r.Warnings[0], `change the app's sidecar("node") call to sidecar("nize-node")`)):
			t.Errorf("%s: warnings %q, want one", c.name, r.Warnings)
		}
	}
}

// With another sidecar name, verify wants binaries/<name> in externalBin and its files, and
// leaves it out of the Rust sidecars.
func TestSidecarNameInVerify(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "tauri.conf.json"), `{"identifier": "x", "bundle": {"externalBin": ["binaries/node", "binaries/api"], "resources": ["resources/pglite/*"]}}`)
	p, err := tauri.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	linux, _ := target.Parse("linux-x86_64")
	r, err := Check(context.Background(), Options{Project: p, Target: linux, SidecarName: "nize-node", SkipSidecars: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pr := range r.Problems {
		if strings.Contains(pr.Problem, "ships no JS runtime") {
			got = append(got, pr.Problem+" | "+pr.Fix)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], `(no "binaries/nize-node")`) || !strings.Contains(got[0], "`nizepack tauri` (it adds \"binaries/nize-node\")") {
		t.Errorf("problems %q", got)
	}
	for _, c := range r.Checked { // binaries/api is a Rust sidecar, skipped; binaries/node is left over
		if strings.Contains(c, "binaries") {
			t.Errorf("checked %s", c)
		}
	}
	var left []string
	for _, pr := range r.Problems {
		if strings.Contains(pr.Problem, "still lists") {
			left = append(left, fmt.Sprintf("%d:%d %s | %s", pr.Line, pr.Column, pr.Problem, pr.Fix))
		}
	}
	if len(left) != 1 || !strings.HasPrefix(left[0], `1:48 bundle.externalBin still lists "binaries/node", but the node sidecar is named "nize-node"`) || !strings.HasSuffix(left[0], `| remove "binaries/node" from bundle.externalBin in `+filepath.Join(dir, "tauri.conf.json")) {
		t.Errorf("the left-over node entry: %q", left)
	}
}
