package nizepack_test

import (
	"archive/tar"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/internal/filehash"
	"github.com/nize/nizepack/internal/nodemirror"
)

var (
	mirrorKeyOnce sync.Once
	mirrorKey     *nodemirror.Key
	mirrorKeyErr  error
)

// realNode is [realnode]: NIZEPACK_REAL_NODE names an official linux-x64 node binary
// (.ci/check-fetch-real.sh).
func realNode() bool { return os.Getenv("NIZEPACK_REAL_NODE") != "" }

// realArchives is [realarchives]: NIZEPACK_REAL_ARCHIVES is a dir with the official node binaries
// of other platforms, as DIST/node or DIST/node.exe (.ci/check-real-archives.sh).
func realArchives() bool { return os.Getenv("NIZEPACK_REAL_ARCHIVES") != "" }

// setupFetch gives every script its own download cache (HOME is not writable under testscript).
func setupFetch(env *testscript.Env) error {
	env.Setenv("NIZEPACK_CACHE_DIR", filepath.Join(env.WorkDir, ".cache"))
	env.Setenv("NIZEPACK_REAL_NODE", os.Getenv("NIZEPACK_REAL_NODE"))
	env.Setenv("NIZEPACK_REAL_ARCHIVES", os.Getenv("NIZEPACK_REAL_ARCHIVES"))
	return nil
}

