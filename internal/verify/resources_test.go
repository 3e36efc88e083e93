package verify

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// outcome names what Tauri's bundler makes of a pattern, for the table below.
func outcome(o resourceOutcome) string {
	switch {
	case o.invalid != "":
		return "invalid"
	case o.err != nil:
		return "unreadable"
	case o.broken != "":
		return "broken"
	case o.missing:
		return "missing"
	case o.files > 0:
		return "files"
	case o.glob && o.dirs > 0:
		return "only folders"
	case o.glob:
		return "no match"
	}
	return "empty folder"
}

// Each row is one rule of tauri-utils' ResourcePaths (crates/tauri-utils/src/resources.rs,
// tauri v2) and the glob crate 0.3 it calls, run from the Tauri dir as the bundler is.
func TestTauriResourceRules(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "tauri") // the Tauri dir
	for _, f := range []string{
		"tauri/a/top.txt", "tauri/a/b/c.txt", "tauri/only/sub1/x.txt", "tauri/x/c.txt",
		"tauri/dot/.env", "tauri/q1.txt", "up.txt",
	} {
		write(t, filepath.Join(root, filepath.FromSlash(f)), "x")
	}
	os.MkdirAll(filepath.Join(dir, "only", "sub2"), 0o755)
	os.MkdirAll(filepath.Join(dir, "empty", "sub"), 0o755)
	unix := runtime.GOOS != "windows"
	if unix { // names Windows does not allow
		write(t, filepath.Join(dir, "lit", "what?.txt"), "x")
		write(t, filepath.Join(dir, "lit", "{c,d}.txt"), "x")
		os.MkdirAll(filepath.Join(dir, "links"), 0o755)
		os.Symlink("nowhere", filepath.Join(dir, "links", "dangling"))
		write(t, filepath.Join(dir, "links2", "real.txt"), "x")
		os.Symlink("nowhere", filepath.Join(dir, "links2", "dangling.txt"))
	}
	write(t, filepath.Join(dir, "lit", "br[1].txt"), "x")

	for _, c := range []struct {
		pattern, want string
		unixOnly      bool
	}{
		// next_pattern: without '*' the pattern is a literal path (normalize(Path::new(pattern))).
		{"a/b/c.txt", "files", false},
		{"./a/b/c.txt", "files", false},    // normalize drops "." components
		{"../up.txt", "files", false},      // ".." is kept: relative to the Tauri dir
		{"missing", "missing", false},      // resource_from_path: !path.exists() → ResourcePathNotFound
		{"q?.txt", "missing", false},       // '?' without '*' is literal, though q1.txt exists
		{"a/b/c.t[xy]t", "missing", false}, // "[...]" without '*' is literal
		{"lit/br[1].txt", "files", false},  // ... and matches a file of that very name
		{"lit/what?.txt", "files", true},   // ... as '?' does
		{"lit/{c,d}.txt", "files", true},   // braces without '*': a literal name
		{"x/{c,d}.txt", "missing", false},  // ... never an alternation
		// next_current_path: a literal folder is walked (WalkDir) and its files ship.
		{"a", "files", false},
		{"only", "files", false},         // files in subfolders count
		{"empty", "empty folder", false}, // walked, nothing ships (Tauri is silent; verify reports it)
		{"links", "broken", true},        // a dangling link inside: resource_from_path fails on it
		// next_pattern: pattern.contains('*') → glob::glob; no result → GlobPathNotFound.
		{"a/*", "files", false},
		{"a/b/*.txt", "files", false},
		{"a/*.txt", "files", false},      // a/top.txt (and a dangling link, see below on unix)
		{"a/b/*.TXT", "no match", false}, // MatchOptions::new(): case-sensitive, on every file system
		{"missing/*", "no match", false},
		{"x/{c,d}.*", "no match", false}, // glob has no {a,b} alternation: '{' is a plain char
		{"a/b/*.t[xy]t", "files", false}, // with '*', "[...]" is a set ...
		{"a/b/*.t[!a]t", "files", false}, // ... "[!...]" its complement ...
		{"a/b/c.tx?*", "files", false},   // ... and '?' one char
		{"dot/*", "files", false},        // require_literal_leading_dot is false: '*' matches .env
		{"../*.txt", "files", false},
		// next_current_path: a folder a glob matches is skipped (is_dir && glob_iter); only
		// folders → the None reaches next_pattern → GlobPathNotFound (when nothing follows it).
		{"only/*", "only folders", false},
		{"empty/*", "only folders", false},
		{"a/*/", "only folders", false}, // a trailing separator matches folders only (require_dir)
		{"a/**", "only folders", false}, // a last "**" returns folders, never files
		// "**" is a whole component matching zero or more folders.
		{"a/**/*", "files", false},
		{"a/**/c.txt", "files", false},   // one folder deep
		{"a/**/top.txt", "files", false}, // zero folders deep
		{"**/c.txt", "files", false},
		{"a/**/**/c.txt", "files", false}, // consecutive "**" collapse
		{"only/**/*", "files", false},
		{"empty/**/*", "only folders", false},
		// glob::Pattern::new refuses these: the bundler fails with a PatternError.
		{"a/[*", "invalid", false},    // "invalid range pattern"
		{"a/***", "invalid", false},   // "wildcards are either regular `*` or recursive `**`"
		{"a/x**", "invalid", false},   // "recursive wildcards must form a single path component"
		{"a/**x/*", "invalid", false}, // ditto
		// resource_from_path: a glob result that does not exist (a dangling link) fails.
		{"links/*", "broken", true},
		{"links2/*.txt", "broken", true}, // even beside a file that ships
	} {
		if c.unixOnly && !unix {
			continue
		}
		if got := outcome(resourceFiles(dir, filepath.FromSlash(c.pattern))); got != c.want {
			t.Errorf("%q: %s, want %s", c.pattern, got, c.want)
		}
	}
}

