package verify

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// This file applies Tauri v2's rules for bundle.resources, as tauri-utils' ResourcePaths
// (crates/tauri-utils/src/resources.rs) and the glob crate (0.3) it calls apply them when the
// bundler copies resources:
//
//   - ResourcePathsIter::next_pattern: only a pattern containing '*' is a glob
//     (`pattern.contains('*')` → glob::glob); any other pattern is a literal path, so '?',
//     "[...]" and "{...}" in it match only themselves.
//   - next_pattern: a glob whose first result is None is Error::GlobPathNotFound ("glob pattern
//     … path not found or didn't match any files").
//   - next_current_path: a folder a glob matches is skipped (`is_dir && glob_iter.is_some()` →
//     self.next()); when nothing after it yields a resource, that None reaches next_pattern's
//     check, so a glob matching only folders fails as one matching nothing, and otherwise ships
//     nothing.
//   - next_current_path: a literal folder is walked (walkdir, links not followed) and its
//     files ship; resource_from_path: a literal path, or anything a glob or walk brings, that
//     does not exist (a dangling symlink) is Error::ResourcePathNotFound.
//   - glob::Pattern::new: "**" must be a whole path component, "***" is refused, an unclosed
//     "[" is "invalid range pattern"; there is no "{a,b}" alternation and no backslash escape.
//   - glob::glob: "**" matches folders at any depth below (as the last component only
//     folders); '*', '?' and "[...]" never cross a separator; matching is case-sensitive and a
//     leading '.' needs no literal dot (MatchOptions::new()); a pattern ending in a separator
//     matches folders only.

// resourceOutcome is what Tauri's bundler makes of one bundle.resources pattern.
type resourceOutcome struct {
	glob    bool   // the pattern has a '*', so tauri-utils globs it
	invalid string // the glob crate refuses the pattern: its message
	files   int    // files the pattern ships
	dirs    int    // folders a glob matched, which tauri-utils skips
	missing bool   // a literal path that does not exist
	broken  string // a path it brings in that does not exist (a dangling symlink)
	err     error  // a folder that could not be read
}

// resourceFiles applies Tauri's rules to pattern, relative to dir (the Tauri dir, where the
// tauri CLI runs the bundler).
func resourceFiles(dir, pattern string) resourceOutcome {
	var o resourceOutcome
	base, rest := splitRoot(dir, pattern)
	if !strings.Contains(pattern, "*") {
		o.walkLiteral(joinPath(base, rest))
		return o
	}
	o.glob = true
	if _, err := compileComponent([]rune(pattern)); err != nil {
		o.invalid = err.Error()
		return o
	}
	g := &globber{requireDir: len(rest) > 0 && os.IsPathSeparator(rest[len(rest)-1])}
	for _, c := range strings.FieldsFunc(rest, func(r rune) bool { return r < utf8.RuneSelf && os.IsPathSeparator(uint8(r)) }) {
		comp, err := compileComponent([]rune(c))
		if err != nil {
			o.invalid = err.Error()
			return o
		}
		g.comps = append(g.comps, comp)
	}
	g.yield = func(p string) {
		st, err := os.Stat(p)
		switch {
		case err != nil:
			if o.broken == "" {
				o.broken = p
			}
		case st.IsDir():
			o.dirs++
		default:
			o.files++
		}
	}
	if len(g.comps) > 0 {
		g.fill(0, base, isDir(base))
	}
	o.err = g.err
	return o
}

// walkLiteral is a pattern without '*': the path itself, or the files of the folder it names.
func (o *resourceOutcome) walkLiteral(p string) {
	st, err := os.Stat(p)
	if err != nil {
		o.missing = true
		return
	}
	if !st.IsDir() {
		o.files = 1
		return
	}
	root := p
	if r, err := filepath.EvalSymlinks(p); err == nil { // walkdir follows a root that is a link
		root = r
	}
	o.err = filepath.WalkDir(root, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(q)
			switch {
			case err != nil:
				if o.broken == "" {
					o.broken = filepath.Join(p, strings.TrimPrefix(q, root))
				}
				return nil
			case st.IsDir(): // a link to a folder: walkdir does not descend, tauri-utils skips it
				return nil
			}
		}
		o.files++
		return nil
	})
}

// splitRoot returns where a pattern starts (dir, or its root when it is absolute) and the rest.
func splitRoot(dir, pattern string) (base, rest string) {
	vol := filepath.VolumeName(pattern)
	rest = pattern[len(vol):]
	switch {
	case rest != "" && os.IsPathSeparator(rest[0]):
		return vol + string(filepath.Separator), strings.TrimLeftFunc(rest, func(r rune) bool { return r < utf8.RuneSelf && os.IsPathSeparator(uint8(r)) })
	case vol != "":
		return vol, rest
	}
	return dir, rest
}

