package nizepack_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
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
//	reseed ARCHIVE FIELD VALUE  set FIELD of a seed's pglite-seed.json (e.g. pglite 0.5.13) and
//	                        its sha256 in the manifest beside it
//	seedfault ARCHIVE FAULT damage a seed: truncate, unsafe (an entry "../evil"), flip a byte

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
	if neg || len(args) != 3 {
		ts.Fatalf("usage: reseed ARCHIVE FIELD VALUE")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	data = rewriteSeed(ts, data, func(first bool, hdr *tar.Header, body []byte, tw *tar.Writer) {
		if first {
			var meta map[string]any
			ts.Check(json.Unmarshal(body, &meta))
			meta[args[1]] = args[2]
			var err error
			body, err = json.Marshal(meta)
			ts.Check(err)
			hdr.Size = int64(len(body))
		}
		writeTarEntry(ts, tw, hdr, body)
	})
	ts.Check(os.WriteFile(path, data, 0o644))
	vouchFor(ts, path, data)
}

// rewriteSeed rewrites a gzipped tar: each entry goes through each, which writes what it wants
// in its place to tw.
func rewriteSeed(ts *testscript.TestScript, data []byte, each func(first bool, hdr *tar.Header, body []byte, tw *tar.Writer)) []byte {
	gz, err := gzip.NewReader(bytes.NewReader(data))
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
		each(first, hdr, body, tw)
	}
	ts.Check(tw.Close())
	ts.Check(zw.Close())
	return out.Bytes()
}

func writeTarEntry(ts *testscript.TestScript, tw *tar.Writer, hdr *tar.Header, body []byte) {
	ts.Check(tw.WriteHeader(hdr))
	_, err := tw.Write(body)
	ts.Check(err)
}

// seedfault ARCHIVE truncate|unsafe|flip: damage a seed the way a broken or hostile bundle
// would. truncate keeps its first tenth and unsafe adds an entry "../evil" after the first; both
// then rewrite the seed's sha256 in the manifest beside it, as a hostile bundle would, so the
// server's own reading is what is tested. flip changes one byte and leaves the manifest alone
// (a seed damaged after bundle-pglite made it).
func cmdSeedFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: seedfault ARCHIVE truncate|unsafe|flip")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	switch args[1] {
	case "flip":
		data[len(data)/2] ^= 0xff
		ts.Check(os.WriteFile(path, data, 0o644))
		return
	case "truncate":
		data = data[:len(data)/10]
	case "unsafe":
		data = rewriteSeed(ts, data, func(first bool, hdr *tar.Header, body []byte, tw *tar.Writer) {
			writeTarEntry(ts, tw, hdr, body)
			if first {
				evil := []byte("#!/bin/sh\necho pwned\n")
				writeTarEntry(ts, tw, &tar.Header{Name: "../evil", Mode: 0o755, Size: int64(len(evil)), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}, evil)
			}
		})
	default:
		ts.Fatalf("seedfault: unknown fault %q", args[1])
	}
	ts.Check(os.WriteFile(path, data, 0o644))
	vouchFor(ts, path, data)
}

// vouchFor rewrites the seed's size and sha256 in the manifest beside it to match data.
func vouchFor(ts *testscript.TestScript, path string, data []byte) {
	manifest := filepath.Join(filepath.Dir(path), "nizepack-manifest.json")
	mdata, err := os.ReadFile(manifest)
	ts.Check(err)
	var m map[string]any
	ts.Check(json.Unmarshal(mdata, &m))
	sum := sha256.Sum256(data)
	found := false
	for _, f := range m["files"].([]any) {
		if entry := f.(map[string]any); entry["name"] == filepath.Base(path) {
			entry["sha256"], entry["size"], found = hex.EncodeToString(sum[:]), len(data), true
		}
	}
	if !found {
		ts.Fatalf("%s does not list %s", manifest, filepath.Base(path))
	}
	mdata, err = json.MarshalIndent(m, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(manifest, mdata, 0o644))
}
