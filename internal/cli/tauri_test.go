package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --external-bin and --resource values that are not UTF-8 are usage errors (exit 2), and the
// config is not touched. (Script files cannot carry the bytes, so this is a Go test.)
func TestTauriInvalidUTF8Flags(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "tauri.conf.json")
	orig := []byte(`{"identifier": "x", "bundle": {"externalBin": [], "resources": ["resources/pg/*"]}}`)
	os.WriteFile(config, orig, 0o644)
	for _, args := range [][]string{
		{"tauri", "--config", config, "--external-bin", "binaries/\xffnode"},
		{"tauri", "--config", config, "--resource", "resources/pg=resources/\xfe"},
		{"tauri", "--config", config, "--check", "--external-bin", "\xc3"},
	} {
		var out, errb bytes.Buffer
		code := Main(context.Background(), Streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}, args)
		if code != ExitUsage || !strings.Contains(errb.String(), "not valid UTF-8") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a UTF-8 message", args, code, errb.String())
		}
		if b, _ := os.ReadFile(config); !bytes.Equal(b, orig) {
			t.Errorf("%q changed the config: %s", args, b)
		}
	}
}