// The rules give the same problems in list and map form, each saying what Tauri does and which
// file to correct.
func TestResourceProblems(t *testing.T) {
	linux, _ := target.Parse("linux-x86_64")
	for _, c := range []struct {
		pattern, want, fix string
	}{
		{"data/*", "matches only folders (\"data/*\" in bundle.resources): Tauri's glob ships files and skips folders", "use \"data/**/*\""},
		{"data/sub/?.txt", "does not exist (\"data/sub/?.txt\" in bundle.resources has no \"*\", so Tauri reads it as a literal path", ""},
		{"data/sub/{a,b}.*", "matches no file (\"data/sub/{a,b}.*\" in bundle.resources; Tauri's glob has no {a,b} alternation", ""},
		{"data/[*", "is not a glob Tauri accepts (\"data/[*\" in bundle.resources: pattern syntax error near position 5: invalid range pattern)", ""},
		{"nothing/*", "matches no file (\"nothing/*\" in bundle.resources)", ""},
	} {
		for _, form := range []string{`["%s"]`, `{"%s": "x/"}`} {
			dir := t.TempDir()
			res := strings.ReplaceAll(form, "%s", c.pattern)
			write(t, filepath.Join(dir, "tauri.conf.json"), `{"identifier": "x", "bundle": {"resources": ["ok.txt"]}}`)
			write(t, filepath.Join(dir, "tauri.linux.conf.json"), `{"bundle": {"resources": `+res+`}}`)
			write(t, filepath.Join(dir, "data", "sub", "a.txt"), "a")
			write(t, filepath.Join(dir, "ok.txt"), "ok")
			p, err := tauri.OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Check(context.Background(), Options{Project: p, Target: linux})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, pr := range r.Problems {
				if strings.Contains(pr.Problem, " in bundle.resources") {
					got = append(got, pr.String())
				}
			}
			if len(got) != 1 || !strings.Contains(got[0], c.want) || !strings.Contains(got[0], c.fix) || !strings.Contains(got[0], "tauri.linux.conf.json") {
				t.Errorf("%s: problems %q, want one with %q and %q naming tauri.linux.conf.json", res, got, c.want, c.fix)
			}
		}
	}
}
