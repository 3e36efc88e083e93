package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestJSONContract holds every command that has --json (found in the command tree, so a new one
// is covered without a change here) to docs/json.md: exactly one JSON object on stdout, success
// or failure, with "ok" true exactly when the exit code is 0, and on failure an "error" with a
// non-empty "message", a "hint" string and a "kind". Each runs with a flag it does not know (a
// usage error), in a folder with no app, and in a minimal app; nothing reaches the network (the
// Node mirror is a local server that answers 404).
func TestJSONContract(t *testing.T) {
	mirror := httptest.NewServer(http.NotFoundHandler())
	defer mirror.Close()
	env := map[string]string{
		"CI":                   "true",
		"NIZEPACK_NODE_MIRROR": mirror.URL,
		"NIZEPACK_CACHE_DIR":   t.TempDir(),
	}
	streams := func(out, errb *bytes.Buffer) Streams {
		return Streams{
			In: strings.NewReader(""), Out: out, Err: errb,
			Getenv: func(k string) string { return env[k] },
			Environ: func() []string {
				var kv []string
				for k, v := range env {
					kv = append(kv, k+"="+v)
				}
				return kv
			},
		}
	}

	var commands [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Flags().Lookup("json") != nil {
			commands = append(commands, path)
		}
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(NewRoot(&Streams{}), nil)
	if len(commands) < 10 {
		t.Fatalf("found only %d commands with --json: %q", len(commands), commands)
	}

	empty := t.TempDir()
	app := t.TempDir()
	tauriDir := filepath.Join(app, "src-tauri")
	if err := os.MkdirAll(tauriDir, 0o755); err != nil {
		t.Fatal(err)
	}
	config := `{"identifier": "com.example.app", "bundle": {"externalBin": ["binaries/node"], "resources": ["resources/pg/*"]}}`
	if err := os.WriteFile(filepath.Join(tauriDir, "tauri.conf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}

	// The commands that must succeed in a situation, so the success document is held too.
	mustSucceed := map[string]bool{
		"no app/platforms": true, "no app/versions": true,
		"app/platforms": true, "app/versions": true, "app/tauri": true,
	}
	succeeded := map[string]bool{}
	for _, path := range commands {
		name := strings.Join(path, " ")
		for _, sit := range []struct {
			name, dir string
			args      []string
		}{
			{"unknown flag", empty, []string{"--json", "--no-such-flag"}},
			{"no app", empty, []string{"--json"}},
			{"app", app, []string{"--json"}},
		} {
			key := sit.name + "/" + name
			t.Run(key, func(t *testing.T) {
				t.Chdir(sit.dir)
				var out, errb bytes.Buffer
				code := Main(context.Background(), streams(&out, &errb), append(append([]string{}, path...), sit.args...))
				doc, err := oneDocument(out.Bytes())
				if err != nil {
					t.Fatalf("exit %d, %v\nstdout:\n%s\nstderr:\n%s", code, err, out.String(), errb.String())
				}
				if err := contractHolds(doc, code); err != nil {
					t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
				}
				if e, _ := doc["error"].(map[string]any); e != nil {
					t.Logf("exit %d, kind %v: %v", code, doc["kind"], e["message"])
				}
				if sit.name == "unknown flag" && code != ExitUsage {
					t.Errorf("exit %d, want %d for an unknown flag", code, ExitUsage)
				}
				if code == ExitOK {
					succeeded[key] = true
				} else if mustSucceed[key] {
					t.Errorf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
				}
			})
		}
	}
	for key := range mustSucceed {
		if !succeeded[key] {
			t.Errorf("%s did not succeed (or is no longer a command with --json)", key)
		}
	}
}

// oneDocument parses stdout as exactly one JSON object and nothing else.
func oneDocument(stdout []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(stdout))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("stdout is not one JSON object: %w", err)
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("stdout has more than one document (next: %v, %v)", more, err)
	}
	return doc, nil
}

// contractHolds checks a document against the exit code of its run.
func contractHolds(doc map[string]any, code int) error {
	ok, isBool := doc["ok"].(bool)
	if !isBool {
		return fmt.Errorf(`"ok" is %#v, want true or false`, doc["ok"])
	}
	if ok != (code == ExitOK) {
		return fmt.Errorf(`"ok": %v with exit code %d`, ok, code)
	}
	if ok {
		if _, has := doc["error"]; has {
			return fmt.Errorf(`"ok": true with an "error"`)
		}
		return nil
	}
	e, isObj := doc["error"].(map[string]any)
	if !isObj {
		return fmt.Errorf(`"error" is %#v, want an object`, doc["error"])
	}
	if msg, _ := e["message"].(string); msg == "" {
		return fmt.Errorf(`"error.message" is %#v, want a non-empty string`, e["message"])
	}
	if _, isStr := e["hint"].(string); !isStr {
		return fmt.Errorf(`"error.hint" is %#v, want a string`, e["hint"])
	}
	if kind, _ := doc["kind"].(string); kind == "" {
		return fmt.Errorf(`"kind" is %#v, want a non-empty string`, doc["kind"])
	}
	return nil
}

// writeDoc puts "ok" (and on failure "error" and "kind") before the body's own fields, keeps a
// struct's field order, and refuses a body that is no object or has a field of the head.
func TestWriteDoc(t *testing.T) {
	type body struct {
		Zeta  int `json:"zeta"`
		Alpha int `json:"alpha"`
	}
	var b bytes.Buffer
	if err := writeDoc(&b, body{1, 2}, nil); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"ok\": true,\n  \"zeta\": 1,\n  \"alpha\": 2\n}\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	err := &hintError{Err: errors.New("no app here"), Sep: ": ", Hint: "run it in the app"}
	if err := writeDoc(&b, nil, err); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"ok\": false,\n  \"error\": {\n    \"message\": \"no app here\",\n    \"hint\": \"run it in the app\"\n  },\n  \"kind\": \"error\"\n}\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	for _, bad := range []any{[]int{1}, "text", map[string]any{"ok": 1}, map[string]any{"error": "x"}} {
		if err := writeDoc(io.Discard, bad, nil); err == nil {
			t.Errorf("writeDoc(%#v) wrote a document", bad)
		}
	}
}

// explain keeps the facts and the fix apart while describe's text stays as it was.
func TestExplainSplitsHint(t *testing.T) {
	usage := &UsageError{Err: errors.New("unknown flag: --x"), Hint: "see `nizepack verify --help`"}
	for _, c := range []struct {
		err                 error
		text, message, hint string
	}{
		{errors.New("plain"), "plain", "plain", ""},
		{usage, "unknown flag: --x (see `nizepack verify --help`)", "unknown flag: --x", "see `nizepack verify --help`"},
		{fmt.Errorf("prepare: %w", &hintError{Err: errors.New("not built"), Hint: "build it"}), "prepare: not built; build it", "prepare: not built", "build it"},
		{errors.Join(&changedError{Message: "a is stale", Hint: "run x"}, errors.New("b")), "a is stale; run x\nb", "a is stale\nb", "run x"},
	} {
		x := explain(c.err)
		if x.Text != c.text || x.Message != c.message || x.Hint != c.hint {
			t.Errorf("explain(%q) = %+v, want text %q, message %q, hint %q", c.err, x, c.text, c.message, c.hint)
		}
		if describe(c.err) != x.Text {
			t.Errorf("describe(%q) = %q, not explain's text", c.err, describe(c.err))
		}
	}
}