// exits N PROG ARGS...: runs PROG and requires exit code N (stdout/stderr kept for checks).
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// nodemirror [flags] VERSION: builds a signed mirror laid out like nodejs.org/dist in
// $WORK/mirror, serves it on 127.0.0.1, sets $MIRROR to its URL and writes the signing key's
// public half to $WORK/keyring.asc. Flags shape bad cases:
//
//	-dists a,b          only these Node dists (default all six)
//	-binary DIST=PATH   use a real binary for DIST (repeatable)
//	-kinds xz,gz        tarball forms
//	-unknown-key        sign with a key that is not in keyring.asc
//	-unsigned           no .asc and no .sig
//	-tamper-sums        alter a sum inside the signed text after signing
//	-corrupt FILE       flip a byte of FILE after signing
//	-hostile dotdot|symlink|wrongarch
//	-503-once PATH, -truncate-once PATH  (paths relative to the mirror root)
//	-hold PATH          answer PATH only when the script ends (a mirror that never answers)
//	-gzip-encoding      label .tar.gz files Content-Encoding: gzip, as Apache does
//
// $MIRROR_HOST is the server's host:port, for URLs with credentials.
func cmdNodeMirror(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! nodemirror")
	}
	fs := flag.NewFlagSet("nodemirror", flag.ContinueOnError)
	dists := fs.String("dists", "", "")
	binaries := map[string]string{}
	fs.Func("binary", "", func(v string) error {
		dist, path, ok := strings.Cut(v, "=")
		if !ok {
			return errors.New("want DIST=PATH")
		}
		binaries[dist] = path
		return nil
	})
	kinds := fs.String("kinds", "", "")
	unknownKey := fs.Bool("unknown-key", false, "")
	unsigned := fs.Bool("unsigned", false, "")
	tamperSums := fs.Bool("tamper-sums", false, "")
	corrupt := fs.String("corrupt", "", "")
	hostile := fs.String("hostile", "", "")
	fail503 := fs.String("503-once", "", "")
	hold := fs.String("hold", "", "")
	gzipEncoding := fs.Bool("gzip-encoding", false, "")
	truncate := fs.String("truncate-once", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		ts.Fatalf("usage: nodemirror [flags] VERSION")
	}
	version := fs.Arg(0)

	mirrorKeyOnce.Do(func() { mirrorKey, mirrorKeyErr = nodemirror.NewKey("Script Releaser", 0) })
	ts.Check(mirrorKeyErr)
	key := mirrorKey
	if *unknownKey {
		var err error
		key, err = nodemirror.NewKey("Unknown Releaser", 0)
		ts.Check(err)
	}
	opts := nodemirror.Options{}
	if *dists != "" {
		opts.Dists = strings.Split(*dists, ",")
	}
	if *kinds != "" {
		opts.TarKinds = strings.Split(*kinds, ",")
	}
	if len(binaries) > 0 {
		opts.Binaries = map[string][]byte{}
		for dist, path := range binaries {
			data, err := os.ReadFile(ts.MkAbs(path))
			ts.Check(err)
			opts.Binaries[dist] = data
		}
	}
	switch *hostile {
	case "":
	case "dotdot":
		opts.ExtraFirst = []tar.Header{{Typeflag: tar.TypeReg, Name: "../evil", Size: 4, Mode: 0o644}}
	case "symlink":
		opts.NodeEntry = func(tw *tar.Writer, name string, _ []byte) error {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: "/bin/sh", Mode: 0o777})
		}
	case "wrongarch":
		arm, err := fakebin.Executable("linux", "arm64", "v"+version+"\n")
		ts.Check(err)
		opts.Binaries = map[string][]byte{"linux-x64": arm}
	default:
		ts.Fatalf("nodemirror: unknown -hostile %q", *hostile)
	}
	dir := ts.MkAbs("mirror")
	ts.Check(os.RemoveAll(dir)) // each call builds a fresh mirror
	signer := key
	if *unsigned {
		signer = nil
	}
	ts.Check(nodemirror.Build(dir, version, signer, opts))
	vdir := filepath.Join(dir, "v"+version)
	if *tamperSums {
		asc, err := os.ReadFile(filepath.Join(vdir, "SHASUMS256.txt.asc"))
		ts.Check(err)
		i := strings.Index(string(asc), "  node-v")
		asc[i-1] ^= 1
		ts.Check(os.WriteFile(filepath.Join(vdir, "SHASUMS256.txt.asc"), asc, 0o644))
	}
	if *corrupt != "" {
		p := filepath.Join(vdir, *corrupt)
		data, err := os.ReadFile(p)
		ts.Check(err)
		data[len(data)/2] ^= 0xff
		ts.Check(os.WriteFile(p, data, 0o644))
	}
	faults := &nodemirror.Faults{}
	if *fail503 != "" {
		faults.Status503Once = map[string]bool{*fail503: true}
	}
	if *truncate != "" {
		faults.TruncateOnce = map[string]bool{*truncate: true}
	}
	if *hold != "" {
		ch := make(chan struct{})
		faults.Hold = map[string]chan struct{}{*hold: ch}
		ts.Defer(func() { close(ch) })
	}
	faults.GzipEncoding = *gzipEncoding
	ts.Check(os.WriteFile(ts.MkAbs("keyring.asc"), mirrorKey.PublicArmor, 0o644))
	srv := nodemirror.Serve(dir, faults)
	ts.Defer(srv.Close)
	ts.Setenv("MIRROR", srv.URL)
	ts.Setenv("MIRROR_HOST", strings.TrimPrefix(srv.URL, "http://"))
}

