package filehash

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// sequentialTree is the tree hash's definition, written the slow way.
func sequentialTree(data []byte) string {
	h := sha256.New()
	h.Write([]byte("nizepack sha256 tree v1\x00"))
	h.Write(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 4<<20), uint64(len(data))))
	for off := 0; off < len(data); off += 4 << 20 {
		leaf := sha256.Sum256(data[off:min(off+4<<20, len(data))])
		h.Write(leaf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestTreeSHA256(t *testing.T) {
	data := make([]byte, 3*TreeChunk+5)
	rand.NewChaCha8([32]byte{1}).Read(data)
	seen := map[string]int{}
	for _, size := range []int{0, 1, TreeChunk - 1, TreeChunk, TreeChunk + 1, 3*TreeChunk + 5} {
		want := sequentialTree(data[:size])
		got, err := TreeSHA256At(bytes.NewReader(data[:size]), int64(size))
		if err != nil || got != want {
			t.Errorf("size %d: TreeSHA256At = %s, %v; want %s", size, got, err, want)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("sizes %d and %d have the same tree hash", prev, size)
		}
		seen[got] = size
		plain := sha256.Sum256(data[:size])
		if got == hex.EncodeToString(plain[:]) {
			t.Errorf("size %d: the tree hash equals the plain SHA-256", size)
		}
	}

	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, data, 0o644)
	sum, n, err := TreeSHA256(p)
	if err != nil || n != int64(len(data)) || sum != sequentialTree(data) {
		t.Errorf("TreeSHA256(file) = %s, %d, %v", sum, n, err)
	}
	// SHA256AndTree: both hashes of the same bytes in one pass, for every size.
	for _, size := range []int{0, 1, TreeChunk, 3*TreeChunk + 5} {
		q := filepath.Join(t.TempDir(), "g")
		os.WriteFile(q, data[:size], 0o644)
		want := sha256.Sum256(data[:size])
		plain, tree, n, err := SHA256AndTree(q)
		if err != nil || n != int64(size) || plain != hex.EncodeToString(want[:]) || tree != sequentialTree(data[:size]) {
			t.Errorf("size %d: SHA256AndTree = %s, %s, %d, %v", size, plain, tree, n, err)
		}
	}
	// One flipped byte in the last chunk changes the root.
	data[len(data)-1] ^= 1
	if got, _ := TreeSHA256At(bytes.NewReader(data), int64(len(data))); got == sum {
		t.Error("a changed byte kept the tree hash")
	}
}

func TestTreeSHA256SizeMismatch(t *testing.T) {
	data := bytes.Repeat([]byte("x"), TreeChunk+10)
	// The reader holds more than size: refused, not hashed on a prefix.
	if _, err := TreeSHA256At(bytes.NewReader(data), TreeChunk); err == nil {
		t.Error("a reader longer than size was hashed")
	}
	// The reader holds less than size.
	if _, err := TreeSHA256At(bytes.NewReader(data), int64(len(data))+1); err == nil {
		t.Error("a reader shorter than size was hashed")
	}
	if _, _, err := TreeSHA256(t.TempDir()); err == nil {
		t.Error("a directory was hashed")
	}
	if _, _, err := TreeSHA256(filepath.Join(t.TempDir(), "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v", err)
	}
}

func BenchmarkTreeSHA256(b *testing.B) {
	p := filepath.Join(b.TempDir(), "f")
	data := make([]byte, 128<<20)
	rand.NewChaCha8([32]byte{2}).Read(data)
	os.WriteFile(p, data, 0o644)
	b.SetBytes(int64(len(data)))
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			SHA256(p)
		}
	})
	b.Run("tree", func(b *testing.B) {
		for b.Loop() {
			TreeSHA256(p)
		}
	})
}
