package target

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAcceptsNamesAliasesTriples(t *testing.T) {
	cases := map[string]string{
		"macos-arm64":              "aarch64-apple-darwin",
		"macos-aarch64":            "aarch64-apple-darwin",
		"MACOS-X64":                "x86_64-apple-darwin",
		"x86_64-unknown-linux-gnu": "x86_64-unknown-linux-gnu",
		"linux-aarch64":            "aarch64-unknown-linux-gnu",
		"windows-x64":              "x86_64-pc-windows-msvc",
		"aarch64-pc-windows-msvc":  "aarch64-pc-windows-msvc",
		"macos-universal":          "universal-apple-darwin",
		"universal-apple-darwin":   "universal-apple-darwin",
	}
	for in, want := range cases {
		got, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got.Triple != want {
			t.Errorf("Parse(%q).Triple = %q, want %q", in, got.Triple, want)
		}
	}
}

func TestParseUnknownSuggestsNearest(t *testing.T) {
	_, err := Parse("macos-arm46")
	var ue *UnknownError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnknownError", err)
	}
	if ue.Nearest != "macos-arm64" {
		t.Errorf("nearest = %q, want macos-arm64", ue.Nearest)
	}
	if !strings.Contains(err.Error(), "linux-x86_64") || !strings.Contains(err.Error(), "host") {
		t.Errorf("error does not list valid names: %v", err)
	}
	_, err = Parse("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
	if !errors.As(err, &ue) || ue.Nearest != "" {
		t.Errorf("far-off input got a suggestion: %v", err)
	}
}

func TestSidecarPathFollowsTauriRule(t *testing.T) {
	win, _ := Parse("windows-arm64")
	if got := win.SidecarPath("binaries/node"); got != "binaries/node-aarch64-pc-windows-msvc.exe" {
		t.Errorf("windows sidecar = %q", got)
	}
	mac, _ := Parse("macos-universal")
	if got := mac.SidecarPath("binaries/node"); got != "binaries/node-universal-apple-darwin" {
		t.Errorf("universal sidecar = %q", got)
	}
	slices := mac.SliceTargets()
	if len(slices) != 2 || slices[0].Triple != "aarch64-apple-darwin" || slices[1].Triple != "x86_64-apple-darwin" {
		t.Errorf("universal slices = %v", slices)
	}
}

func TestSingleHasSixWithNodeDist(t *testing.T) {
	s := Single()
	if len(s) != 6 {
		t.Fatalf("Single() has %d targets, want 6", len(s))
	}
	for _, tg := range s {
		if tg.NodeDist == "" || tg.GOARCH == "" {
			t.Errorf("%s lacks NodeDist or GOARCH", tg.Name)
		}
	}
}

func TestForHost(t *testing.T) {
	tg, err := For("linux", "amd64")
	if err != nil || tg.Name != "linux-x86_64" {
		t.Errorf("For(linux, amd64) = %v, %v", tg, err)
	}
	if _, err := For("plan9", "386"); err == nil {
		t.Error("For(plan9, 386) succeeded")
	}
}