// sigexits CODE SIGNAL AFTER PROG ARGS...: starts PROG (found on the script's PATH), sends it
// SIGNAL (INT or TERM) after AFTER (a duration), and requires it to exit with CODE within a
// second of the signal. Its stdout and stderr become the script's.
func cmdSigExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 {
		ts.Fatalf("usage: sigexits CODE SIGNAL AFTER PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	sig := map[string]os.Signal{"INT": os.Interrupt, "TERM": syscall.SIGTERM}[args[1]]
	if sig == nil {
		ts.Fatalf("sigexits: signal %q: use INT or TERM", args[1])
	}
	after, err := time.ParseDuration(args[2])
	ts.Check(err)
	prog := args[3]
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if p := filepath.Join(dir, prog); fileExists(p) {
			prog = p
			break
		}
	}
	cmd := exec.Command(prog, args[4:]...)
	cmd.Dir = ts.Getenv("PWD")
	cmd.Env = scriptEnviron(ts)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ts.Check(cmd.Start())
	time.Sleep(after)
	sent := time.Now()
	ts.Check(cmd.Process.Signal(sig))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
		ts.Fatalf("%s did not exit within 5s of SIG%s", args[3], args[1])
	}
	took := time.Since(sent)
	ts.Logf("exited %v after the signal", took)
	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprint(ts.Stderr(), stderr.String())
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d after SIG%s, want %d\n%s", args[3], got, args[1], want, stderr.String())
	}
	if took > time.Second {
		ts.Fatalf("%s took %v to exit after SIG%s, want under a second", args[3], took, args[1])
	}
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// scriptEnviron is this process's environment with the script's own variables on top (the
// ones nizepack reads).
func scriptEnviron(ts *testscript.TestScript) []string {
	env := os.Environ()
	for _, k := range []string{"PATH", "HOME", "WORK", "TMPDIR", "NIZEPACK_CACHE_DIR", "NIZEPACK_NODE_MIRROR", "MIRROR", "CI", "GITHUB_ACTIONS"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return env
}

// sha256file FILE [OUT]: sets $SHA256 to FILE's SHA-256 (lowercase hex), to compare with a
// pin, and writes it with a newline to OUT when given.
func cmdSHA256File(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: sha256file FILE [OUT]")
	}
	sum, _, err := filehash.SHA256(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Setenv("SHA256", sum)
	if len(args) == 2 {
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(sum+"\n"), 0o644))
	}
}

// replace REGEXP TEXT FILE: replaces every match of REGEXP (multi-line mode) in FILE with TEXT
// and fails when nothing matches, so an edited fixture cannot silently stay as it was.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace REGEXP TEXT FILE")
	}
	re, err := regexp.Compile("(?m)" + args[0])
	ts.Check(err)
	path := ts.MkAbs(args[2])
	data, err := os.ReadFile(path)
	ts.Check(err)
	if !re.Match(data) {
		ts.Fatalf("replace: %q matches nothing in %s", args[0], args[2])
	}
	ts.Check(os.WriteFile(path, re.ReplaceAll(data, []byte(args[1])), 0o644))
}

// cmdBunMirror serves Bun's release layout on loopback: bunmirror [-binary PLATFORM=PATH]...
// [-signed] VERSION builds <mirror>/bun-v<VERSION>/bun-<platform>.zip for every platform Bun
// publishes (the given binaries, else fakebin executables) and SHASUMS256.txt, with
// SHASUMS256.txt.asc signed by the script key ($WORK/keyring.asc) when -signed; sets $BUNMIRROR.
func cmdBunMirror(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! bunmirror")
	}
	fs := flag.NewFlagSet("bunmirror", flag.ContinueOnError)
	binaries := map[string][]byte{}
	fs.Func("binary", "", func(v string) error {
		dist, path, ok := strings.Cut(v, "=")
		if !ok {
			return errors.New("want PLATFORM=PATH")
		}
		data, err := os.ReadFile(ts.MkAbs(path))
		binaries[dist] = data
		return err
	})
	signed := fs.Bool("signed", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		ts.Fatalf("usage: bunmirror [-binary PLATFORM=PATH]... [-signed] VERSION")
	}
	mirrorKeyOnce.Do(func() { mirrorKey, mirrorKeyErr = nodemirror.NewKey("Script Releaser", 0) })
	ts.Check(mirrorKeyErr)
	var key *nodemirror.Key
	if *signed {
		key = mirrorKey
	}
	dir := ts.MkAbs("bunmirror")
	ts.Check(os.RemoveAll(dir))
	ts.Check(nodemirror.BuildBun(dir, fs.Arg(0), key, binaries, nil))
	ts.Check(os.WriteFile(ts.MkAbs("keyring.asc"), mirrorKey.PublicArmor, 0o644))
	srv := nodemirror.Serve(dir, &nodemirror.Faults{})
	ts.Defer(srv.Close)
	ts.Setenv("BUNMIRROR", srv.URL)
}
