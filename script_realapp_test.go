package nizepack_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// testdata/realapp is the Nize Desktop repository as it is at its PGlite migration: npm
// workspaces (packages hoisted to the root node_modules), PGlite 0.3.15 with pglite-socket
// 0.0.20, the app's own server entry, its Node pin in scripts/node-version.env, a Cargo
// workspace and the Tauri hooks that call the old scripts. `npm ci` at its root installs it.
//
//	$REALAPP  the fixture (copy it with copytree: its node_modules is linked, not copied)

// realApp is [realapp]: testdata/realapp is installed.
func realApp() bool {
	_, err := os.Stat(filepath.Join("testdata", "realapp", "node_modules", "@electric-sql", "pglite-socket", "package.json"))
	return err == nil
}

func setupRealApp(env *testscript.Env) error {
	dir, err := filepath.Abs(filepath.Join("testdata", "realapp"))
	if err != nil {
		return err
	}
	env.Setenv("REALAPP", dir)
	if !realApp() && os.Getenv("CI") != "" {
		return fmt.Errorf("testdata/realapp is not installed: .ci/run must run `npm ci` in it")
	}
	return nil
}

// testdata/bunapp is the Nize Desktop repository as it is today: Bun as the bundled runtime
// (binaries/bun, scripts/bun-version.env), the API sidecar renamed nize_desktop_server, and
// mcp-remote bundled as a resource (nizepack.json). testdata/bunbin holds the official Bun
// binary from npm (@oven/bun-linux-x64), test material for the loopback Bun mirror.
//
//	$BUNAPP  the fixture (copy it with copytree)
//	$BUNBIN  the official linux-x64 bun binary

// bunApp is [bunapp]: testdata/bunapp and testdata/bunbin are installed.
func bunApp() bool {
	_, err := os.Stat(filepath.Join("testdata", "bunapp", "node_modules", "mcp-remote", "package.json"))
	if err != nil {
		return false
	}
	_, err = os.Stat(bunBinary())
	return err == nil
}

func bunBinary() string {
	return filepath.Join("testdata", "bunbin", "node_modules", "@oven", "bun-linux-x64", "bin", "bun")
}

func setupBunApp(env *testscript.Env) error {
	dir, err := filepath.Abs(filepath.Join("testdata", "bunapp"))
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(bunBinary())
	if err != nil {
		return err
	}
	env.Setenv("BUNAPP", dir)
	env.Setenv("BUNBIN", bin)
	return nil
}
