package tauri

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/tailscale/hujson"
)

// The helpers below edit a hujson syntax tree in place so that everything not edited packs
// back byte for byte: new items copy the layout (line break, indentation, trailing comma) of
// their siblings, renamed strings keep their position, removed items take only their own line.

// style is what a file uses for new lines and one level of indentation.
type style struct {
	eol  string // "\n" or "\r\n"
	unit string // e.g. "  ", "    " or "\t"
	sep  string // after a comma on one line: " ", or "" in a minified file
}

// detectStyle guesses a file's line ending and indentation unit from its text.
func detectStyle(data []byte) style {
	st := style{eol: "\n", unit: "  ", sep: ""}
	if bytes.Contains(data, []byte(", ")) || bytes.Contains(data, []byte(": ")) || bytes.Contains(data, []byte("\n")) {
		st.sep = " "
	}
	if bytes.Contains(data, []byte("\r\n")) {
		st.eol = "\r\n"
	}
	best := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "\t") {
			st.unit = "\t"
			return st
		}
		n := len(line) - len(strings.TrimLeft(line, " "))
		if n > 0 && n < len(line) && (best == 0 || n < best) {
			best = n
		}
	}
	if best > 0 {
		st.unit = strings.Repeat(" ", best)
	}
	return st
}

// member finds an object member by name.
func member(obj *hujson.Object, name string) (int, *hujson.ObjectMember) {
	for i := range obj.Members {
		if lit, ok := obj.Members[i].Name.Value.(hujson.Literal); ok && lit.String() == name {
			return i, &obj.Members[i]
		}
	}
	return -1, nil
}

// stringOf returns the string in v, if v is a string literal.
func stringOf(v hujson.Value) (string, bool) {
	lit, ok := v.Value.(hujson.Literal)
	if !ok || lit.Kind() != '"' {
		return "", false
	}
	return lit.String(), true
}

// lineLead returns the line break and indentation that start the line of an item, taken from the
// extra before it, and whether there was a line break at all.
func lineLead(before hujson.Extra) (string, bool) {
	i := bytes.LastIndexByte(before, '\n')
	if i < 0 {
		return "", false
	}
	if i > 0 && before[i-1] == '\r' {
		i--
	}
	return string(before[i:]), true
}

// hasComment reports whether an extra holds a comment.
func hasComment(b hujson.Extra) bool {
	return bytes.Contains(b, []byte("//")) || bytes.Contains(b, []byte("/*"))
}

// appendLayout computes the extras of an item appended after an existing last item whose leading
// extra is lastBefore, and trims the container's closing extra accordingly.
//   - lastHasComma: the last item had a trailing comma (keep one on the new item).
func appendLayout(lastBefore hujson.Extra, lastIsFirst, lastHasComma bool, closing *hujson.Extra, st style) (before, after hujson.Extra) {
	if lastHasComma {
		after = hujson.Extra{}
	}
	lead, multiline := lineLead(lastBefore)
	if !multiline {
		// Inline container: separate like the last item did ("" or " ").
		ws := string(lastBefore)
		if hasComment(lastBefore) || lastIsFirst {
			ws = st.sep
		}
		return hujson.Extra(ws), after
	}
	// A comment on the old last item's line stays on that line.
	c := *closing
	if i := bytes.IndexByte(c, '\n'); i >= 0 {
		j := i
		if j > 0 && c[j-1] == '\r' {
			j--
		}
		if hasComment(c[:j]) {
			before = append(hujson.Extra(string(c[:j])), lead...)
			*closing = append(hujson.Extra(nil), c[j:]...)
			return before, after
		}
	}
	return hujson.Extra(lead), after
}

// appendString appends a string element to an array, laid out like its siblings.
func appendString(arr *hujson.Array, s string, st style, depth int) {
	el := hujson.Value{Value: hujson.String(s)}
	if n := len(arr.Elements); n > 0 {
		last := &arr.Elements[n-1]
		hadComma := last.AfterExtra != nil
		el.BeforeExtra, el.AfterExtra = appendLayout(last.BeforeExtra, n == 1, hadComma, &arr.AfterExtra, st)
	} else if bytes.Contains(arr.AfterExtra, []byte("\n")) && !hasComment(arr.AfterExtra) {
		el.BeforeExtra = hujson.Extra(st.eol + strings.Repeat(st.unit, depth+1))
		arr.AfterExtra = hujson.Extra(st.eol + strings.Repeat(st.unit, depth))
	}
	arr.Elements = append(arr.Elements, el)
}

