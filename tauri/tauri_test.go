package tauri

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite the want/ golden files")

const configs = "../testdata/tauri/configs"

// schema is the official Tauri v2 config schema, vendored from @tauri-apps/cli.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile("../testdata/tauri/config.schema.json")
	if err != nil {
		t.Fatalf("compiling the Tauri schema: %v", err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, name string, m map[string]any) {
	t.Helper()
	b, _ := json.Marshal(m)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s does not validate against the Tauri v2 schema: %v", name, err)
	}
}

func fileFor(t *testing.T, name string) *File {
	t.Helper()
	f, err := readFile(filepath.Join(configs, name), "")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRewriteGolden rewrites each config variant, compares with want/<name>, checks that a
// second run changes no byte, that only a few lines changed, and that the result is a valid
// Tauri v2 config.
func TestRewriteGolden(t *testing.T) {
	sch := schema(t)
	for _, name := range []string{"two-space.json", "four-space.json", "tab.json", "tab-crlf.json", "map-form.json", "compact-no-newline.json", "no-bundle.json", "empty-arrays.json", "tauri.conf.json5", "duplicates.json"} {
		t.Run(name, func(t *testing.T) {
			f := fileFor(t, name)
			got, err := Rewrite(f, migration())
			if err != nil {
				t.Fatal(err)
			}
			wantPath := filepath.Join(configs, "want", name)
			if *update {
				os.MkdirAll(filepath.Dir(wantPath), 0o755)
				os.WriteFile(wantPath, got, 0o644)
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("rewrite differs from %s:\n%s", wantPath, Change{File: &File{Path: name, Data: want}, New: got}.Diff())
			}
			again, err := Rewrite(&File{Path: f.Path, Format: f.Format, Data: got}, migration())
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("second run changed the file (err %v):\n%s", err, Change{File: &File{Path: name, Data: got}, New: again}.Diff())
			}
			m, err := (&File{Path: name, Format: f.Format, Data: got}).Value()
			if err != nil {
				t.Fatalf("rewritten file does not parse: %v", err)
			}
			validate(t, sch, name, m)
			bundle, _ := m["bundle"].(map[string]any)
			bins, _ := bundle["externalBin"].([]any)
			if !containsString(bins, "binaries/node") && !containsString(bins, "./binaries/node") {
				t.Errorf("externalBin = %v, want binaries/node in it", bins)
			}
			if strings.Contains(string(got), `"resources/pg/`) {
				t.Errorf("a resources/pg entry is left:\n%s", got)
			}
		})
	}
}

