//go:build unix

package filehash

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A mapped file truncated while it is hashed faults (SIGBUS); the hash fails with an error
// instead of crashing the process.
func TestTreeSHA256MappedTruncated(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, make([]byte, 3*TreeChunk), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, unmap := mapFile(f, 3*TreeChunk)
	if data == nil {
		t.Fatal("mapFile could not map a regular file")
	}
	defer unmap()
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	_, err = treeSum(3*TreeChunk, false, func(_ []byte, off, n int64) ([]byte, error) { return data[off : off+n], nil })
	if !errors.Is(err, errChanged) {
		t.Fatalf("err = %v, want %v", err, errChanged)
	}
}
