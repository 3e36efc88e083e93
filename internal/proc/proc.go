// Package proc describes how a child process ended, the same way wherever nizepack runs one.
package proc

import (
	"errors"
	"os/exec"
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
