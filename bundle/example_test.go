package bundle_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nize/nizepack/bundle"
)

// Build bundles an entry and its packages into one ESM file with the esbuild Go API and copies
// every asset the sources load with new URL("…", import.meta.url) beside it. A second run with
// the same inputs is up to date and writes nothing.
func ExampleBuild() {
	app, err := os.MkdirTemp("", "bundle-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(app)
	for name, body := range map[string]string{
		"package.json":                        `{"name":"app","private":true}`,
		"node_modules/engine/package.json":    `{"name":"engine","version":"1.0.0","type":"module","exports":"./index.js"}`,
		"node_modules/engine/index.js":        `export const wasm = new URL("./engine.wasm", import.meta.url);`,
		"node_modules/engine/engine.wasm":     "\x00asm",
		"node_modules/engine/never-used.wasm": "not referenced, not copied",
		"server.mjs":                          `import { wasm } from "engine"; console.log(wasm.pathname);`,
	} {
		p := filepath.Join(app, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			log.Fatal(err)
		}
	}

	opts := bundle.Options{
		Entry:      filepath.Join(app, "server.mjs"),
		PackageDir: app,
		Out:        filepath.Join(app, "resources", "pglite"),
		NodeMajor:  24,
	}
	res, err := bundle.Build(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range res.Files {
		if f.Source != "" {
			fmt.Println(f.Name, "copied from", f.Source)
		} else {
			fmt.Println(f.Name, "bundled")
		}
	}
	again, err := bundle.Build(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("second run up to date:", again.UpToDate)
	_, problems := bundle.CheckOutput(opts.Out)
	fmt.Println("problems:", len(problems))
	// Output:
	// engine.wasm copied from node_modules/engine/engine.wasm
	// pglite-server.mjs bundled
	// second run up to date: true
	// problems: 0
}
