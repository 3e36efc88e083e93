package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// For a macOS build that ships node, verify names the entitlements trap: no entitlements file, a
// missing or unreadable one, or one without the keys V8 and WASM need; Linux and Windows are not
// concerned, and an app without node is not either.
func TestEntitlements(t *testing.T) {
	dir := t.TempDir()
	exe, _ := fakebin.Executable("darwin", "arm64", "v1\n")
	write(t, filepath.Join(dir, "binaries", "node-aarch64-apple-darwin"), string(exe))
	os.Chmod(filepath.Join(dir, "binaries", "node-aarch64-apple-darwin"), 0o755)
	mac, _ := target.Parse("macos-arm64")
	linux, _ := target.Parse("linux-x86_64")
	check := func(conf string, tg target.Target) []Problem {
		t.Helper()
		write(t, filepath.Join(dir, "tauri.conf.json"), conf)
		p, err := tauri.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Check(context.Background(), Options{Project: p, Target: tg})
		if err != nil {
			t.Fatal(err)
		}
		var out []Problem
		for _, pr := range r.Problems {
			if strings.Contains(pr.Fix, "--entitlements") {
				out = append(out, pr)
			}
		}
		return out
	}
	withNode := `{"identifier": "x", "bundle": {"externalBin": ["binaries/node"]%s}}`
	none := strings.Replace(withNode, "%s", "", 1)
	named := strings.Replace(withNode, "%s", `, "macOS": {"entitlements": "./E.plist"}`, 1)

	if pr := check(none, mac); len(pr) != 1 || !strings.Contains(pr[0].Problem, "sets no bundle.macOS.entitlements") || pr[0].Fix != "`nizepack tauri --entitlements`" {
		t.Errorf("no entitlements: %+v", pr)
	}
	if pr := check(none, linux); len(pr) != 0 {
		t.Errorf("linux: %+v", pr)
	}
	if pr := check(`{"identifier": "x", "bundle": {"externalBin": ["binaries/api"]}}`, mac); len(pr) != 0 {
		t.Errorf("no node: %+v", pr)
	}
	if pr := check(named, mac); len(pr) != 1 || !strings.Contains(pr[0].Problem, "is missing") || pr[0].File != filepath.Join(dir, "E.plist") {
		t.Errorf("missing file: %+v", pr)
	}
	write(t, filepath.Join(dir, "E.plist"), "<plist><dict><key>x")
	if pr := check(named, mac); len(pr) != 1 || !strings.Contains(pr[0].Problem, "cannot be read as a property list") {
		t.Errorf("garbage: %+v", pr)
	}
	write(t, filepath.Join(dir, "E.plist"), plistGranting(nize.NodeEntitlements()[0])) // allow-jit only
	if pr := check(named, mac); len(pr) != 1 || !strings.Contains(pr[0].Problem, "does not grant com.apple.security.cs.allow-unsigned-executable-memory") {
		t.Errorf("one key: %+v", pr)
	}
	write(t, filepath.Join(dir, "E.plist"), plistGranting(nize.NodeEntitlements()...))
	if pr := check(named, mac); len(pr) != 0 {
		t.Errorf("both keys: %+v", pr)
	}
}

// plistGranting is an entitlements plist that grants keys.
func plistGranting(keys ...string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>\n")
	for _, k := range keys {
		b.WriteString("<key>" + k + "</key><true/>\n")
	}
	b.WriteString("</dict></plist>\n")
	return b.String()
}
