package sidecars_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/sidecars"
	"github.com/nize/nizepack/target"
	"github.com/nize/nizepack/tauri"
)

// Install copies each externalBin sidecar that cargo built for the target to the name Tauri
// looks for, after checking its format and CPU.
func ExampleInstall() {
	root, err := os.MkdirTemp("", "sidecars-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	tauriDir := filepath.Join(root, "app")
	write := func(name string, data []byte) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	write("app/tauri.conf.json", []byte(`{"identifier": "x", "bundle": {"externalBin": ["binaries/node", "binaries/api_server"]}}`))
	exe, err := fakebin.Executable("linux", "arm64", "api\n") // what `cargo build --target aarch64-unknown-linux-gnu` leaves
	if err != nil {
		log.Fatal(err)
	}
	write("target/aarch64-unknown-linux-gnu/release/api_server", exe)

	p, err := tauri.OpenDir(tauriDir)
	if err != nil {
		log.Fatal(err)
	}
	t, _ := target.Parse("linux-arm64")
	installed, err := sidecars.Install(context.Background(), sidecars.Options{
		Project:        p,
		Target:         t,
		CargoTargetDir: filepath.Join(root, "target"),
		Exclude:        []string{"node"}, // fetch-node provides that one
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, in := range installed {
		rel, _ := filepath.Rel(tauriDir, in.Path)
		fmt.Println(filepath.ToSlash(rel), in.Format)
	}
	// Output:
	// binaries/api_server-aarch64-unknown-linux-gnu ELF arm64
}
