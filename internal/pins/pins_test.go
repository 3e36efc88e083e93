package pins

import (
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
