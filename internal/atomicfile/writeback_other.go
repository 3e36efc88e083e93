//go:build !linux

package atomicfile

const writebackSupported = false

func startWriteback(fd uintptr, off, n int64) {}
