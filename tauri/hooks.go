// This file reads and rewrites the build hooks of a Tauri config: build.beforeDevCommand,
// build.beforeBuildCommand and build.beforeBundleCommand, each a shell command string or an
// object {"script": "...", "cwd": "...", "wait": ...} (tauri-utils' HookCommand and
// BeforeDevCommand).

package tauri

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tailscale/hujson"
)

// HookKeys are the build hooks the tauri CLI runs, under "build", in the order it runs them.
var HookKeys = []string{"beforeDevCommand", "beforeBuildCommand", "beforeBundleCommand"}

// HookRewrite replaces a command in the build hooks. A hook's script is split into its simple
// commands (the parts between &&, ||, |, ;, &, parentheses and line breaks, outside quotes);
// each one that Command matches as a whole (leading and trailing blanks aside) is replaced by
// Replace, in which $1, ${name}... expand to Command's groups as in regexp.Expand. Everything
// else in the script (the other commands, the separators, the spacing) stays as written.
//
// A rewrite must be idempotent: Replace must not itself be matched by Command.
type HookRewrite struct {
	Command string // a regexp (RE2 syntax), matched against one whole simple command
	Replace string
}

func (r HookRewrite) compile() (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + r.Command + `)$`)
	if err != nil {
		return nil, fmt.Errorf("hook rewrite %q: %w", r.Command, err)
	}
	return re, nil
}

// HookCall is one simple command of a hook that a rewrite replaces.
type HookCall struct {
	Command string // as written in the hook, trimmed
	Replace string // what it becomes
}

// RewriteScript applies rewrites to a hook's shell script and returns the new script and the
// commands it replaced (none: the script is returned unchanged). An invalid Command regexp is
// an error.
func RewriteScript(script string, rewrites []HookRewrite) (string, []HookCall, error) {
	res := make([]*regexp.Regexp, len(rewrites))
	for i, r := range rewrites {
		re, err := r.compile()
		if err != nil {
			return "", nil, err
		}
		res[i] = re
	}
	return rewriteScript(script, rewrites, res), callsOf(script, rewrites, res), nil
}

func rewriteScript(script string, rewrites []HookRewrite, res []*regexp.Regexp) string {
	var b strings.Builder
	last := 0
	for _, seg := range simpleCommands(script) {
		cmd := script[seg[0]:seg[1]]
		for i, re := range res {
			if m := re.FindStringSubmatchIndex(cmd); m != nil {
				b.WriteString(script[last:seg[0]])
				b.Write(re.ExpandString(nil, rewrites[i].Replace, cmd, m))
				last = seg[1]
				break
			}
		}
	}
	if last == 0 {
		return script
	}
	b.WriteString(script[last:])
	return b.String()
}

func callsOf(script string, rewrites []HookRewrite, res []*regexp.Regexp) []HookCall {
	var calls []HookCall
	for _, seg := range simpleCommands(script) {
		cmd := script[seg[0]:seg[1]]
		for i, re := range res {
			if m := re.FindStringSubmatchIndex(cmd); m != nil {
				calls = append(calls, HookCall{Command: cmd, Replace: string(re.ExpandString(nil, rewrites[i].Replace, cmd, m))})
				break
			}
		}
	}
	return calls
}

