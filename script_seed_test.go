package nizepack_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// For the seed scripts:
//
//	$NIZEPACK_BIN           the folder holding the nizepack test binary: `env PATH=$NIZEPACK_BIN`
//	                        leaves a script with nizepack and nothing else on PATH
//	reseed ARCHIVE VERSION  rewrite a seed's pglite-seed.json as if PGlite VERSION had made it

// setupSeed exports $NIZEPACK_BIN.
func setupSeed(env *testscript.Env) error {
	for _, dir := range filepath.SplitList(env.Getenv("PATH")) {
		if p, err := exec.LookPath(filepath.Join(dir, "nizepack")); err == nil {
			env.Setenv("NIZEPACK_BIN", filepath.Dir(p))
			break
		}
	}
	return nil
}

func cmdReseed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: reseed ARCHIVE VERSION")
	}
	path := ts.MkAbs(args[0])
	in, err := os.Open(path)
	ts.Check(err)
	gz, err := gzip.NewReader(in)
	ts.Check(err)
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for first := true; ; first = false {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		body, err := io.ReadAll(tr)
		ts.Check(err)
		if first {
			var meta map[string]any
			ts.Check(json.Unmarshal(body, &meta))
			meta["pglite"] = args[1]
			body, err = json.Marshal(meta)
			ts.Check(err)
			hdr.Size = int64(len(body))
		}
		ts.Check(tw.WriteHeader(hdr))
		_, err = tw.Write(body)
		ts.Check(err)
	}
	in.Close()
	ts.Check(tw.Close())
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(path, out.Bytes(), 0o644))
}
