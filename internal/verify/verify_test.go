package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

func write(t *testing.T, p, s string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Map-form resources are checked by their source keys; an overlay's null removes a base entry.
func TestResourcesMapFormAndOverlay(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "tauri.conf.json"), `{"identifier": "x", "bundle": {"resources": {"data/*.txt": "data/", "gone/x": "x"}}}`)
	write(t, filepath.Join(dir, "tauri.linux.conf.json"), `{"bundle": {"resources": {"gone/x": null}}}`)
	write(t, filepath.Join(dir, "data", "one.txt"), "1")
	p, err := tauri.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	linux, _ := target.Parse("linux-x86_64")
	r, err := Check(context.Background(), Options{Project: p, Target: linux})
	if err != nil {
		t.Fatal(err)
	}
	if pr := withoutShips(r.Problems); len(pr) > 0 {
		t.Errorf("linux: %v", pr)
	}
	mac, _ := target.Parse("macos-arm64")
	r, err = Check(context.Background(), Options{Project: p, Target: mac, ConfigPath: filepath.Join(dir, "tauri.conf.json")})
	if err != nil {
		t.Fatal(err)
	}
	if pr := withoutShips(r.Problems); len(pr) != 1 || !strings.HasSuffix(pr[0].File, filepath.Join("gone", "x")) || !strings.Contains(pr[0].Fix, "correct bundle.resources") {
		t.Errorf("macos: %+v", pr)
	}
}

// withoutShips leaves out the problems that a config ships no node or no PGlite bundle.
func withoutShips(in []Problem) []Problem {
	var out []Problem
	for _, p := range in {
		if !strings.Contains(p.Problem, " ships no ") {
			out = append(out, p)
		}
	}
	return out
}

func TestV1ConfigRefused(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "tauri.conf.json"), `{"tauri": {"bundle": {"externalBin": ["binaries/x"]}}}`)
	p, err := tauri.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	linux, _ := target.Parse("linux-x86_64")
	if _, err := Check(context.Background(), Options{Project: p, Target: linux}); err == nil || !strings.Contains(err.Error(), "Tauri v1 config") {
		t.Errorf("err = %v", err)
	}
}

// SkipSidecars leaves out every externalBin entry but node, for runs before the Rust build.
func TestSkipSidecars(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "tauri.conf.json"), `{"identifier": "x", "bundle": {"externalBin": ["binaries/node", "binaries/nize_api_server"]}}`)
	p, err := tauri.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	linux, _ := target.Parse("linux-x86_64")
	for _, skip := range []bool{false, true} {
		r, err := Check(context.Background(), Options{Project: p, Target: linux, SkipSidecars: skip})
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, pr := range withoutShips(r.Problems) {
			files = append(files, filepath.Base(pr.File))
		}
		want := []string{"node-x86_64-unknown-linux-gnu", "nize_api_server-x86_64-unknown-linux-gnu"}
		if skip {
			want = want[:1]
		}
		if strings.Join(files, " ") != strings.Join(want, " ") || len(r.Checked) != len(want) {
			t.Errorf("SkipSidecars=%v: problems about %v, checked %v; want %v", skip, files, r.Checked, want)
		}
	}
}

// What Tauri would refuse fails verify, with the position and a fix.
func TestInvalidConfigFails(t *testing.T) {
	linux, _ := target.Parse("linux-x86_64")
	for name, c := range map[string]struct{ config, want, fix string }{
		"externalBin string": {"{\n  \"identifier\": \"x\",\n  \"bundle\": {\"externalBin\": \"binaries/node\"}\n}\n", "tauri.conf.json:3:14: bundle.externalBin is a string; Tauri expects a list of paths", "edit bundle.externalBin in "},
		"resources string":   {`{"identifier": "x", "bundle": {"resources": "data/*"}}`, "tauri.conf.json:1:32: bundle.resources is a string", "edit bundle.resources in "},
		"duplicate bundle":   {"{\"identifier\": \"x\",\n\"bundle\": {\"externalBin\": [\"binaries/x\"]},\n\"bundle\": {}}", "tauri.conf.json:3:1: bundle is a duplicate key (first at line 2)", "edit bundle in "},
		"bundle null":        {`{"identifier": "x", "bundle": null}`, "tauri.conf.json:1:21: bundle does not match the Tauri v2 config schema: got null, want object", "`nizepack tauri --config c.json`"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "tauri.conf.json"), c.config)
			p, err := tauri.OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Check(context.Background(), Options{Project: p, Target: linux, ConfigPath: "c.json"})
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() || !strings.Contains(r.Problems[0].String(), c.want) || !strings.Contains(r.Problems[0].Fix, c.fix) {
				t.Errorf("problems = %v, want %q with fix %q", r.Problems, c.want, c.fix)
			}
		})
	}
}

