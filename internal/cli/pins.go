package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nize/nizepack"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/project"
)

// loadPins merges the embedded versions.env, the app's (--versions FILE, else ./versions.env
// when present) and NIZEPACK_* environment variables. Flags are applied by each command.
func loadPins(s *Streams, g *globalOptions) (*pins.Pins, error) {
	path, optional := g.versionsFile, false
	if path == "" {
		path, optional = "versions.env", true
	}
	p, err := pins.Load(nizepack.DefaultVersions, path, optional, s.environ())
	if err != nil && !optional && errors.Is(err, os.ErrNotExist) {
		return nil, usageErrorf("--versions %s: the file does not exist", path)
	}
	return p, err
}

// nodeVersion applies a --node-version flag over the pins and validates the result.
func nodeVersion(p *pins.Pins, flag string) (string, error) {
	if flag != "" {
		v, err := pins.ExactVersion(flag, "--node-version")
		if err != nil {
			return "", &UsageError{Err: err}
		}
		p.Set(pins.NodeVersion, v, pins.Flag)
	}
	return p.NodeVersion()
}

// tauriSubdir returns <Tauri dir>/sub for the app under the working directory, or ./sub when
// the tree has no Tauri config; several Tauri dirs need the named flag.
func tauriSubdir(sub, flag string) (string, error) {
	dir, err := project.FindTauriDir(".")
	var multiple *project.MultipleError
	switch {
	case err == nil:
		return filepath.Join(dir, sub), nil
	case errors.Is(err, project.ErrNoTauriDir):
		return sub, nil
	case errors.As(err, &multiple):
		return "", usageErrorf("%v: pass %s to choose where to write", err, flag)
	}
	return "", fmt.Errorf("finding the Tauri dir: %w", err)
}
