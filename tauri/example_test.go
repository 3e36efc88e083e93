package tauri_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nize/nizepack/tauri"
)

// Plan computes the rewrite of a Tauri dir's configs without writing; Apply writes the files
// that change, keeping everything else (comments aside, indentation, key order) as it was.
func ExamplePlan() {
	dir, err := os.MkdirTemp("", "tauri-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	conf := `{
    "identifier": "com.example.app",
    "bundle": {
        "externalBin": ["binaries/api_server"],
        "resources": ["resources/pg/*"]
    }
}
`
	if err := os.WriteFile(filepath.Join(dir, "tauri.conf.json"), []byte(conf), 0o644); err != nil {
		log.Fatal(err)
	}

	p, err := tauri.OpenDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	changes, err := tauri.Plan(p, tauri.Options{
		ExternalBins: []string{"binaries/node"},
		Resources:    []tauri.ResourceMove{{From: "resources/pg", To: "resources/pglite"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	written, err := tauri.Apply(context.Background(), changes)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(written), "file written")
	out, _ := os.ReadFile(filepath.Join(dir, "tauri.conf.json"))
	fmt.Print(string(out))
	// Output:
	// 1 file written
	// {
	//     "identifier": "com.example.app",
	//     "bundle": {
	//         "externalBin": ["binaries/api_server", "binaries/node"],
	//         "resources": ["resources/pglite/*"]
	//     }
	// }
}
