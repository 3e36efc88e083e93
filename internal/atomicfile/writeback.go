package atomicfile

import "io"

// writebackChunk is how much is written before the kernel is asked to start writing it out.
const writebackChunk = 8 << 20

// EarlyWriteback wraps a file being written (anything with Fd, e.g. the writer Write hands its
// fill function) so that, on Linux, the kernel starts writing each 8 MiB to disk as soon as it
// is written: the fsync at the end then waits for the last chunk, not for the whole file. Other
// writers, and other systems, pass through unchanged.
func EarlyWriteback(w io.Writer) io.Writer {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !writebackSupported {
		return w
	}
	return &writeback{w: w, fd: f.Fd()}
}

type writeback struct {
	w           io.Writer
	fd          uintptr
	off, queued int64
}

func (b *writeback) Write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	b.off += int64(n)
	if b.off-b.queued >= writebackChunk {
		startWriteback(b.fd, b.queued, b.off-b.queued)
		b.queued = b.off
	}
	return n, err
}
