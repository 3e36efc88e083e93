package nizepack_test

import (
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nize/nizepack/internal/nodemirror"
)

// nodemirrors RELEASE...: builds a mirror with several Node versions signed by the same key as
// nodemirror's, writes index.json listing RELEASE... in the order given (newest first, as the
// official one), serves it on 127.0.0.1, sets $MIRROR and writes $WORK/keyring.asc.
// A RELEASE is VERSION[:FLAG], FLAG one of:
//
//	lts        (default) an LTS release with every file published
//	current    not LTS ("lts": false)
//	missing    listed in index.json, nothing published yet
//	partial    published without win-arm64
//	unsigned   published with SHASUMS256.txt but no signature
func cmdNodeMirrors(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: nodemirrors VERSION[:lts|current|missing|partial|unsigned]...")
	}
	mirrorKeyOnce.Do(func() { mirrorKey, mirrorKeyErr = nodemirror.NewKey("Script Releaser", 0) })
	ts.Check(mirrorKeyErr)
	dir := ts.MkAbs("mirror")
	var index []nodemirror.Release
	for _, a := range args {
		version, flag, _ := strings.Cut(a, ":")
		rel := nodemirror.Release{
			Version: "v" + version,
			Date:    "2026-01-01",
			Files:   []string{"linux-arm64", "linux-x64", "osx-arm64-tar", "osx-x64-tar", "win-arm64-zip", "win-x64-zip"},
			LTS:     "Testname",
		}
		opts := nodemirror.Options{TarKinds: []string{"gz", "xz"}}
		key := mirrorKey
		switch flag {
		case "", "lts":
		case "current":
			rel.LTS = false
		case "missing":
			index = append(index, rel)
			continue
		case "partial":
			opts.Dists = []string{"darwin-arm64", "darwin-x64", "linux-x64", "linux-arm64", "win-x64"}
		case "unsigned":
			key = nil
		default:
			ts.Fatalf("nodemirrors: unknown flag %q in %q", flag, a)
		}
		ts.Check(nodemirror.Build(dir, version, key, opts))
		index = append(index, rel)
	}
	ts.Check(nodemirror.WriteIndex(dir, index))
	ts.Check(os.WriteFile(ts.MkAbs("keyring.asc"), mirrorKey.PublicArmor, 0o644))
	srv := nodemirror.Serve(dir, &nodemirror.Faults{})
	ts.Defer(srv.Close)
	ts.Setenv("MIRROR", srv.URL)
}
