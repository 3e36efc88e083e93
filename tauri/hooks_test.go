package tauri

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testRewrites stand in for an app's policy (Nize's is in internal/nize).
var testRewrites = []HookRewrite{
	{Command: `(?:bash\s+)?(?:\S*/)?setup\.sh\s+(\w+)`, Replace: "tool setup --profile $1 && tool fetch"},
	{Command: `npm(?:\s+\S+)*\s+build:old`, Replace: "tool bundle"},
}

func TestSimpleCommands(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   []string
	}{
		{"a && b", []string{"a", "b"}},
		{"  a  ", []string{"a"}},
		{"a&&b||c;d|e&f", []string{"a", "b", "c", "d", "e", "f"}},
		{"a\nb\r\n c", []string{"a", "b", "c"}},
		{"(a && b) || c", []string{"a", "b", "c"}},
		{`echo "x && y" && z`, []string{`echo "x && y"`, "z"}},
		{`echo 'x; "y' ; z`, []string{`echo 'x; "y'`, "z"}},
		{`echo a\&\&b && c`, []string{`echo a\&\&b`, "c"}},
		{`echo "a \" && b" && c`, []string{`echo "a \" && b"`, "c"}},
		{"", nil},
		{" && ", nil},
	} {
		var got []string
		for _, seg := range simpleCommands(tc.script) {
			got = append(got, tc.script[seg[0]:seg[1]])
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("simpleCommands(%q) = %q, want %q", tc.script, got, tc.want)
		}
	}
}

func TestRewriteScript(t *testing.T) {
	for _, tc := range []struct {
		name, script, want string
		calls              int
	}{
		{"keeps the rest", "cargo build --release && bash scripts/setup.sh release && npm run --prefix pkg build:old && npm run build",
			"cargo build --release && tool setup --profile release && tool fetch && tool bundle && npm run build", 2},
		{"spacing kept", "a  &&   bash setup.sh debug   ;b", "a  &&   tool setup --profile debug && tool fetch   ;b", 1},
		{"whole command only", "echo bash setup.sh release", "echo bash setup.sh release", 0},
		{"not inside quotes", `sh -c "bash setup.sh release"`, `sh -c "bash setup.sh release"`, 0},
		{"unknown left alone", "npm run build && make", "npm run build && make", 0},
		{"already rewritten", "tool setup --profile release && tool fetch && tool bundle", "tool setup --profile release && tool fetch && tool bundle", 0},
		{"empty", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, calls, err := RewriteScript(tc.script, testRewrites)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || len(calls) != tc.calls {
				t.Errorf("RewriteScript(%q) = %q (%d calls), want %q (%d)", tc.script, got, len(calls), tc.want, tc.calls)
			}
			again, calls, _ := RewriteScript(got, testRewrites)
			if again != got || len(calls) != 0 {
				t.Errorf("second run changed %q to %q", got, again)
			}
		})
	}
	if _, _, err := RewriteScript("x", []HookRewrite{{Command: "("}}); err == nil {
		t.Error("an invalid Command regexp was accepted")
	}
	_, calls, _ := RewriteScript("a && bash setup.sh release", testRewrites)
	if want := []HookCall{{Command: "bash setup.sh release", Replace: "tool setup --profile release && tool fetch"}}; !reflect.DeepEqual(calls, want) {
		t.Errorf("calls = %+v, want %+v", calls, want)
	}
}

