package cli

import (
	"errors"

	"github.com/nize/nizepack/target"
)

// parsePlatform turns a PLATFORM argument into a target; an unknown one is a usage error.
func parsePlatform(arg string) (target.Target, error) {
	t, err := target.Parse(arg)
	var unknown *target.UnknownError
	if errors.As(err, &unknown) {
		return t, &UsageError{Err: err}
	}
	return t, err
}

// platformArg returns the target named by args[0], or the host when args is empty.
func platformArg(args []string) (target.Target, error) {
	if len(args) == 0 {
		return parsePlatform("host")
	}
	return parsePlatform(args[0])
}