// simpleCommands returns the [start, end) of each simple command of a shell script, without
// its leading and trailing blanks: the text between the control operators &&, ||, |, ;, &,
// parentheses and line breaks that stand outside quotes. It reads the subset of sh (and of
// cmd.exe, which shares these operators) that build hooks use; a backslash escapes the next
// character outside single quotes.
func simpleCommands(s string) [][2]int {
	var out [][2]int
	start := 0
	flush := func(end int) {
		a, b := start, end
		for a < b && isBlank(s[a]) {
			a++
		}
		for b > a && isBlank(s[b-1]) {
			b--
		}
		if a < b {
			out = append(out, [2]int{a, b})
		}
	}
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			i++ // the escaped character, in or out of double quotes
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '&' || c == '|' || c == ';' || c == '(' || c == ')' || c == '\n':
			flush(i)
			if (c == '&' || c == '|') && i+1 < len(s) && s[i+1] == c {
				i++
			}
			start = i + 1
		}
	}
	flush(len(s))
	return out
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// Hook is one build hook set in a config file.
type Hook struct {
	Path         string
	Platform     string // the overlay's platform, "" for the base config
	Line, Column int    // of the hook's key
	Key          string // e.g. "build.beforeBuildCommand"
	Script       string // the shell command (of the object form's "script")
}

// Hooks lists the build hooks each config file sets (base first, then the overlays; in each
// file in its order), in the string form or the object form. Hooks of another type (null, a number) are left out.
func (p *Project) Hooks() ([]Hook, error) {
	var out []Hook
	for _, f := range p.Files() {
		v, err := f.parse()
		if err != nil {
			return nil, err
		}
		for _, h := range hookValues(v) {
			script, ok := hookScript(h.member.Value)
			if !ok {
				continue
			}
			line, col := lineColumn(f.Data, h.member.Name.StartOffset)
			out = append(out, Hook{Path: f.Path, Platform: f.Platform, Line: line, Column: col, Key: "build." + h.key, Script: script})
		}
	}
	return out, nil
}

type hookValue struct {
	key    string
	member *hujson.ObjectMember
}

// hookValues finds the build hooks in a parsed config, in the file's order; a duplicated key
// counts as JSON readers read it: the last one.
func hookValues(v hujson.Value) []hookValue {
	root, ok := v.Value.(*hujson.Object)
	if !ok {
		return nil
	}
	bm := lastMember(root, "build")
	if bm == nil {
		return nil
	}
	build, ok := bm.Value.Value.(*hujson.Object)
	if !ok {
		return nil
	}
	var out []hookValue
	for i := range build.Members {
		m := &build.Members[i]
		lit, ok := m.Name.Value.(hujson.Literal)
		if ok && slices.Contains(HookKeys, lit.String()) && lastMember(build, lit.String()) == m {
			out = append(out, hookValue{key: lit.String(), member: m})
		}
	}
	return out
}

// hookScript is the script of a hook value: the string itself, or the object's "script".
func hookScript(v hujson.Value) (string, bool) {
	if s, ok := stringOf(v); ok {
		return s, true
	}
	if obj, ok := v.Value.(*hujson.Object); ok {
		if m := lastMember(obj, "script"); m != nil {
			return stringOf(m.Value)
		}
	}
	return "", false
}

// rewriteHooks applies the rewrites to every build hook in the tree, in place.
func rewriteHooks(v hujson.Value, rewrites []HookRewrite) error {
	if len(rewrites) == 0 {
		return nil
	}
	res := make([]*regexp.Regexp, len(rewrites))
	for i, r := range rewrites {
		re, err := r.compile()
		if err != nil {
			return err
		}
		res[i] = re
	}
	for _, h := range hookValues(v) {
		target := &h.member.Value
		if obj, ok := target.Value.(*hujson.Object); ok {
			m := lastMember(obj, "script")
			if m == nil {
				continue
			}
			target = &m.Value
		}
		s, ok := stringOf(*target)
		if !ok {
			continue
		}
		if ns := rewriteScript(s, rewrites, res); ns != s {
			target.Value = hujson.String(ns)
		}
	}
	return nil
}

// lastMember finds an object member by name; of duplicated keys the last, as JSON readers do.
func lastMember(obj *hujson.Object, name string) *hujson.ObjectMember {
	var found *hujson.ObjectMember
	for i := range obj.Members {
		if lit, ok := obj.Members[i].Name.Value.(hujson.Literal); ok && lit.String() == name {
			found = &obj.Members[i]
		}
	}
	return found
}