// joinPath joins without cleaning the pattern's own "..": a/link/.. is not a.
func joinPath(base, rest string) string {
	if rest == "" {
		return base
	}
	if strings.HasSuffix(base, string(filepath.Separator)) {
		return base + rest
	}
	return base + string(filepath.Separator) + rest
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// A component of a glob pattern, compiled as glob::Pattern::new does.
type component struct {
	toks      []token
	meta      bool // has a wildcard: read the folder and match names
	recursive bool // is "**"
	lit       string
}

type token struct {
	kind  byte // 'c' a char, '?' any char, '*' any sequence, '[' a set
	c     rune
	set   []charRange
	negat bool
}

type charRange struct{ lo, hi rune }

// patternError is glob::PatternError's message.
type patternError struct {
	pos int
	msg string
}

func (e *patternError) Error() string {
	return fmt.Sprintf("pattern syntax error near position %d: %s", e.pos, e.msg)
}

func isSep(r rune) bool { return r < utf8.RuneSelf && os.IsPathSeparator(uint8(r)) }

// compileComponent is glob::Pattern::new: it also validates a whole pattern.
func compileComponent(chars []rune) (component, error) {
	c := component{lit: string(chars)}
	for i := 0; i < len(chars); {
		switch chars[i] {
		case '?':
			c.meta = true
			c.toks = append(c.toks, token{kind: '?'})
			i++
		case '*':
			c.meta = true
			old := i
			for i < len(chars) && chars[i] == '*' {
				i++
			}
			switch n := i - old; {
			case n > 2:
				return c, &patternError{old + 2, "wildcards are either regular `*` or recursive `**`"}
			case n == 2:
				if !(i == 2 || isSep(chars[i-n-1])) {
					return c, &patternError{old - 1, "recursive wildcards must form a single path component"}
				}
				switch {
				case i < len(chars) && isSep(chars[i]):
					i++
				case i == len(chars):
				default:
					return c, &patternError{i, "recursive wildcards must form a single path component"}
				}
				if k := len(c.toks); !(k > 1 && c.toks[k-1].kind == 'R') {
					c.recursive = true
					c.toks = append(c.toks, token{kind: 'R'})
				}
			default:
				c.toks = append(c.toks, token{kind: '*'})
			}
		case '[':
			c.meta = true
			if i+4 <= len(chars) && chars[i+1] == '!' {
				if j := indexRune(chars[i+3:], ']'); j >= 0 {
					c.toks = append(c.toks, token{kind: '[', negat: true, set: charSet(chars[i+2 : i+3+j])})
					i += j + 4
					continue
				}
			} else if i+3 <= len(chars) && chars[i+1] != '!' {
				if j := indexRune(chars[i+2:], ']'); j >= 0 {
					c.toks = append(c.toks, token{kind: '[', set: charSet(chars[i+1 : i+2+j])})
					i += j + 3
					continue
				}
			}
			return c, &patternError{i, "invalid range pattern"}
		default:
			c.toks = append(c.toks, token{kind: 'c', c: chars[i]})
			i++
		}
	}
	return c, nil
}

func indexRune(s []rune, r rune) int {
	for i, c := range s {
		if c == r {
			return i
		}
	}
	return -1
}

// charSet is glob's parse_char_specifiers: single chars and a-z ranges.
func charSet(s []rune) []charRange {
	var out []charRange
	for i := 0; i < len(s); {
		if i+3 <= len(s) && s[i+1] == '-' {
			out = append(out, charRange{s[i], s[i+2]})
			i += 3
		} else {
			out = append(out, charRange{s[i], s[i]})
			i++
		}
	}
	return out
}

// match matches a file name against a component's tokens, case-sensitively.
func match(toks []token, name []rune) bool {
	for len(toks) > 0 {
		t := toks[0]
		if t.kind == '*' || t.kind == 'R' {
			for i := 0; i <= len(name); i++ {
				if match(toks[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		ok := true
		switch t.kind {
		case 'c':
			ok = name[0] == t.c
		case '[':
			in := false
			for _, r := range t.set {
				if name[0] >= r.lo && name[0] <= r.hi {
					in = true
				}
			}
			ok = in != t.negat
		}
		if !ok {
			return false
		}
		toks, name = toks[1:], name[1:]
	}
	return len(name) == 0
}

// globber walks a pattern's components as glob::Paths does (fill_todo and next), calling
// yield with every path the glob crate returns.
type globber struct {
	comps      []component
	requireDir bool
	yield      func(string)
	err        error
}

// fill is fill_todo: the candidates below path for comps[idx].
func (g *globber) fill(idx int, path string, pathIsDir bool) {
	c := g.comps[idx]
	add := func(next string) {
		if idx+1 == len(g.comps) {
			if !g.requireDir || isDir(next) {
				g.yield(next)
			}
			return
		}
		g.fill(idx+1, next, isDir(next))
	}
	if !c.meta {
		special := c.lit == "." || c.lit == ".."
		next := joinPath(path, c.lit)
		if (special && pathIsDir) || (!special && exists(next)) {
			add(next)
		}
		return
	}
	if !pathIsDir {
		return
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		if g.err == nil {
			g.err = err
		}
		return
	}
	for _, e := range entries {
		p := joinPath(path, e.Name())
		dir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			dir = isDir(p)
		}
		g.next(idx, p, dir)
	}
	// "." and ".." match only a component that starts with a literal dot.
	if len(c.toks) > 0 && c.toks[0].kind == 'c' && c.toks[0].c == '.' {
		for _, special := range []string{".", ".."} {
			if match(c.toks, []rune(special)) {
				add(joinPath(path, special))
			}
		}
	}
}

// next is Paths::next for one candidate: path, to be matched by comps[idx].
func (g *globber) next(idx int, path string, dir bool) {
	if g.comps[idx].recursive {
		last := idx
		for last+1 < len(g.comps) && g.comps[last+1].recursive {
			last++
		}
		switch {
		case dir:
			g.fill(last, path, true)
			if last == len(g.comps)-1 {
				g.yield(path) // a pattern ending in ** returns the folders themselves
				return
			}
			idx = last + 1
		case last == len(g.comps)-1:
			return
		default:
			idx = last + 1
		}
	}
	name := filepath.Base(path)
	if !utf8.ValidString(name) { // the glob crate leaves names that are not UTF-8 out
		return
	}
	if !match(g.comps[idx].toks, []rune(name)) {
		return
	}
	if idx == len(g.comps)-1 {
		if !g.requireDir || dir {
			g.yield(path)
		}
		return
	}
	g.fill(idx+1, path, dir)
}