func containsString(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// The Nize migration of the base config is a diff of a few lines; the rest is untouched.
func TestRewriteIsSmallDiff(t *testing.T) {
	for _, name := range []string{"two-space.json", "four-space.json", "tab.json", "tab-crlf.json"} {
		f := fileFor(t, name)
		got, err := Rewrite(f, migration())
		if err != nil {
			t.Fatal(err)
		}
		var plus, minus int
		for _, l := range strings.Split(string(Change{File: f, New: got}.Diff()), "\n") {
			switch {
			case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
			case strings.HasPrefix(l, "+"):
				plus++
			case strings.HasPrefix(l, "-"):
				minus++
			}
		}
		// binaries/nize_terminator gains a comma, binaries/node is added, resources/pg/* renamed.
		if plus != 3 || minus != 2 {
			t.Errorf("%s: diff is +%d -%d lines, want +3 -2", name, plus, minus)
		}
		if name == "tab-crlf.json" && bytes.Count(got, []byte("\r\n")) != bytes.Count(got, []byte("\n")) {
			t.Errorf("%s: line endings not kept", name)
		}
	}
}

func TestRewriteRefuses(t *testing.T) {
	cases := []struct {
		name string
		want string
	}{
		{"malformed.json", "malformed.json:6:7: invalid character '\"' after array element"},
		{"v1.json", "v1.json is a Tauri v1 config (it has tauri.bundle)"},
		{"unquoted.json5", "unquoted.json5:2:3: invalid literal: identifier; nizepack reads JSON5 files written as JSON with comments"},
		{"Tauri.toml", "Tauri.toml is TOML, which nizepack does not read or edit"},
	}
	for _, c := range cases {
		f := fileFor(t, c.name)
		_, err := Rewrite(f, migration())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
	var se *SyntaxError
	if _, err := Rewrite(fileFor(t, "malformed.json"), migration()); !errors.As(err, &se) || se.Line != 6 {
		t.Errorf("malformed: %#v", err)
	}
}

// A JSON file with comments is not what Tauri reads: refused with a position.
func TestStrictJSON(t *testing.T) {
	f := &File{Path: "tauri.conf.json", Data: []byte("{\n  // hi\n  \"identifier\": \"x\"\n}\n")}
	_, err := Rewrite(f, migration())
	if err == nil || !strings.Contains(err.Error(), "tauri.conf.json:2:3: ") {
		t.Errorf("err = %v", err)
	}
}

func TestCustomOptions(t *testing.T) {
	f := &File{Path: "x.json", Data: []byte(`{"bundle": {"externalBin": ["bin/a"], "resources": ["data/old/x", "data/older/y", "data/old"]}}`)}
	mv, err := ParseResourceMove("data/old/=data/new")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Rewrite(f, Options{ExternalBins: []string{"bin/b", "bin/a"}, Resources: []ResourceMove{mv}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"bundle": {"externalBin": ["bin/a", "bin/b"], "resources": ["data/new/x", "data/older/y", "data/new"]}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, bad := range []string{"nothing", "=x", "x=", " = ", "resources/\xff=resources/pglite", "a=b\xfe"} {
		if _, err := ParseResourceMove(bad); err == nil {
			t.Errorf("ParseResourceMove(%q) accepted", bad)
		}
	}
}

func TestMergePatch(t *testing.T) {
	// RFC 7396 appendix A examples.
	cases := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, c := range cases {
		var target, patch, want any
		json.Unmarshal([]byte(c.target), &target)
		json.Unmarshal([]byte(c.patch), &patch)
		json.Unmarshal([]byte(c.want), &want)
		before, _ := json.Marshal(target)
		if got := MergePatch(target, patch); !reflect.DeepEqual(got, want) {
			t.Errorf("MergePatch(%s, %s) = %v, want %s", c.target, c.patch, got, c.want)
		}
		if after, _ := json.Marshal(target); !bytes.Equal(before, after) {
			t.Errorf("MergePatch modified its target %s", c.target)
		}
	}
}

// The fixture app: the base config and its overlays are found; the overlay that sets
// resources is rewritten, the one that does not is left alone; every merged result validates.
func TestPlanFixtureApp(t *testing.T) {
	dir := t.TempDir()
	src := "../testdata/tauri/app/crates/app/nize_desktop"
	for _, n := range []string{"tauri.conf.json", "tauri.windows.conf.json", "tauri.linux.conf.json"} {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, n), b, 0o640)
	}
	p, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Overlays) != 2 || p.Overlays[0].Platform != "linux" || p.Overlays[1].Platform != "windows" {
		t.Fatalf("overlays = %+v", p.Overlays)
	}
	changes, err := Plan(p, migration())
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]bool{}
	for _, c := range changes {
		changed[filepath.Base(c.File.Path)] = c.Changed()
	}
	if !changed["tauri.conf.json"] || !changed["tauri.windows.conf.json"] || changed["tauri.linux.conf.json"] {
		t.Errorf("changed = %v", changed)
	}
	written, err := Apply(context.Background(), changes)
	if err != nil || len(written) != 2 {
		t.Fatalf("Apply = %v, %v", written, err)
	}
	st, _ := os.Stat(filepath.Join(dir, "tauri.conf.json"))
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", st.Mode().Perm())
	}
	p, _ = OpenDir(dir)
	sch := schema(t)
	for _, goos := range []string{"linux", "darwin", "windows"} {
		m, err := p.Merged(goos)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, sch, "merged "+goos, m)
		res := m["bundle"].(map[string]any)["resources"].([]any)
		if goos == "windows" && !reflect.DeepEqual(res, []any{"resources/pglite/*", "resources/windows/*"}) {
			t.Errorf("windows resources = %v (the overlay's array replaces the base's)", res)
		}
		if goos != "windows" && !reflect.DeepEqual(res, []any{"resources/pglite/*"}) {
			t.Errorf("%s resources = %v", goos, res)
		}
	}
	changes, _ = Plan(p, migration())
	for _, c := range changes {
		if c.Changed() {
			t.Errorf("second plan changes %s", c.File.Path)
		}
	}
}

