package fetch_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nodemirror"
	"github.com/nize/nizepack/target"
)

// A Client downloads from one mirror, trusts one keyring and shares one cache; each Install
// names the version and where the binaries go. Here the mirror is a loopback copy of the
// official layout, signed with a key of its own (the real release keys are the default).
func ExampleClient_Install() {
	work, err := os.MkdirTemp("", "fetch-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	key, err := nodemirror.NewKey("Example Releaser", 0)
	if err != nil {
		log.Fatal(err)
	}
	mirrorDir := filepath.Join(work, "mirror")
	if err := nodemirror.Build(mirrorDir, "24.21.0", key, nodemirror.Options{Dists: []string{"linux-arm64", "win-x64"}, TarKinds: []string{"gz"}}); err != nil {
		log.Fatal(err)
	}
	mirror := nodemirror.Serve(mirrorDir, nil)
	defer mirror.Close()

	keyring, err := fetch.ParseKeyring(key.PublicArmor)
	if err != nil {
		log.Fatal(err)
	}
	client, err := fetch.New(fetch.Options{Mirror: mirror.URL, Keyring: keyring, CacheDir: filepath.Join(work, "cache")})
	if err != nil {
		log.Fatal(err)
	}
	linux, _ := target.Parse("linux-arm64")
	windows, _ := target.Parse("windows-x64")
	req := fetch.Request{Version: "24.21.0", OutDir: filepath.Join(work, "binaries")}
	results, err := client.Install(context.Background(), req, linux, windows)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Println(filepath.Base(r.Path), "from", r.Artifact)
	}
	again, _ := client.Install(context.Background(), req, linux)
	fmt.Println("second run up to date:", again[0].UpToDate)
	// Output:
	// node-aarch64-unknown-linux-gnu from node-v24.21.0-linux-arm64.tar.gz
	// node-x86_64-pc-windows-msvc.exe from node-v24.21.0-win-x64.zip
	// second run up to date: true
}