// appendMember appends name: value to an object, laid out like its siblings; value is rendered
// as indented JSON in the file's style.
func appendMember(obj *hujson.Object, name string, value any, st style, depth int) error {
	m := hujson.ObjectMember{Name: hujson.Value{Value: hujson.String(name)}}
	indent := strings.Repeat(st.unit, depth+1)
	multiline := true
	if n := len(obj.Members); n > 0 {
		last := &obj.Members[n-1]
		hadComma := last.Value.AfterExtra != nil
		m.Name.BeforeExtra, m.Value.AfterExtra = appendLayout(last.Name.BeforeExtra, n == 1, hadComma, &obj.AfterExtra, st)
		m.Name.AfterExtra = append(hujson.Extra(nil), last.Name.AfterExtra...)
		lead, ok := lineLead(last.Name.BeforeExtra)
		if ok {
			indent = strings.TrimLeft(lead, "\r\n")
		}
		multiline = ok
		if ws := last.Value.BeforeExtra; !hasComment(ws) {
			m.Value.BeforeExtra = append(hujson.Extra(nil), ws...)
		} else {
			m.Value.BeforeExtra = hujson.Extra(" ")
		}
	} else {
		m.Name.BeforeExtra = hujson.Extra(st.eol + indent)
		m.Value.BeforeExtra = hujson.Extra(" ")
		if !hasComment(obj.AfterExtra) {
			obj.AfterExtra = hujson.Extra(st.eol + strings.Repeat(st.unit, depth))
		}
	}
	vv, err := render(value, indent, multiline, st)
	if err != nil {
		return err
	}
	m.Value.Value = vv
	obj.Members = append(obj.Members, m)
	return nil
}

// render formats value as JSON in the file's style: indented from indent when multiline.
func render(value any, indent string, multiline bool, st style) (hujson.ValueTrimmed, error) {
	b, err := json.Marshal(value)
	if multiline {
		b, err = json.MarshalIndent(value, indent, st.unit)
	}
	if err != nil {
		return nil, err
	}
	if st.eol != "\n" {
		b = bytes.ReplaceAll(b, []byte("\n"), []byte(st.eol))
	}
	v, err := hujson.Parse(b)
	if err != nil {
		return nil, err
	}
	return v.Value, nil
}

// isNull reports whether v is the literal null.
func isNull(v hujson.Value) bool {
	lit, ok := v.Value.(hujson.Literal)
	return ok && lit.Kind() == 'n'
}

// replaceValue puts value where a member's value was, laid out for the member's line (whose
// leading extra is nameBefore) at depth.
func replaceValue(v *hujson.Value, value any, nameBefore hujson.Extra, st style, depth int) error {
	lead, multiline := lineLead(nameBefore)
	indent := strings.Repeat(st.unit, depth+1)
	if multiline {
		indent = strings.TrimLeft(lead, "\r\n")
	}
	vv, err := render(value, indent, multiline, st)
	if err != nil {
		return err
	}
	v.Value = vv
	return nil
}

// removeElement removes arr.Elements[i]; the new last element inherits the removed one's
// trailing-comma state.
func removeElement(arr *hujson.Array, i int) {
	wasLast := i == len(arr.Elements)-1
	removed := arr.Elements[i]
	arr.Elements = append(arr.Elements[:i], arr.Elements[i+1:]...)
	if wasLast && len(arr.Elements) > 0 {
		fixLastComma(&arr.Elements[len(arr.Elements)-1], removed.AfterExtra != nil, &arr.AfterExtra)
	}
}

// removeMember is removeElement for an object member.
func removeMember(obj *hujson.Object, i int) {
	wasLast := i == len(obj.Members)-1
	removed := obj.Members[i]
	obj.Members = append(obj.Members[:i], obj.Members[i+1:]...)
	if wasLast && len(obj.Members) > 0 {
		fixLastComma(&obj.Members[len(obj.Members)-1].Value, removed.Value.AfterExtra != nil, &obj.AfterExtra)
	}
}

func fixLastComma(last *hujson.Value, comma bool, closing *hujson.Extra) {
	switch {
	case comma && last.AfterExtra == nil:
		last.AfterExtra = hujson.Extra{}
	case !comma && last.AfterExtra != nil:
		*closing = append(append(hujson.Extra(nil), last.AfterExtra...), *closing...)
		last.AfterExtra = nil
	}
}
