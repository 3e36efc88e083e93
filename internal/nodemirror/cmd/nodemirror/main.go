// Command nodemirror builds a signed Node.js mirror in the official layout and serves it on
// loopback, for benchmarks and CI checks with a real node binary. Not part of the product.
//
//	nodemirror -dir D -version 24.21.0 -binary linux-x64=/path/to/node -kinds xz,gz -keyring K.asc
//
// It prints the mirror URL on stdout once serving and runs until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/nize/nizepack/internal/nodemirror"
)

func main() {
	dir := flag.String("dir", "", "mirror directory to build")
	version := flag.String("version", "24.21.0", "Node version")
	binary := flag.String("binary", "", "DIST=PATH of a real node binary")
	kinds := flag.String("kinds", "xz,gz", "tarball forms")
	keyring := flag.String("keyring", "", "write the signing key's public half here")
	buildOnly := flag.Bool("build-only", false, "build, do not serve")
	resign := flag.Bool("resign", false, "do not build: re-sign the files already in -dir (e.g. after adding an archive made with xz(1))")
	flag.Parse()
	if *dir == "" || (*binary == "" && !*resign) || *keyring == "" {
		log.Fatal("usage: nodemirror -dir D (-binary DIST=PATH | -resign) -keyring FILE [-version V] [-kinds xz,gz] [-build-only]")
	}
	key, err := nodemirror.NewKey("Bench Releaser", 0)
	if err != nil {
		log.Fatal(err)
	}
	if *resign {
		err = nodemirror.Sign(filepath.Join(*dir, "v"+*version), key)
	} else {
		dist, path, _ := strings.Cut(*binary, "=")
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			log.Fatal(rerr)
		}
		opts := nodemirror.Options{Dists: []string{dist}, Binaries: map[string][]byte{dist: data}, TarKinds: strings.Split(*kinds, ",")}
		err = nodemirror.Build(*dir, *version, key, opts)
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*keyring, key.PublicArmor, 0o644); err != nil {
		log.Fatal(err)
	}
	if *buildOnly {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, nodemirror.Handler(*dir, nil)))
}
