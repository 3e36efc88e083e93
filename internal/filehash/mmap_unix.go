//go:build unix

package filehash

import (
	"os"
	"syscall"
)

// mapFile maps size bytes of f read-only, or returns nil when it cannot (the caller reads
// instead). Hashing mapped pages skips copying 126 MB out of the page cache.
func mapFile(f *os.File, size int64) (data []byte, unmap func()) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil
	}
	return data, func() { syscall.Munmap(data) }
}
