package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nize/nizepack"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/project"
)

// loadPins merges the embedded versions.env, the app's (--versions FILE, else ./versions.env
// when present) and NIZEPACK_* environment variables. Flags are applied by each command.
func loadPins(s *Streams, g *globalOptions) (*pins.Pins, error) {
	path, optional := g.versionsFile, g.versionsCreated
	if path == "" {
		path, optional = "versions.env", true
	}
	p, err := pins.Load(nizepack.DefaultVersions(), path, optional, s.environ())
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

// findTauriDir is the one Tauri dir under the working directory, found as the tauri CLI
// finds it. Several are a usage error asking for flag; none is project.ErrNoTauriDir.
func findTauriDir(flag, want string) (string, error) {
	dir, err := project.FindTauriDir(".")
	var multiple *project.MultipleError
	switch {
	case err == nil, errors.Is(err, project.ErrNoTauriDir):
		return dir, err
	case errors.As(err, &multiple):
		return "", usageErrorf("%v: pass %s %s", err, flag, want)
	}
	return "", fmt.Errorf("finding the Tauri dir: %w", err)
}

// requireTauriDir is findTauriDir for commands that need an app: none found is an error
// saying where to run.
func requireTauriDir(command string) (string, error) {
	dir, err := findTauriDir("--config", "with the tauri.conf.json to use")
	if errors.Is(err, project.ErrNoTauriDir) {
		return "", fmt.Errorf("%w under the working directory: run %s in the app repository or pass --config FILE", err, strings.TrimSpace("nizepack "+command))
	}
	return dir, err
}

// tauriSubdir returns <Tauri dir>/sub for the app under the working directory, or ./sub when
// the tree has no Tauri config; several Tauri dirs need the named flag.
func tauriSubdir(sub, flag string) (string, error) {
	dir, err := findTauriDir(flag, "to choose where to write")
	if errors.Is(err, project.ErrNoTauriDir) {
		return sub, nil
	}
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, sub), nil
}

// resolveCargoTargetDir resolves --cargo-target-dir > $CARGO_TARGET_DIR > ./target, as cargo does.
func resolveCargoTargetDir(s *Streams, flag string) string {
	if flag != "" {
		return flag
	}
	if env := s.getenv("CARGO_TARGET_DIR"); env != "" {
		return env
	}
	return "target"
}
