package pins

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const embedded = "# defaults\nNODE_VERSION=24.21.0\nNODE_MIRROR=https://nodejs.org/dist\n"

func TestLayering(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "versions.env")
	os.WriteFile(file, []byte("export NODE_VERSION=\"22.1.0\" # app pin\nNODE_SHA256_LINUX_X64_TAR_XZ=ABCDEF\n"), 0o644)

	p, err := Load([]byte(embedded), file, false, []string{"NIZEPACK_NODE_MIRROR=http://127.0.0.1:1/dist", "UNRELATED=1"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.NodeVersion()
	if err != nil || v != "22.1.0" {
		t.Fatalf("NodeVersion = %q, %v; want 22.1.0 from the file", v, err)
	}
	m, _ := p.Get(NodeMirror)
	if m.Value != "http://127.0.0.1:1/dist" || !strings.Contains(string(m.Source), "NIZEPACK_NODE_MIRROR") {
		t.Errorf("mirror = %+v, want the environment's", m)
	}
	if sum, ok := p.NodeChecksum("22.1.0", "node-v22.1.0-linux-x64.tar.xz"); !ok || sum != "abcdef" {
		t.Errorf("checksum pin = %q, %v", sum, ok)
	}
	// A flag naming the same version keeps the file's checksum pins in force...
	p.Set(NodeVersion, "22.1.0", Flag)
	if sum, ok := p.NodeChecksum("22.1.0", "node-v22.1.0-linux-x64.tar.xz"); !ok || sum != "abcdef" {
		t.Errorf("checksum pin with --node-version of the same version = %q, %v", sum, ok)
	}
	// ...and one changing the version makes them inapplicable.
	p.Set(NodeVersion, "22.2.0", Flag)
	if _, ok := p.NodeChecksum("22.2.0", "node-v22.2.0-linux-x64.tar.xz"); ok {
		t.Error("checksum pin of another version was applied")
	}
	// A pin from the environment always applies.
	p2, _ := Load([]byte(embedded), file, false, []string{"NIZEPACK_NODE_SHA256_LINUX_X64_TAR_XZ=ff"})
	if sum, ok := p2.NodeChecksum("30.0.0", "node-v30.0.0-linux-x64.tar.xz"); !ok || sum != "ff" {
		t.Errorf("environment pin = %q, %v", sum, ok)
	}
}

func TestOptionalFileMissing(t *testing.T) {
	p, err := Load([]byte(embedded), filepath.Join(t.TempDir(), "versions.env"), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := p.NodeVersion(); v != "24.21.0" {
		t.Errorf("version = %q", v)
	}
	if _, err := Load([]byte(embedded), filepath.Join(t.TempDir(), "nope.env"), false, nil); err == nil {
		t.Error("a missing --versions file was accepted")
	}
}

func TestExactVersionRefusesRanges(t *testing.T) {
	for _, bad := range []string{"24", "24.x", "v24.1", "latest", "24.1.0+build", ""} {
		if _, err := ExactVersion(bad, "test"); err == nil || !strings.Contains(err.Error(), "exact version") {
			t.Errorf("ExactVersion(%q) = %v, want an exact-version error", bad, err)
		}
	}
	for in, want := range map[string]string{"24.21.0": "24.21.0", "v22.1.0": "22.1.0", "25.0.0-rc.1": "25.0.0-rc.1"} {
		if got, err := ExactVersion(in, "test"); err != nil || got != want {
			t.Errorf("ExactVersion(%q) = %q, %v", in, got, err)
		}
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	if _, err := Parse([]byte("NODE_VERSION 24\n"), "f"); err == nil || !strings.Contains(err.Error(), "f:1") {
		t.Errorf("err = %v, want a line-numbered error", err)
	}
}

func TestChecksumKey(t *testing.T) {
	if got := ChecksumKey("24.21.0", "node-v24.21.0-win-x64.zip"); got != "NODE_SHA256_WIN_X64_ZIP" {
		t.Errorf("got %q", got)
	}
	if got := ChecksumKey("24.21.0", "win-arm64/node.exe"); got != "NODE_SHA256_WIN_ARM64_NODE_EXE" {
		t.Errorf("got %q", got)
	}
}

func TestMajor(t *testing.T) {
	for v, want := range map[string]int{"24.21.0": 24, "v22.1.2": 22, "garbage": 0, "": 0} {
		if got := Major(v); got != want {
			t.Errorf("Major(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestBinaryPins(t *testing.T) {
	if k, tk := BinaryKey("linux-x86_64"), BinaryTreeKey("linux-x86_64"); k != "NODE_BIN_SHA256_LINUX_X86_64" || tk != "NODE_BIN_SHA256TREE_LINUX_X86_64" {
		t.Errorf("keys = %s, %s", k, tk)
	}
	for key, want := range map[string]bool{"NODE_BIN_SHA256_LINUX_X86_64": true, "NODE_BIN_SHA256TREE_MACOS_ARM64": true, "NODE_SHA256_LINUX_X64_TAR_GZ": false, "NODE_BIN_SHA256": false} {
		if IsBinaryKey(key) != want {
			t.Errorf("IsBinaryKey(%s) = %v", key, !want)
		}
	}
	file := filepath.Join(t.TempDir(), "versions.env")
	os.WriteFile(file, []byte("NODE_VERSION=24.21.0\nNODE_BIN_SHA256_LINUX_X86_64=AA\nNODE_BIN_SHA256TREE_LINUX_X86_64=BB\n"), 0o644)
	p, err := Load([]byte(embedded), file, false, []string{"NIZEPACK_NODE_BIN_SHA256TREE_LINUX_ARM64=cc"})
	if err != nil {
		t.Fatal(err)
	}
	if sum, ok := p.NodeBinary("24.21.0", "linux-x86_64"); !ok || sum != "aa" {
		t.Errorf("NodeBinary = %q, %v", sum, ok)
	}
	if tree, ok := p.NodeBinaryTree("24.21.0", "linux-x86_64"); !ok || tree != "bb" {
		t.Errorf("NodeBinaryTree = %q, %v", tree, ok)
	}
	if _, ok := p.NodeBinaryTree("24.22.0", "linux-x86_64"); ok {
		t.Error("a tree pin of another version applied")
	}
	// A tree pin applies only beside the SHA-256 pin of the same layer: the environment's alone,
	// or overriding only one of a file's pair, does not vouch for anything.
	if tree, ok := p.NodeBinaryTree("24.21.0", "linux-arm64"); ok {
		t.Errorf("a tree pin without its SHA-256 pin applied: %q", tree)
	}
	p.Set(BinaryKey("linux-x86_64"), "dd", Env)
	if tree, ok := p.NodeBinaryTree("24.21.0", "linux-x86_64"); ok {
		t.Errorf("a file's tree pin applied beside an overridden SHA-256 pin: %q", tree)
	}
	p.Set(BinaryTreeKey("linux-x86_64"), "ee", Env)
	if tree, ok := p.NodeBinaryTree("24.21.0", "linux-x86_64"); !ok || tree != "ee" {
		t.Errorf("the environment's pair: tree = %q, %v", tree, ok)
	}

}

// An app keeps its pins in several files: each is read, a key they pin alike keeps the first
// file as its source, and a key they pin differently is an error naming both files and lines.
func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	node := write("node-version.env", "# Node for the download script\n# and the CI cache key\n\nNODE_VERSION=24.3.0\n")
	bun := write("bun-version.env", "BUN_VERSION=1.3.9\n")
	same := write("same.env", "# pins\nNODE_VERSION=v24.3.0\nNODE_SHA256_LINUX_X64_TAR_XZ=ABCDEF\n")
	other := write("other.env", "# pins\n\nNODE_VERSION=24.21.0\n")
	missing := filepath.Join(dir, "missing.env")

	tests := []struct {
		name    string
		files   []File
		want    map[string]Value // key → value with source and line
		inFiles []Source         // the files that pin NODE_VERSION
		err     string
	}{
		{
			name:  "node-version.env alone",
			files: []File{{Path: missing, Optional: true}, {Path: node, Optional: true}, {Path: bun, Optional: true}},
			want: map[string]Value{
				NodeVersion:   {Value: "24.3.0", Source: Source(node), Line: 4},
				"BUN_VERSION": {Value: "1.3.9", Source: Source(bun), Line: 1},
				NodeMirror:    {Value: "https://nodejs.org/dist", Source: Embedded, Line: 3},
			},
			inFiles: []Source{Source(node)},
		},
		{
			name:  "files that agree",
			files: []File{{Path: same}, {Path: node}},
			want: map[string]Value{
				NodeVersion: {Value: "v24.3.0", Source: Source(same), Line: 2},
			},
			inFiles: []Source{Source(same), Source(node)},
		},
		{
			name:  "files that disagree",
			files: []File{{Path: other}, {Path: node}},
			err:   other + ":3 pins NODE_VERSION=24.21.0 but " + node + ":4 pins 24.3.0: keep the pin in one file (remove it from one of them)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LoadFiles([]byte(embedded), tt.files, nil)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got, _ := p.Get(k); got != want {
					t.Errorf("%s = %+v, want %+v", k, got, want)
				}
			}
			var in []Source
			for _, v := range p.InFiles(NodeVersion) {
				in = append(in, v.Source)
			}
			if strings.Join(sources(in), ",") != strings.Join(sources(tt.inFiles), ",") {
				t.Errorf("InFiles(NODE_VERSION) = %v, want %v", in, tt.inFiles)
			}
		})
	}

	if _, err := LoadFiles([]byte(embedded), []File{{Path: missing}}, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing required file: err = %v", err)
	}
	// The error is a *ConflictError for callers that want the two values.
	_, err := LoadFiles([]byte(embedded), []File{{Path: node}, {Path: other}}, nil)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.First.Source != Source(node) || ce.Second.Line != 3 {
		t.Errorf("err = %#v, want a ConflictError of %s then %s:3", err, node, other)
	}
	// An environment override settles nothing: the files still disagree.
	if _, err := LoadFiles([]byte(embedded), []File{{Path: node}, {Path: other}}, []string{"NIZEPACK_NODE_VERSION=24.3.0"}); err == nil {
		t.Error("files that disagree were accepted under an environment override")
	}
	// Checksum pins apply beside the NODE_VERSION of their own file.
	p, err := LoadFiles([]byte(embedded), []File{{Path: node}, {Path: same}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum, ok := p.NodeChecksum("24.3.0", "node-v24.3.0-linux-x64.tar.xz"); !ok || sum != "abcdef" {
		t.Errorf("checksum pin = %q, %v", sum, ok)
	}
}

func sources(s []Source) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}
