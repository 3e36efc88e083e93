package nizepack_test

import (
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// testdata/tauriapp holds the real Tauri CLI (@tauri-apps/cli, pinned exactly; `npm ci` installs
// it with its native linux-x64-gnu binary, which runs offline). tauri_bundle_deb.txtar builds a
// dependency-free Cargo app with `cargo build --release --offline`, runs `nizepack prepare` on it,
// then `tauri bundle --bundles deb`, and checks the package against what nizepack wrote.
//
//	$TAURICLI     the CLI's entry (node $TAURICLI bundle ...)
//	$CARGO_HOME   passed through, else ~/.cargo when there is one, else a folder of the work dir
//	$RUSTUP_HOME  passed through, else ~/.rustup when there is one (a rustup-managed cargo
//	              finds its toolchains there; testscript's $HOME is /no-home)
//
// [taurideb] is true when cargo, dpkg and dpkg-deb are on PATH and testdata/tauriapp is installed.

// tauriCLI is the installed CLI's entry script.
func tauriCLI() string {
	return filepath.Join("testdata", "tauriapp", "node_modules", "@tauri-apps", "cli", "tauri.js")
}

// tauriDeb is [taurideb]: cargo, dpkg-deb and the installed Tauri CLI, with its native binary for
// this host (npm installs only the matching optional package).
func tauriDeb() bool {
	if !onPath("cargo") || !onPath("dpkg") || !onPath("dpkg-deb") {
		return false
	}
	if _, err := os.Stat(tauriCLI()); err != nil {
		return false
	}
	native, _ := filepath.Glob(filepath.Join("testdata", "tauriapp", "node_modules", "@tauri-apps", "cli-*", "*.node"))
	return len(native) > 0
}

func setupTauriBundle(env *testscript.Env) error {
	cli, err := filepath.Abs(tauriCLI())
	if err != nil {
		return err
	}
	env.Setenv("TAURICLI", cli)
	home, _ := os.UserHomeDir()
	cargoHome := os.Getenv("CARGO_HOME")
	if cargoHome == "" && home != "" {
		if fi, err := os.Stat(filepath.Join(home, ".cargo")); err == nil && fi.IsDir() {
			cargoHome = filepath.Join(home, ".cargo")
		}
	}
	if cargoHome == "" {
		cargoHome = filepath.Join(env.WorkDir, ".cargo-home")
	}
	env.Setenv("CARGO_HOME", cargoHome)
	rustupHome := os.Getenv("RUSTUP_HOME")
	if rustupHome == "" && home != "" {
		if fi, err := os.Stat(filepath.Join(home, ".rustup")); err == nil && fi.IsDir() {
			rustupHome = filepath.Join(home, ".rustup")
		}
	}
	if rustupHome != "" {
		env.Setenv("RUSTUP_HOME", rustupHome)
	}
	return nil
}
