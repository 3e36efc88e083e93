// Package target is the one table of platforms nizepack builds for: friendly names, aliases,
// Rust triples, Node and Bun distribution names and Tauri's sidecar naming rule.
//
//	t, err := target.Parse("macos-arm64") // also aliases, Rust triples and "host"
//	t.SidecarPath("binaries/node")        // "binaries/node-aarch64-apple-darwin"
package target

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
)

// Target is one platform a Tauri app is packaged for.
type Target struct {
	Name     string   // friendly name, e.g. "macos-arm64"
	Aliases  []string // other accepted names, e.g. "macos-aarch64"
	Triple   string   // Rust target triple, e.g. "aarch64-apple-darwin"
	NodeDist string   // Node dist name, e.g. "darwin-arm64"; empty for universal
	// BunDist is Bun's release platform name, e.g. "darwin-aarch64" (bun-<BunDist>.zip); empty
	// where Bun publishes no build (and for universal).
	BunDist string
	GOOS    string // darwin, linux or windows
	GOARCH  string // amd64 or arm64; empty for universal
	// Slices lists the per-architecture targets a universal (fat) target is made of.
	Slices []string
}

// All is the table, in display order. Keep it the only list of platforms in the code.
var all = []Target{
	{Name: "macos-arm64", Aliases: []string{"macos-aarch64"}, Triple: "aarch64-apple-darwin", NodeDist: "darwin-arm64", BunDist: "darwin-aarch64", GOOS: "darwin", GOARCH: "arm64"},
	{Name: "macos-x86_64", Aliases: []string{"macos-x64"}, Triple: "x86_64-apple-darwin", NodeDist: "darwin-x64", BunDist: "darwin-x64", GOOS: "darwin", GOARCH: "amd64"},
	{Name: "linux-x86_64", Aliases: []string{"linux-x64"}, Triple: "x86_64-unknown-linux-gnu", NodeDist: "linux-x64", BunDist: "linux-x64", GOOS: "linux", GOARCH: "amd64"},
	{Name: "linux-arm64", Aliases: []string{"linux-aarch64"}, Triple: "aarch64-unknown-linux-gnu", NodeDist: "linux-arm64", BunDist: "linux-aarch64", GOOS: "linux", GOARCH: "arm64"},
	{Name: "windows-x86_64", Aliases: []string{"windows-x64"}, Triple: "x86_64-pc-windows-msvc", NodeDist: "win-x64", BunDist: "windows-x64", GOOS: "windows", GOARCH: "amd64"},
	{Name: "windows-arm64", Aliases: []string{"windows-aarch64"}, Triple: "aarch64-pc-windows-msvc", NodeDist: "win-arm64", GOOS: "windows", GOARCH: "arm64"},
	{Name: "macos-universal", Triple: "universal-apple-darwin", GOOS: "darwin", Slices: []string{"macos-arm64", "macos-x86_64"}},
}

// All returns every target, universal last.
func All() []Target { return append([]Target(nil), all...) }

// Single returns the six single-architecture targets (what `--all` fetches).
func Single() []Target {
	var out []Target
	for _, t := range all {
		if !t.Universal() {
			out = append(out, t)
		}
	}
	return out
}

// Universal reports whether t is a fat macOS target made of several slices.
func (t Target) Universal() bool { return len(t.Slices) > 0 }

// Windows reports whether Tauri appends ".exe" for this target (its triple contains "windows").
func (t Target) Windows() bool { return strings.Contains(t.Triple, "windows") }

// Exe is ".exe" for Windows targets and "" otherwise.
func (t Target) Exe() string {
	if t.Windows() {
		return ".exe"
	}
	return ""
}

// SidecarPath is Tauri's externalBin rule: "<path>-<triple>" plus ".exe" on Windows.
func (t Target) SidecarPath(path string) string { return path + "-" + t.Triple + t.Exe() }

// SliceTargets returns the per-architecture targets of a universal target.
func (t Target) SliceTargets() []Target {
	var out []Target
	for _, name := range t.Slices {
		s, err := Parse(name)
		if err != nil {
			panic("target table: " + err.Error())
		}
		out = append(out, s)
	}
	return out
}

func (t Target) String() string { return t.Name }

// UnknownError is returned for a platform name that is not in the table.
type UnknownError struct {
	Input   string
	Nearest string
}

func (e *UnknownError) Error() string {
	msg := fmt.Sprintf("unknown platform %q", e.Input)
	if e.Nearest != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Nearest)
	}
	return msg + "; valid platforms: " + strings.Join(Names(), ", ") + ", or host"
}

// Names lists every friendly name.
func Names() []string {
	var names []string
	for _, t := range all {
		names = append(names, t.Name)
	}
	return names
}

// Parse accepts a friendly name, an alias, a Rust triple or "host" (case-insensitive).
func Parse(s string) (Target, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	if key == "host" {
		return Host()
	}
	for _, t := range all {
		if key == t.Name || key == t.Triple {
			return t, nil
		}
		for _, a := range t.Aliases {
			if key == a {
				return t, nil
			}
		}
	}
	return Target{}, &UnknownError{Input: s, Nearest: nearest(key)}
}

// Host is the target nizepack itself runs on.
func Host() (Target, error) { return For(runtime.GOOS, runtime.GOARCH) }

// For finds the single-architecture target for a GOOS/GOARCH pair.
func For(goos, goarch string) (Target, error) {
	for _, t := range all {
		if t.GOOS == goos && t.GOARCH == goarch {
			return t, nil
		}
	}
	return Target{}, fmt.Errorf("host %s/%s is not a supported platform; name one of: %s", goos, goarch, strings.Join(Names(), ", "))
}

// nearest returns the known name closest to s by edit distance, if any is reasonably close.
func nearest(s string) string {
	type cand struct {
		name string
		dist int
	}
	var cands []cand
	for _, t := range all {
		for _, n := range append([]string{t.Name, t.Triple}, t.Aliases...) {
			cands = append(cands, cand{t.Name, levenshtein(s, n)})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	if len(cands) == 0 || cands[0].dist > max(3, len(s)/2) {
		return ""
	}
	return cands[0].name
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