// A build hook that still calls an old script is a problem at the hook's key, fixed by
// `nizepack tauri`; for a platform whose overlay sets its own hook, the overlay's counts.
func TestOldScriptHooks(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "tauri.conf.json"), "{\n  \"identifier\": \"x\",\n  \"build\": {\n    \"beforeBuildCommand\": \"cargo build --release && bash scripts/setup-sidecar-binaries.sh release && npm run build\",\n    \"beforeDevCommand\": {\"script\": \"npm run --prefix packages/nize-desktop build:pglite-server\", \"wait\": true}\n  }\n}\n")
	write(t, filepath.Join(dir, "tauri.linux.conf.json"), "{\"build\": {\"beforeBuildCommand\": \"nizepack sidecars --profile release && nizepack fetch-node\"}}")
	write(t, filepath.Join(dir, "tauri.windows.conf.json"), "{\"build\": {\"beforeBundleCommand\": \"bash scripts/download-node.sh\"}}")
	p, err := tauri.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		platform string
		want     []string // file:line:col key command
	}{
		{"macos-arm64", []string{
			"tauri.conf.json:4:5 build.beforeBuildCommand \"bash scripts/setup-sidecar-binaries.sh release\" \"nizepack sidecars --profile release && nizepack fetch-node\"",
			"tauri.conf.json:5:5 build.beforeDevCommand \"npm run --prefix packages/nize-desktop build:pglite-server\" \"nizepack bundle-pglite\"",
		}},
		{"linux-x86_64", []string{ // the overlay's own beforeBuildCommand replaces the base's
			"tauri.conf.json:5:5 build.beforeDevCommand \"npm run --prefix packages/nize-desktop build:pglite-server\" \"nizepack bundle-pglite\"",
		}},
		{"windows-x86_64", []string{
			"tauri.conf.json:4:5 build.beforeBuildCommand \"bash scripts/setup-sidecar-binaries.sh release\" \"nizepack sidecars --profile release && nizepack fetch-node\"",
			"tauri.conf.json:5:5 build.beforeDevCommand \"npm run --prefix packages/nize-desktop build:pglite-server\" \"nizepack bundle-pglite\"",
			"tauri.windows.conf.json:1:12 build.beforeBundleCommand \"bash scripts/download-node.sh\" \"nizepack fetch-node\"",
		}},
	} {
		tt, _ := target.Parse(tc.platform)
		r, err := Check(context.Background(), Options{Project: p, Target: tt, ConfigPath: "my conf.json"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, pr := range r.Problems {
			if !strings.Contains(pr.Problem, "a script nizepack replaces") {
				continue
			}
			key, rest, _ := strings.Cut(pr.Problem, " runs ")
			cmd, _, _ := strings.Cut(rest, ", a script")
			_, repl, _ := strings.Cut(pr.Fix, "run ")
			got = append(got, fmt.Sprintf("%s:%d:%d %s %s %s", filepath.Base(pr.File), pr.Line, pr.Column, key, cmd, strings.TrimSuffix(repl, " instead)")))
			if !strings.HasPrefix(pr.Fix, "`nizepack tauri --config 'my conf.json'`") {
				t.Errorf("fix %q does not run `nizepack tauri` with the --config given", pr.Fix)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.platform, got, tc.want)
		}
	}
}
