package nizepack_test

import (
	"os"

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
	ts.Check(nodemirror.BuildReleases(dir, mirrorKey, []string{"gz", "xz"}, args...))
	ts.Check(os.WriteFile(ts.MkAbs("keyring.asc"), mirrorKey.PublicArmor, 0o644))
	srv := nodemirror.Serve(dir, &nodemirror.Faults{})
	ts.Defer(srv.Close)
	ts.Setenv("MIRROR", srv.URL)
}
