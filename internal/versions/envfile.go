package versions

import (
	"bytes"
	"regexp"
	"strings"
)

// assignment matches a versions.env KEY=VALUE line: indent, optional "export ", key, "=", rest.
var assignment = regexp.MustCompile(`^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$`)

// Rewrite gives each key of values its new value in a versions.env, in place: comments, blank
// lines, order, "export ", quoting, trailing comments and line endings stay as they were. Keys
// the file does not have are added in the order of add (keys not in add are not added), after
// the last line that was rewritten (else at the end), preceded by comment when it is non-empty.
// It returns the new text and whether anything changed.
func Rewrite(data []byte, values map[string]string, add []string, comment string) ([]byte, bool) {
	text := string(data)
	eol := "\n"
	if strings.Contains(text, "\r\n") {
		eol = "\r\n"
	}
	lines := strings.SplitAfter(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	seen := map[string]bool{}
	last := -1
	for i, line := range lines {
		body, end := splitEOL(line)
		m := assignment.FindStringSubmatch(body)
		if m == nil || strings.HasPrefix(strings.TrimSpace(body), "#") {
			continue
		}
		val, ok := values[m[2]]
		if !ok {
			continue
		}
		seen[m[2]] = true
		last = i
		lines[i] = m[1] + m[2] + m[3] + replaceValue(m[4], val) + end
	}
	var extra []string
	for _, k := range add {
		if v, ok := values[k]; ok && !seen[k] {
			extra = append(extra, k+"="+v+eol)
			seen[k] = true
		}
	}
	if len(extra) > 0 {
		if comment != "" {
			extra = append([]string{"# " + comment + eol}, extra...)
		}
		at := last + 1
		if last < 0 {
			at = len(lines)
		}
		if at > 0 && !strings.HasSuffix(lines[at-1], "\n") {
			lines[at-1] += eol
		}
		lines = append(lines[:at], append(extra, lines[at:]...)...)
	}
	out := []byte(strings.Join(lines, ""))
	return out, !bytes.Equal(out, data)
}

func splitEOL(line string) (body, eol string) {
	switch {
	case strings.HasSuffix(line, "\r\n"):
		return line[:len(line)-2], "\r\n"
	case strings.HasSuffix(line, "\n"):
		return line[:len(line)-1], "\n"
	}
	return line, ""
}

// replaceValue swaps the value in the text after "=", keeping its quotes and any comment.
func replaceValue(rest, val string) string {
	if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
		if end := strings.IndexByte(rest[1:], rest[0]); end >= 0 {
			return rest[:1] + val + rest[end+1:]
		}
	}
	// Unquoted: the value runs to " #" (a comment) or the end, trailing blanks excluded.
	v := rest
	tail := ""
	if i := strings.Index(rest, " #"); i >= 0 {
		v, tail = rest[:i], rest[i:]
	}
	trimmed := strings.TrimRight(v, " \t")
	return val + v[len(trimmed):] + tail
}
