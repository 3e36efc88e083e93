package fetch

import (
	"io"
)

// asyncWriter hands writes to a goroutine, so decompressing (the caller) and hashing plus
// writing to disk (the goroutine) run on two cores at once. Close waits for the last write.
type asyncWriter struct {
	w    io.Writer
	bufs chan []byte
	free chan []byte
	done chan error
	err  error
}

const asyncBufSize = 1 << 20

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{w: w, bufs: make(chan []byte, 4), free: make(chan []byte, 4), done: make(chan error, 1)}
	for i := 0; i < 4; i++ {
		a.free <- make([]byte, 0, asyncBufSize)
	}
	go func() {
		var err error
		for b := range a.bufs {
			if err == nil {
				_, err = a.w.Write(b)
			}
			a.free <- b[:0]
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := <-a.free
		k := min(len(p), asyncBufSize)
		b = append(b, p[:k]...)
		a.bufs <- b
		p = p[k:]
	}
	return n, nil
}

// Close flushes and returns the first error the writer hit.
func (a *asyncWriter) Close() error {
	if a.bufs != nil {
		close(a.bufs)
		a.err = <-a.done
		a.bufs = nil
	}
	return a.err
}