func TestDetectStyle(t *testing.T) {
	for in, want := range map[string]style{
		"{\n  \"a\": {\n    \"b\": 1\n  }\n}\n": {"\n", "  ", " "},
		"{\n    \"a\": 1\n}":                    {"\n", "    ", " "},
		"{\r\n\t\"a\": 1\r\n}\r\n":              {"\r\n", "\t", " "},
		`{"a":1}`:                               {"\n", "  ", ""},
	} {
		if got := detectStyle([]byte(in)); got != want {
			t.Errorf("detectStyle(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRewriteLayouts(t *testing.T) {
	cases := []struct {
		name, in, want string
		format         Format
		platform       string
	}{
		{"comment after last element stays on its line", "{\"bundle\": {\"externalBin\": [\n  \"a\" // c\n]}}", "{\"bundle\": {\"externalBin\": [\n  \"a\", // c\n  \"binaries/node\"\n]}}", JSON5, ""},
		{"empty inline array", `{"bundle": {"externalBin": []}}`, `{"bundle": {"externalBin": ["binaries/node"]}}`, JSON, ""},
		{"empty multi-line array", "{\n  \"bundle\": {\n    \"externalBin\": [\n    ]\n  }\n}", "{\n  \"bundle\": {\n    \"externalBin\": [\n      \"binaries/node\"\n    ]\n  }\n}", JSON, ""},
		{"overlay without externalBin gets none", `{"bundle": {"resources": ["resources/pg/a"]}}`, `{"bundle": {"resources": ["resources/pglite/a"]}}`, JSON, "macos"},
		{"overlay removing externalBin is kept", `{"bundle": {"externalBin": null}}`, `{"bundle": {"externalBin": null}}`, JSON, "macos"},
		{"overlay without bundle untouched", `{"app": {}}`, `{"app": {}}`, JSON, "linux"},
		{"overlay's own externalBin gets node", `{"bundle": {"externalBin": ["x"]}}`, `{"bundle": {"externalBin": ["x", "binaries/node"]}}`, JSON, "windows"},
		{"similar prefix untouched", `{"bundle": {"externalBin": [], "resources": ["resources/pgdata/*", "resources/pg"]}}`, `{"bundle": {"externalBin": ["binaries/node"], "resources": ["resources/pgdata/*", "resources/pglite"]}}`, JSON, ""},
		{"map-form target naming the moved folder moves with it", `{"bundle": {"externalBin": [], "resources": {"resources/pg/*": "pg/", "./resources/pg/a.mjs": "pg", "resources/pg/b/": "pg/sub/", "resources/pg/c": "mine/", "resources/pg/d": "pgdata/", "other/pg/*": "pg/"}}}`, `{"bundle": {"externalBin": ["binaries/node"], "resources": {"resources/pglite/*": "pglite/", "./resources/pglite/a.mjs": "pglite", "resources/pglite/b/": "pglite/sub/", "resources/pglite/c": "mine/", "resources/pglite/d": "pgdata/", "other/pg/*": "pg/"}}}`, JSON, ""},
		{"base externalBin null gets node", `{"bundle": {"externalBin": null}}`, `{"bundle": {"externalBin": ["binaries/node"]}}`, JSON, ""},
		{"base bundle null gets node", "{\n  \"identifier\": \"x\",\n  \"bundle\": null\n}\n", "{\n  \"identifier\": \"x\",\n  \"bundle\": {\n    \"externalBin\": [\n      \"binaries/node\"\n    ]\n  }\n}\n", JSON, ""},
		{"base externalBin null, multi-line", "{\n\t\"bundle\": {\n\t\t\"externalBin\": null\n\t}\n}", "{\n\t\"bundle\": {\n\t\t\"externalBin\": [\n\t\t\t\"binaries/node\"\n\t\t]\n\t}\n}", JSON, ""},
		{"overlay bundle null is kept", `{"bundle": null}`, `{"bundle": null}`, JSON, "linux"},
		{"Windows-style entries rewritten", `{"bundle": {"externalBin": ["binaries\\node", "binaries/api.exe", "bin\\x\\tool.EXE"]}}`, `{"bundle": {"externalBin": ["binaries/node", "binaries/api", "bin/x/tool"]}}`, JSON, ""},
		{"Windows-style entry repeating another dropped", "{\"bundle\": {\"externalBin\": [\n  \"binaries/node.exe\",\n  \"binaries/api\",\n  \"binaries\\\\node\"\n]}}", "{\"bundle\": {\"externalBin\": [\n  \"binaries/node\",\n  \"binaries/api\"\n]}}", JSON, ""},
		{"overlay's Windows-style entry rewritten", `{"bundle": {"externalBin": ["binaries\\node.exe"]}}`, `{"bundle": {"externalBin": ["binaries/node"]}}`, JSON, "windows"},
		{"duplicate map key after the move is dropped", "{\"bundle\": {\"externalBin\": [], \"resources\": {\n  \"resources/pglite/a\": \"a\",\n  \"resources/pg/a\": \"a\"\n}}}", "{\"bundle\": {\"externalBin\": [\"binaries/node\"], \"resources\": {\n  \"resources/pglite/a\": \"a\"\n}}}", JSON, ""},
	}
	for _, c := range cases {
		got, err := Rewrite(&File{Path: "x", Format: c.format, Platform: c.platform, Data: []byte(c.in)}, migration())
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// migration is the Nize PGlite migration (internal/nize.Migration, which this package cannot
// import): the options the golden files were made with.
func migration() Options {
	return Options{
		ExternalBins:          []string{"binaries/node"},
		NormalizeExternalBins: true,
		Resources:             []ResourceMove{{From: "resources/pg", To: "resources/pglite"}},
	}
}

// NormalizeExternalBin writes an entry as Tauri joins it: forward slashes, no ".exe" (Tauri
// appends "-<triple>" and ".exe" for Windows targets itself).
func TestNormalizeExternalBin(t *testing.T) {
	for in, want := range map[string]string{
		"binaries/node":        "binaries/node",
		`binaries\node`:        "binaries/node",
		"binaries/node.exe":    "binaries/node",
		`binaries\node.EXE`:    "binaries/node",
		".exe":                 ".exe", // a name that is only the suffix stays
		"binaries/node.exe.sh": "binaries/node.exe.sh",
	} {
		if got, changed := NormalizeExternalBin(in); got != want || changed != (in != want) {
			t.Errorf("NormalizeExternalBin(%q) = %q, %v; want %q", in, got, changed, want)
		}
	}
}

// A move whose target lies inside its source is idempotent: a second run equals the first.
func TestMoveIntoItselfIsIdempotent(t *testing.T) {
	opts := Options{Resources: []ResourceMove{{From: "resources", To: "resources/v2"}}}
	in := `{"bundle": {"resources": ["resources/a", "resources", "./resources/b/*", "resources/v2/c"], "x": 1}}`
	want := `{"bundle": {"resources": ["resources/v2/a", "resources/v2", "./resources/v2/b/*", "resources/v2/c"], "x": 1}}`
	once, err := Rewrite(&File{Path: "x.json", Data: []byte(in)}, opts)
	if err != nil || string(once) != want {
		t.Fatalf("once = %s, %v; want %s", once, err, want)
	}
	twice, err := Rewrite(&File{Path: "x.json", Data: once}, opts)
	if err != nil || string(twice) != string(once) {
		t.Errorf("twice = %s, %v; want %s", twice, err, once)
	}
	inMap := `{"bundle": {"resources": {"resources/a/*": "resources/", "resources/b": "data/"}}}`
	once, err = Rewrite(&File{Path: "x.json", Data: []byte(inMap)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	twice, _ = Rewrite(&File{Path: "x.json", Data: once}, opts)
	if string(twice) != string(once) {
		t.Errorf("map form: once %s, twice %s", once, twice)
	}
}

func TestInvalidUTF8Refused(t *testing.T) {
	f := &File{Path: "x.json", Data: []byte(`{"bundle": {"externalBin": []}}`)}
	if _, err := Rewrite(f, Options{ExternalBins: []string{"binaries/\xffnode"}}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("invalid UTF-8 externalBin: err = %v", err)
	}
	if _, err := Rewrite(f, Options{Resources: []ResourceMove{{From: "a", To: "b\xff"}}}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("invalid UTF-8 resource move: err = %v", err)
	}
}

// Configs Tauri would refuse, or read differently from an edit, are refused with
// FILE:LINE:COL and what Tauri expects; the file is not rewritten.
func TestRefusesInvalidTauri(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"externalBin string", "{\n  \"identifier\": \"x\",\n  \"bundle\": {\n    \"externalBin\": \"binaries/x\"\n  }\n}\n",
			`tauri.conf.json:4:5: bundle.externalBin is a string; Tauri expects a list of paths`},
		{"resources string", "{\n  \"identifier\": \"x\",\n  \"bundle\": {\"externalBin\": [], \"resources\": \"resources/pg/*\"}\n}\n",
			`tauri.conf.json:3:33: bundle.resources is a string; Tauri expects a list of paths or globs`},
		{"duplicate bundle", "{\n  \"identifier\": \"x\",\n  \"bundle\": {\"externalBin\": []},\n  \"bundle\": {\"active\": true}\n}\n",
			`tauri.conf.json:4:3: bundle is a duplicate key (first at line 3); JSON readers, Tauri among them, use the last one`},
		{"duplicate externalBin", "{\"identifier\": \"x\", \"bundle\": {\"externalBin\": [], \"externalBin\": [\"a\"]}}",
			`tauri.conf.json:1:51: bundle.externalBin is a duplicate key`},
		{"externalBin number element", "{\"identifier\": \"x\", \"bundle\": {\"externalBin\": [1]}}",
			`tauri.conf.json:1:48: bundle.externalBin has a number in it`},
		{"schema: active not a boolean", "{\n  \"identifier\": \"x\",\n  \"bundle\": {\"active\": \"yes\"}\n}\n",
			`tauri.conf.json:3:14: bundle.active does not match the Tauri v2 config schema: got string, want boolean`},
		{"schema: misspelt key", "{\"identifier\": \"x\", \"bundle\": {\"externalBin\": [], \"resourcez\": []}}",
			`tauri.conf.json:1:51: bundle.resourcez is not a key of the Tauri v2 config (misspelt?)`},
		{"schema: enum", "{\"identifier\": \"x\", \"bundle\": {\"targets\": [\"deb\", \"zip\"]}}",
			`tauri.conf.json:1:51: bundle.targets.1 does not match the Tauri v2 config schema: a value of "deb", "rpm", "appimage", "msi", "nsis", "app", "dmg"`},
		{"schema: identifier missing", "{\"bundle\": {}}",
			`tauri.conf.json:1:1: the config does not match the Tauri v2 config schema: missing property 'identifier'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "tauri.conf.json")
			os.WriteFile(path, []byte(c.in), 0o644)
			p, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Plan(p, migration())
			var se *SchemaError
			if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Plan: err = %v, want a *SchemaError containing %q", err, c.want)
			}
			if err := p.Validate(); err == nil {
				t.Errorf("Validate accepted it")
			}
		})
	}
}

// An overlay's problem is reported in the overlay; the base alone validates.
func TestValidateMergedOverlay(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tauri.conf.json"), []byte("{\"identifier\": \"x\", \"bundle\": {\"externalBin\": [\"binaries/node\"]}}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "tauri.linux.conf.json"), []byte("{\n  \"bundle\": {\n    \"linux\": {\"deb\": {\"depends\": \"libc6\"}}\n  }\n}\n"), 0o644)
	p, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Validate()
	var se *SchemaError
	if !errors.As(err, &se) || filepath.Base(se.Path) != "tauri.linux.conf.json" || se.Line != 3 || se.Key != "bundle.linux.deb.depends" || se.Platform != "linux" {
		t.Fatalf("err = %#v (%v)", se, err)
	}
	if !strings.Contains(err.Error(), "want null or array") {
		t.Errorf("err = %v", err)
	}
}

// The embedded schema is the vendored one.
func TestEmbeddedSchemaIsVendored(t *testing.T) {
	b, err := os.ReadFile("../testdata/tauri/config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, schemaJSON) {
		t.Error("tauri/config.schema.json differs from testdata/tauri/config.schema.json")
	}
}

// A renamed sidecar's old entry is renamed in place, in the base and in overlays; one whose new
// name is listed already is dropped; a second run changes nothing.
func TestRenameExternalBins(t *testing.T) {
	opts := Options{ExternalBins: []string{"binaries/nize-node"}, RenameExternalBins: map[string]string{"binaries/node": "binaries/nize-node"}}
	for _, c := range []struct{ name, in, want, platform string }{
		{"base", `{"bundle": {"externalBin": ["binaries/api", "binaries/node", "binaries/term"]}}`, `{"bundle": {"externalBin": ["binaries/api", "binaries/nize-node", "binaries/term"]}}`, ""},
		{"./ prefixed", `{"bundle": {"externalBin": ["./binaries/node"]}}`, `{"bundle": {"externalBin": ["binaries/nize-node"]}}`, ""},
		{"both listed", `{"bundle": {"externalBin": ["binaries/nize-node", "binaries/node"]}}`, `{"bundle": {"externalBin": ["binaries/nize-node"]}}`, ""},
		{"overlay", `{"bundle": {"externalBin": ["binaries/node"]}}`, `{"bundle": {"externalBin": ["binaries/nize-node"]}}`, "linux"},
		{"nothing to rename", `{"bundle": {"externalBin": ["binaries/bun"]}}`, `{"bundle": {"externalBin": ["binaries/bun", "binaries/nize-node"]}}`, ""},
	} {
		got, err := Rewrite(&File{Path: "x", Platform: c.platform, Data: []byte(c.in)}, opts)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.name, got, err, c.want)
			continue
		}
		again, _ := Rewrite(&File{Path: "x", Platform: c.platform, Data: got}, opts)
		if string(again) != string(got) {
			t.Errorf("%s: a second run changed %s to %s", c.name, got, again)
		}
	}
}