// Rewrite edits the hooks in place, in the string and the object form, in the base and in an
// overlay, keeping every other byte; a second run changes nothing.
func TestRewriteHooks(t *testing.T) {
	opts := Options{HookRewrites: testRewrites}
	for _, tc := range []struct {
		name, platform, in, want string
	}{
		{"string form", "",
			"{\n  \"build\": {\n    \"beforeBuildCommand\": \"bash setup.sh release && npm run build\",\n    \"beforeDevCommand\": \"npm run build:old && npm run dev\"\n  }\n}\n",
			"{\n  \"build\": {\n    \"beforeBuildCommand\": \"tool setup --profile release && tool fetch && npm run build\",\n    \"beforeDevCommand\": \"tool bundle && npm run dev\"\n  }\n}\n"},
		{"object form", "",
			"{\n\t\"build\": {\n\t\t\"beforeDevCommand\": { \"script\": \"bash setup.sh debug\", \"cwd\": \"..\", \"wait\": false },\n\t\t\"beforeBundleCommand\": {\"cwd\": \".\", \"script\": \"npm run build:old\"}\n\t}\n}",
			"{\n\t\"build\": {\n\t\t\"beforeDevCommand\": { \"script\": \"tool setup --profile debug && tool fetch\", \"cwd\": \"..\", \"wait\": false },\n\t\t\"beforeBundleCommand\": {\"cwd\": \".\", \"script\": \"tool bundle\"}\n\t}\n}"},
		{"overlay", "linux",
			"{\r\n    \"build\": {\"beforeBuildCommand\": \"bash ./scripts/setup.sh release\"}\r\n}\r\n",
			"{\r\n    \"build\": {\"beforeBuildCommand\": \"tool setup --profile release && tool fetch\"}\r\n}\r\n"},
		{"already migrated", "",
			"{\"build\": {\"beforeBuildCommand\": \"tool setup --profile release && tool fetch\"}}",
			"{\"build\": {\"beforeBuildCommand\": \"tool setup --profile release && tool fetch\"}}"},
		{"unknown command, null and other keys left alone", "",
			"{\"build\": {\"beforeBuildCommand\": \"make all\", \"beforeDevCommand\": null, \"devUrl\": \"bash setup.sh release\"}}",
			"{\"build\": {\"beforeBuildCommand\": \"make all\", \"beforeDevCommand\": null, \"devUrl\": \"bash setup.sh release\"}}"},
		{"duplicated key: the last one, as Tauri reads it", "",
			"{\"build\": {\"beforeBuildCommand\": \"bash setup.sh a\", \"beforeBuildCommand\": \"bash setup.sh b\"}}",
			"{\"build\": {\"beforeBuildCommand\": \"bash setup.sh a\", \"beforeBuildCommand\": \"tool setup --profile b && tool fetch\"}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &File{Path: "tauri.conf.json", Platform: tc.platform, Data: []byte(tc.in)}
			got, err := Rewrite(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			again, err := Rewrite(&File{Path: f.Path, Platform: f.Platform, Data: got}, opts)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("second run changed it (err %v):\n%s", err, again)
			}
		})
	}
}

// A JSON5 config keeps its comments and trailing commas around a rewritten hook.
func TestRewriteHooksJSON5(t *testing.T) {
	in := "{\n  // hooks\n  \"build\": {\n    \"beforeBuildCommand\": \"npm run build:old\", // the bundle\n  },\n}\n"
	want := "{\n  // hooks\n  \"build\": {\n    \"beforeBuildCommand\": \"tool bundle\", // the bundle\n  },\n}\n"
	got, err := Rewrite(&File{Path: "tauri.conf.json5", Format: JSON5, Data: []byte(in)}, Options{HookRewrites: testRewrites})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Plan rewrites the hooks of the base and of every overlay, lists them in its changes' diffs,
// and Hooks reads them back with their positions.
func TestPlanHooksInOverlays(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tauri.conf.json", "{\n  \"identifier\": \"a.b.c\",\n  \"build\": {\n    \"beforeBuildCommand\": \"bash setup.sh release\"\n  }\n}\n")
	write("tauri.macos.conf.json", "{\n  \"build\": {\n    \"beforeBuildCommand\": {\"script\": \"npm run build:old\"}\n  }\n}\n")
	write("tauri.linux.conf.json", "{\n  \"build\": {\n    \"beforeBuildCommand\": \"make\"\n  }\n}\n")
	p, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := p.Hooks()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hooks {
		got = append(got, filepath.Base(h.Path)+":"+h.Platform+":"+h.Key+":"+h.Script+":"+string(rune('0'+h.Line)))
	}
	want := []string{
		"tauri.conf.json::build.beforeBuildCommand:bash setup.sh release:4",
		"tauri.linux.conf.json:linux:build.beforeBuildCommand:make:3",
		"tauri.macos.conf.json:macos:build.beforeBuildCommand:npm run build:old:3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Hooks = %q, want %q", got, want)
	}
	changes, err := Plan(p, Options{HookRewrites: testRewrites})
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]string{}
	for _, c := range changes {
		if c.Changed() {
			changed[filepath.Base(c.File.Path)] = string(c.Diff())
		}
	}
	if len(changed) != 2 || !strings.Contains(changed["tauri.conf.json"], `+    "beforeBuildCommand": "tool setup --profile release && tool fetch"`) ||
		!strings.Contains(changed["tauri.macos.conf.json"], `+    "beforeBuildCommand": {"script": "tool bundle"}`) {
		t.Errorf("changes: %v", changed)
	}
	if _, err := Plan(p, Options{HookRewrites: []HookRewrite{{Command: "["}}}); err == nil {
		t.Error("Plan accepted an invalid hook rewrite")
	}
}
