package tauri

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var nodeKeys = []string{"com.apple.security.cs.allow-jit", "com.apple.security.cs.allow-unsigned-executable-memory"}

func TestEntitlementsBytes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "Entitlements.plist")
	wrote, err := ensureEntitlements(p, nodeKeys)
	if err != nil || !wrote {
		t.Fatalf("new file: wrote %v err %v", wrote, err)
	}
	dict, err := ReadEntitlements(p)
	if err != nil || len(MissingEntitlements(dict, nodeKeys)) != 0 {
		t.Fatalf("read back %v, err %v", dict, err)
	}
	if wrote, err := ensureEntitlements(p, nodeKeys); err != nil || wrote {
		t.Errorf("second run: wrote %v err %v", wrote, err)
	}

	// An existing file keeps its other keys; a false key is turned on.
	existing := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>com.apple.security.network.client</key><true/>
<key>com.apple.security.cs.allow-jit</key><false/>
</dict></plist>`
	if err := os.WriteFile(p, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	if wrote, err := ensureEntitlements(p, nodeKeys); err != nil || !wrote {
		t.Fatalf("existing file: wrote %v err %v", wrote, err)
	}
	dict, _ = ReadEntitlements(p)
	if dict["com.apple.security.network.client"] != true || len(MissingEntitlements(dict, nodeKeys)) != 0 {
		t.Errorf("merged entitlements: %v", dict)
	}

	// Not a property list: refused, file untouched.
	if err := os.WriteFile(p, []byte("not a plist <"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ee *EntitlementsError
	if _, err := ensureEntitlements(p, nodeKeys); !errors.As(err, &ee) || ee.Path != p {
		t.Errorf("garbage: err = %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "not a plist <" {
		t.Errorf("garbage file changed: %q", got)
	}
}

func TestSetEntitlementsInConfig(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"no bundle": {
			"{\n  \"identifier\": \"x\"\n}\n",
			"{\n  \"identifier\": \"x\",\n  \"bundle\": {\n    \"macOS\": {\n      \"entitlements\": \"Entitlements.plist\"\n    }\n  }\n}\n",
		},
		"bundle without macOS": {
			"{\n    \"bundle\": {\n        \"active\": true\n    }\n}\n",
			"{\n    \"bundle\": {\n        \"active\": true,\n        \"macOS\": {\n            \"entitlements\": \"Entitlements.plist\"\n        }\n    }\n}\n",
		},
		"macOS without entitlements": {
			"{\"bundle\": {\"macOS\": {\"minimumSystemVersion\": \"11.0\"}}}",
			"{\"bundle\": {\"macOS\": {\"minimumSystemVersion\": \"11.0\", \"entitlements\": \"Entitlements.plist\"}}}",
		},
		"the app's own kept": {
			"{\"bundle\": {\"macOS\": {\"entitlements\": \"mine.plist\"}}}",
			"{\"bundle\": {\"macOS\": {\"entitlements\": \"mine.plist\"}}}",
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := setEntitlements(&File{Path: "tauri.conf.json", Format: JSON, Data: []byte(c.in)}, "Entitlements.plist")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
	if _, err := setEntitlements(&File{Path: "x.json", Format: JSON, Data: []byte(`{"bundle": {"macOS": 3}}`)}, "E.plist"); err == nil || !strings.Contains(err.Error(), "bundle.macOS is not an object") {
		t.Errorf("macOS: 3: err = %v", err)
	}
}

func TestEntitlementsFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tauri.conf.json"), []byte(`{"identifier": "x", "bundle": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tauri.macos.conf.json"), []byte(`{"bundle": {"macOS": {"entitlements": "./mac/E.plist"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.EntitlementsFile()
	if err != nil || got != filepath.Join(dir, "mac", "E.plist") {
		t.Errorf("EntitlementsFile = %q, %v", got, err)
	}
}

// Plan with Entitlements: the file is created beside the config and the base config names it;
// a second plan after Apply changes nothing; --check-style diffs show both.
func TestPlanEntitlements(t *testing.T) {
	dir := t.TempDir()
	conf := "{\n  \"identifier\": \"x\",\n  \"bundle\": {\n    \"externalBin\": [\"binaries/api\"]\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "tauri.conf.json"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{ExternalBins: []string{"binaries/node"}, Entitlements: "Entitlements.plist", Grant: nodeKeys}
	p, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := Plan(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || !changes[0].Changed() || !changes[1].Changed() {
		t.Fatalf("changes: %+v", changes)
	}
	if d := string(changes[1].Diff()); !strings.Contains(d, "+\t\t<key>com.apple.security.cs.allow-jit</key>") {
		t.Errorf("plist diff:\n%s", d)
	}
	if _, err := Apply(t.Context(), changes); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "tauri.conf.json"))
	want := "{\n  \"identifier\": \"x\",\n  \"bundle\": {\n    \"externalBin\": [\"binaries/api\", \"binaries/node\"],\n    \"macOS\": {\n      \"entitlements\": \"Entitlements.plist\"\n    }\n  }\n}\n"
	if string(got) != want {
		t.Errorf("config:\n%s\nwant\n%s", got, want)
	}
	p, _ = OpenDir(dir)
	if f, _ := p.EntitlementsFile(); f != filepath.Join(dir, "Entitlements.plist") {
		t.Errorf("EntitlementsFile = %q", f)
	}
	changes, err = Plan(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Changed() {
			t.Errorf("second plan changes %s", c.File.Path)
		}
	}
}

// ensureEntitlements writes what entitlementsBytes says path must become, as Apply would.
func ensureEntitlements(path string, grant []string) (wrote bool, err error) {
	old, data, err := entitlementsBytes(path, grant)
	if err != nil || bytes.Equal(old, data) {
		return false, err
	}
	return true, os.WriteFile(path, data, 0o644)
}
