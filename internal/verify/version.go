package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/nize/nizepack/tauri"
)

// semverRE is SemVer 2.0.0 as the Rust semver crate (which tauri-utils parses `version` with)
// reads it: three numbers without leading zeros, an optional pre-release whose numeric
// identifiers have none either, optional build metadata; no "v", no shorthand.
var semverRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(?:-(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?` +
	`(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

// isSemver reports whether s is a version the semver crate parses (each number fits a u64).
func isSemver(s string) bool {
	m := semverRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	for _, n := range m[1:4] {
		if _, err := strconv.ParseUint(n, 10, 64); err != nil {
			return false
		}
	}
	return true
}

// versionProblem is what tauri-utils' PackageVersion deserializer (crates/tauri-utils/src/
// config.rs) refuses in a config's `version`: a value that names an existing path (relative
// to the Tauri dir, where the tauri CLI runs) must be a JSON object with a semver string
// `version`; any other value must be semver itself. Absent or null is fine: Tauri then takes
// the version from Cargo.toml. It returns "" when Tauri accepts the value.
func versionProblem(tauriDir string, value any) string {
	s, ok := value.(string)
	if !ok { // absent or null: Cargo.toml's; another type: the schema check reports it
		return ""
	}
	p := s
	if !filepath.IsAbs(p) {
		p = filepath.Join(tauriDir, filepath.FromSlash(s))
	}
	if _, err := os.Stat(p); err != nil {
		if isSemver(s) {
			return ""
		}
		return fmt.Sprintf("%q is neither a semver version (such as \"1.2.3\": three numbers, no \"v\") nor the path of an existing package.json, so Tauri refuses it (\"`package > version` must be a semver string\")", s)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return fmt.Sprintf("names %s, which Tauri cannot read as the package.json that holds the version (%v)", p, err)
	}
	var pkg any
	if err := json.Unmarshal(b, &pkg); err != nil {
		return fmt.Sprintf("names %s, which is not JSON (%v), so Tauri cannot read the version from it", p, err)
	}
	obj, ok := pkg.(map[string]any)
	switch {
	case !ok:
		return fmt.Sprintf("names %s, which is not a JSON object, so Tauri cannot read the version from it", p)
	case obj["version"] == nil:
		return fmt.Sprintf("names %s, which has no \"version\", so Tauri cannot read the version from it", p)
	}
	v, ok := obj["version"].(string)
	switch {
	case !ok:
		return fmt.Sprintf("names %s, whose \"version\" is %s; Tauri expects a semver string there", p, jsonKind(obj["version"]))
	case !isSemver(v):
		return fmt.Sprintf("names %s, whose \"version\" %q is not semver (such as \"1.2.3\"), so Tauri refuses it", p, v)
	}
	return ""
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// version reports a `version` Tauri would refuse, at its key in the file that sets it.
func (v *verifier) version(cfg map[string]any) {
	msg := versionProblem(v.opts.Project.Dir, cfg["version"])
	if msg == "" {
		return
	}
	file := v.opts.Project.Base
	if o := v.opts.Project.Overlay(tauri.PlatformName(v.opts.Target.GOOS)); o != nil && v.setBy("version") == o.Path {
		file = o
	}
	line, col, _ := file.Locate("version")
	v.r.Problems = append(v.r.Problems, Problem{File: file.Path, Line: line, Column: col,
		Problem: "version " + msg,
		Fix:     "set version in " + file.Path + " to a semver version such as \"1.2.3\", to the path of a package.json holding one (relative to " + v.opts.Project.Dir + "), or remove it to use Cargo.toml's"})
}
