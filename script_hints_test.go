package nizepack_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// runhint FILE REGEXP [ARGS...]: runs, as printed, the first `nizepack ...` command quoted in
// backticks in FILE (stderr: the last command's) whose text matches REGEXP (words split as a POSIX
// shell splits plain and single-quoted words), with ARGS appended (e.g. --help to check that it
// parses). With !, the hint must fail.
func cmdRunhint(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: runhint FILE REGEXP [ARGS...]")
	}
	file := args[0]
	args = args[1:]
	re, err := regexp.Compile(args[0])
	ts.Check(err)
	stderr := ts.ReadFile(file)
	for _, m := range regexp.MustCompile("`(nizepack [^`]*)`").FindAllStringSubmatch(stderr, -1) {
		if !re.MatchString(m[1]) {
			continue
		}
		words := shellWords(ts, m[1])
		ts.Logf("running hint: %q", words)
		err := ts.Exec(words[0], append(words[1:], args[1:]...)...)
		if neg && err == nil {
			ts.Fatalf("hint %s succeeded", m[1])
		}
		if !neg && err != nil {
			ts.Fatalf("hint %s: %v", m[1], err)
		}
		return
	}
	ts.Fatalf("no `nizepack ...` hint matching %q in %s", args[0], file)
}

// shellWords splits plain and single-quoted words, which is all verify.ShellQuote produces.
func shellWords(ts *testscript.TestScript, s string) []string {
	var words []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, in = true, true
		case c == ' ':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case strings.IndexByte("\"$`;&|<>()*?", c) >= 0:
			ts.Fatalf("hint %s has an unquoted %q", s, c)
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quoted {
		ts.Fatalf("hint %s has an unterminated quote", s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// lsdir DIR: prints the names in DIR, one a line (dot files included), for checking what a run
// left beside its output.
func cmdLsdir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lsdir DIR")
	}
	entries, err := os.ReadDir(ts.MkAbs(args[0]))
	ts.Check(err)
	for _, e := range entries {
		fmt.Fprintln(ts.Stdout(), e.Name())
	}
}
