package verify

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// isSemver reads versions as the Rust semver crate does (tauri-utils: Version::from_str).
func TestIsSemver(t *testing.T) {
	for s, want := range map[string]bool{
		"0.3.0": true, "1.2.3-beta.1": true, "1.2.3+build.001": true, "1.2.3-alpha-1.x": true, "10.20.30": true,
		"abc": false, "1.2": false, "1": false, "v1.2.3": false, "01.2.3": false, "1.02.3": false,
		"1.2.3-01": false, "1.2.3-": false, "1.2.3+": false, "1.2.3.4": false, " 1.2.3": false, "": false,
		"18446744073709551616.0.0": false, // does not fit a u64
	} {
		if got := isSemver(s); got != want {
			t.Errorf("isSemver(%q) = %v, want %v", s, got, want)
		}
	}
}

// verify refuses a version as tauri-utils' PackageVersion deserializer does: semver, or the path
// (relative to the Tauri dir) of a package.json whose "version" is semver; absent is fine.
func TestVersion(t *testing.T) {
	linux, _ := target.Parse("linux-x86_64")
	for _, c := range []struct {
		name, version, want string // want "" = accepted
	}{
		{"semver", `"0.3.0"`, ""},
		{"absent", ``, ""},   // Option<PackageVersion>: Cargo.toml's version
		{"null", `null`, ""}, // ditto
		{"not semver", `"abc"`, `version "abc" is neither a semver version`}, // visit_str: no such path → Version::from_str fails
		{"two numbers", `"1.2"`, `version "1.2" is neither`},
		{"package.json", `"../package.json"`, ""}, // path.exists() → its "version"
		{"package.json bad version", `"../bad/package.json"`, `whose "version" "next" is not semver`},
		{"package.json without version", `"../none/package.json"`, `which has no "version"`},
		{"package.json not an object", `"../list/package.json"`, `which is not a JSON object`},
		{"package.json not JSON", `"../broken/package.json"`, `which is not JSON`},
		{"package.json version a number", `"../num/package.json"`, `whose "version" is a number`},
		{"a folder", `"../bad"`, `which Tauri cannot read`}, // read_to_string fails on a folder
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "tauri")
			version := ""
			if c.version != "" {
				version = `"version": ` + c.version + `, `
			}
			write(t, filepath.Join(dir, "tauri.conf.json"), "{"+version+`"identifier": "x"}`)
			write(t, filepath.Join(root, "package.json"), `{"name": "app", "version": "1.0.0"}`)
			write(t, filepath.Join(root, "bad", "package.json"), `{"version": "next"}`)
			write(t, filepath.Join(root, "none", "package.json"), `{"name": "x"}`)
			write(t, filepath.Join(root, "list", "package.json"), `["1.0.0"]`)
			write(t, filepath.Join(root, "broken", "package.json"), `{"version":`)
			write(t, filepath.Join(root, "num", "package.json"), `{"version": 1}`)
			p, err := tauri.OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Check(context.Background(), Options{Project: p, Target: linux})
			if err != nil {
				t.Fatal(err)
			}
			var got []Problem
			for _, pr := range r.Problems {
				if strings.HasPrefix(pr.Problem, "version ") {
					got = append(got, pr)
				}
			}
			switch {
			case c.want == "" && len(got) > 0:
				t.Errorf("problems %v, want none", got)
			case c.want != "" && (len(got) != 1 || !strings.Contains(got[0].Problem, c.want)):
				t.Errorf("problems %v, want one with %q", got, c.want)
			case c.want != "" && (got[0].Line != 1 || got[0].Column != 2 || !strings.Contains(got[0].Fix, "or remove it to use Cargo.toml's")):
				t.Errorf("problem %s: want it at 1:2 with the fix", got[0])
			}
		})
	}
}

// An overlay's version replaces the base's for its platform, and the problem names the overlay.
func TestVersionInOverlay(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "tauri.conf.json"), `{"version": "1.0.0", "identifier": "x"}`)
	write(t, filepath.Join(dir, "tauri.linux.conf.json"), "{\n  \"version\": \"1.0\"\n}\n")
	p, err := tauri.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ platform, want string }{{"linux-x86_64", "tauri.linux.conf.json:2:3: version \"1.0\""}, {"macos-arm64", ""}} {
		tt, _ := target.Parse(c.platform)
		r, err := Check(context.Background(), Options{Project: p, Target: tt})
		if err != nil {
			t.Fatal(err)
		}
		found := ""
		for _, pr := range r.Problems {
			if strings.Contains(pr.Problem, "version ") && strings.HasPrefix(pr.Problem, "version") {
				found = pr.String()
			}
		}
		if c.want == "" && found != "" || c.want != "" && !strings.Contains(found, c.want) {
			t.Errorf("%s: %q, want %q", c.platform, found, c.want)
		}
	}
}
