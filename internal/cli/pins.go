package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/nize/nizepack"
	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nize"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/tauri"
)

// App pin files, at the app's root: versions.env, else the Node pin where the app keeps it
// for its own scripts; scripts/bun-version.env is read beside either.
const (
	versionsEnv    = "versions.env"
	nodeVersionEnv = "scripts/node-version.env"
	bunVersionEnv  = "scripts/bun-version.env"
)

// loadPins merges the embedded versions.env, the app's pin files (--versions FILE alone, else
// appPinFiles) and NIZEPACK_* environment variables. Flags are applied by each command.
func loadPins(s *Streams, g *globalOptions) (*pins.Pins, error) {
	if g.versionsFile != "" {
		p, err := pins.Load(nizepack.DefaultVersions(), g.versionsFile, g.versionsCreated, s.environ())
		if err != nil && !g.versionsCreated && errors.Is(err, os.ErrNotExist) {
			return nil, usageErrorf("--versions %s: the file does not exist", g.versionsFile)
		}
		return p, err
	}
	var files []pins.File
	for _, f := range appPinFiles() {
		files = append(files, pins.File{Path: f, Optional: true})
	}
	return pins.LoadFiles(nizepack.DefaultVersions(), files, s.environ())
}

// appPinFiles are the app's pin files that exist, in order: versions.env,
// scripts/node-version.env and scripts/bun-version.env, each found by findPinFile.
func appPinFiles() []string {
	var out []string
	for _, name := range []string{versionsEnv, nodeVersionEnv, bunVersionEnv} {
		if p := findPinFile(name); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// findPinFile is ./name when present; else, run from a subfolder of a repository, the one at
// the repository root when present; else "".
func findPinFile(name string) string {
	name = filepath.FromSlash(name)
	if fileExists(name) {
		return name
	}
	if root := tauri.RepoRoot("."); root != "" && root != "." {
		if p := filepath.Join(root, name); fileExists(p) {
			return p
		}
	}
	return ""
}

// pinFiles are the files the writers (versions update, fetch-node --pin) write NODE_VERSION and
// its checksum pins to: --versions FILE; else each app pin file that pins NODE_VERSION (first the
// one that gets new pins); else versions.env (the app's, or ./versions.env, created).
func pinFiles(g *globalOptions, p *pins.Pins) []string { return pinFilesFor(g, p, pins.NodeVersion) }

// pinFilesFor is pinFiles for another runtime's version key (BUN_VERSION).
func pinFilesFor(g *globalOptions, p *pins.Pins, versionKey string) []string {
	if g.versionsFile != "" {
		return []string{g.versionsFile}
	}
	var out []string
	for _, v := range p.InFiles(versionKey) {
		out = append(out, string(v.Source))
	}
	if len(out) > 0 {
		return out
	}
	if f := findPinFile(versionsEnv); f != "" {
		return []string{f}
	}
	return []string{versionsEnv}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// runtimeVersion applies a --<runtime>-version flag over the pins and validates the result.
func runtimeVersion(p *pins.Pins, spec runtimeSpec, flag string) (string, error) {
	if spec.rt == fetch.Node {
		return nodeVersion(p, flag)
	}
	if flag != "" {
		v, err := pins.ExactVersion(flag, "--"+spec.versionFlag)
		if err != nil {
			return "", &UsageError{Err: err}
		}
		p.Set(spec.keys.Version, v, pins.Flag)
	}
	return p.Version(spec.keys)
}

// sidecarNameFlag registers --sidecar-name.
func sidecarNameFlag(f *pflag.FlagSet, dst *string) {
	f.StringVar(dst, "sidecar-name", "", "the node sidecar's name: bundle.externalBin's binaries/<name>, installed as binaries/<name>-<triple> (default: NODE_SIDECAR_NAME from versions.env, else "+nize.DefaultSidecarName+", the name the app's sidecar(\"node\") call starts)")
}

// sidecarName is the node sidecar's name: --sidecar-name, else the NODE_SIDECAR_NAME pin (an
// app file, or $NIZEPACK_NODE_SIDECAR_NAME), else nize.DefaultSidecarName.
func sidecarName(s *Streams, g *globalOptions, flag string) (string, error) {
	if flag != "" {
		if !fetch.ValidName(flag) {
			return "", usageErrorf("--sidecar-name %q: use a plain file name (letters, digits, '.', '_', '-'; no folder, no .exe: Tauri adds -<triple> and .exe itself), e.g. nize-node", flag)
		}
		return flag, nil
	}
	p, err := loadPins(s, g)
	if err != nil {
		return "", err
	}
	return pinnedSidecarName(p)
}

func pinnedSidecarName(p *pins.Pins) (string, error) {
	v, ok := p.Get(pins.NodeSidecarName)
	if !ok || v.Value == "" {
		return nize.DefaultSidecarName, nil
	}
	if !fetch.ValidName(v.Value) {
		where := string(v.Source)
		if v.Line > 0 {
			where = fmt.Sprintf("%s:%d", v.Source, v.Line)
		}
		return "", fmt.Errorf("%s sets %s=%q, which is not a plain file name (letters, digits, '.', '_', '-'; no folder, no .exe); set it to a name such as nize-node", where, pins.NodeSidecarName, v.Value)
	}
	return v.Value, nil
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
// finds it, or, run from a subfolder of the app, under the nearest parent up to the
// repository root that has one. Several are a usage error asking for flag; none is
// tauri.ErrNoTauriDir.
func findTauriDir(flag, want string) (string, error) {
	dir, _, err := tauri.FindDirUp(".")
	var multiple *tauri.MultipleDirsError
	switch {
	case err == nil, errors.Is(err, tauri.ErrNoTauriDir):
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
	if errors.Is(err, tauri.ErrNoTauriDir) {
		return "", &hintError{Err: fmt.Errorf("%w under the working directory", err), Sep: ": ",
			Hint: fmt.Sprintf("run %s in the app repository or pass --config FILE", strings.TrimSpace("nizepack "+command))}
	}
	return dir, err
}

// appRoot is the app's root folder: the working directory when the app's Tauri dir is below
// it, else (run from a subfolder, or from the Tauri dir itself, where a Tauri hook with a "cwd"
// may run) the root of the repository above it that holds the app.
func appRoot() string {
	if dir, from, err := tauri.FindDirUp("."); err == nil && (from != "." || filepath.Clean(dir) == ".") {
		if root := tauri.RepoRoot("."); root != "" {
			return root
		}
		return from
	}
	return "."
}

// configDir is the Tauri dir of a --config value (the file's folder, or the folder itself).
func configDir(config string) (string, error) {
	st, err := os.Stat(config)
	if err != nil {
		return "", usageErrorf("--config %s: the file does not exist", config)
	}
	if st.IsDir() {
		return config, nil
	}
	return filepath.Dir(config), nil
}

// tauriSubdir returns <Tauri dir>/sub for the app of --config (when given) or the one found
// from the working directory, or ./sub when there is none; several Tauri dirs need the named
// flag (or --config).
func tauriSubdir(config, sub, flag string) (string, error) {
	if config != "" {
		dir, err := configDir(config)
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, sub), nil
	}
	dir, err := findTauriDir(flag+" or --config", "to choose where to write")
	if errors.Is(err, tauri.ErrNoTauriDir) {
		return sub, nil
	}
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, sub), nil
}

// resolveCargoTargetDir resolves --cargo-target-dir > $CARGO_TARGET_DIR > <app root>/target
// (./target from the app root; from a subfolder the repository root's, as cargo does for a
// workspace).
func resolveCargoTargetDir(s *Streams, flag string) string {
	if flag != "" {
		return flag
	}
	if env := s.getenv("CARGO_TARGET_DIR"); env != "" {
		return env
	}
	return filepath.Join(appRoot(), "target")
}
