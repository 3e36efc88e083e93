// Package proc describes how a child process ended, the same way wherever nizepack runs one.
package proc

import (
	"bytes"
	"errors"
	"os/exec"
	"sync"
)

// ExitText says how a process ended from cmd.Wait's error: "exit 0", "exit status 3",
// "signal: killed", or the error itself when it is not an exit.
func ExitText(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit 0"
	case errors.As(err, &ee):
		return ee.ProcessState.String()
	}
	return err.Error()
}

// TailMax is how much of a child's output a Tail keeps: enough for its last lines of error.
const TailMax = 64 << 10

// Tail keeps the last TailMax bytes written to it, for a child's stderr; safe for concurrent
// use (exec copies into it while the caller reads).
type Tail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if t.buf.Len() > TailMax {
		t.buf.Next(t.buf.Len() - TailMax)
	}
	return len(p), nil
}

func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
