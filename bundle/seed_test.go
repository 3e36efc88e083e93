package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/nize/nizepack/internal/fakepg"
)

// The test binary doubles as a fake node: with BUNDLE_FAKE_NODE set it acts like the server
// (`node pglite-server.mjs --db=DIR ...`): it writes a small data dir, announces a port, and on
// SIGTERM (or stdin EOF) exits 0. Each run appends a line to $BUNDLE_FAKE_NODE_LOG;
// BUNDLE_FAKE_NODE=fail makes it exit 1 with a message instead.
func TestMain(m *testing.M) {
	if mode := os.Getenv("BUNDLE_FAKE_NODE"); mode != "" {
		os.Exit(fakeNode(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeNode(mode string, args []string) int {
	if f, err := os.OpenFile(os.Getenv("BUNDLE_FAKE_NODE_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintln(f, strings.Join(args, " "))
		f.Close()
	}
	if mode == "fail" {
		fmt.Fprintln(os.Stderr, "pglite-server: cannot open PGlite data dir: Aborted()")
		return 1
	}
	var db string
	for _, a := range args {
		if strings.HasPrefix(a, "--db=") {
			db = strings.TrimPrefix(a, "--db=")
		}
	}
	for name, body := range map[string]string{
		"PG_VERSION":          "18\n",
		"base/1/1255":         strings.Repeat("page", 4096),
		"global/pg_control":   "control",
		"postmaster.pid":      "42\n",
		".pglite-server.lock": "42\n",
	} {
		p := filepath.Join(db, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o600)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	port, err := fakepg.Listen() // answers the driver's readiness query
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("{\"port\": %d}\n", port)
	eof := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
	select {
	case <-sig:
	case <-eof:
	}
	os.Remove(filepath.Join(db, ".pglite-server.lock"))
	return 0
}

// fakeNodeEnv makes Build's node runs use the fake node and returns its run log.
func fakeNodeEnv(t *testing.T, mode string) (node, log string) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake node stops on SIGTERM")
	}
	log = filepath.Join(t.TempDir(), "runs")
	t.Setenv("BUNDLE_FAKE_NODE", mode)
	t.Setenv("BUNDLE_FAKE_NODE_LOG", log)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe, log
}

func nodeRuns(t *testing.T, log string) int {
	data, err := os.ReadFile(log)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

func seedEntries(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Format != tar.FormatUSTAR && h.Format != tar.FormatUnknown {
			t.Errorf("%s is %v, want USTAR (the server's tar reader reads nothing else)", h.Name, h.Format)
		}
		names = append(names, h.Name)
	}
}

// seedingApp is fakeApp whose entry declares that it reads seeds, as the canonical server does.
func seedingApp(t *testing.T) string {
	pkg := fakeApp(t)
	entry := filepath.Join(pkg, "server.mjs")
	src, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, append([]byte(fmt.Sprintf("// nizepack-pglite-server: seed-format=%d\n", seedFormat)), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	return pkg
}

// Only an entry that declares the seed format gets a seed: another entry never reads it, so
// making one would cost a server run and the installer's size for nothing.
func TestSeedOnlyForAnEntryThatReadsIt(t *testing.T) {
	if !readsSeeds(canonicalServer) {
		t.Fatal("the canonical server does not declare the seed format the bundler makes")
	}
	if readsSeeds([]byte("// nizepack-pglite-server: seed-format=1\n")) || readsSeeds([]byte("new PGlite()")) {
		t.Error("an entry of another seed format, or none, reads seeds")
	}
	node, log := fakeNodeEnv(t, "ok")
	pkg := fakeApp(t)
	opts := bundleOpts(pkg, filepath.Join(t.TempDir(), "pglite"))
	opts.Seed = Seed{Node: node, Database: "nize"}
	res, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Seed != nil || res.ReadsSeeds || nodeRuns(t, log) != 0 {
		t.Errorf("an entry that reads no seed: seed %+v, reads %v, %d node runs", res.Seed, res.ReadsSeeds, nodeRuns(t, log))
	}
	if _, err := os.Stat(filepath.Join(opts.Out, SeedFile)); !os.IsNotExist(err) {
		t.Errorf("%s written: %v", SeedFile, err)
	}
	res, err = Build(context.Background(), opts)
	if err != nil || !res.UpToDate {
		t.Errorf("second run: %+v, %v; want up to date", res, err)
	}
}

func TestSeedMadeListedAndKept(t *testing.T) {
	node, log := fakeNodeEnv(t, "ok")
	pkg := seedingApp(t)
	out := filepath.Join(t.TempDir(), "pglite")
	opts := bundleOpts(pkg, out)
	opts.Seed = Seed{Node: node, Database: "nize"}
	ctx := context.Background()

	res, err := Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Seed == nil || res.Seed.Database != "nize" || res.Seed.Reused || nodeRuns(t, log) != 1 {
		t.Fatalf("first run: seed %+v, %d node runs; want one made seed of nize", res.Seed, nodeRuns(t, log))
	}
	m := readManifestT(t, out)
	if m.Seed == nil || m.Seed.Key == "" || m.Seed.Database != "nize" || m.Seed.Made != 0 {
		t.Errorf("manifest seed = %+v", m.Seed)
	}
	var listed *File
	for i := range m.Files {
		if m.Files[i].Name == SeedFile {
			listed = &m.Files[i]
		}
	}
	if listed == nil || listed.Size == 0 || len(listed.SHA256) != 64 {
		t.Fatalf("the manifest lists no seed with size and hash: %+v", m.Files)
	}
	if _, problems := CheckOutput(out); len(problems) > 0 {
		t.Errorf("CheckOutput: %v", problems)
	}
	names := seedEntries(t, filepath.Join(out, SeedFile))
	if len(names) == 0 || names[0] != SeedMetaFile {
		t.Fatalf("seed entries %v: the first must be %s", names, SeedMetaFile)
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"PG_VERSION", "base/", "base/1/1255", "global/pg_control"} {
		if !strings.Contains(" "+got+" ", " "+want+" ") {
			t.Errorf("seed lacks %s: %v", want, names)
		}
	}
	if strings.Contains(got, "postmaster.pid") || strings.Contains(got, ".pglite-server.lock") {
		t.Errorf("seed holds a running server's files: %v", names)
	}
	meta, err := readSeedMeta(filepath.Join(out, SeedFile))
	if err != nil || meta.Database != "nize" || meta.Format != seedFormat {
		t.Errorf("seed meta = %+v, %v", meta, err)
	}
	if ReadSeed(out) == nil || ReadSeed(out).Database != "nize" {
		t.Errorf("ReadSeed = %+v", ReadSeed(out))
	}

	// Nothing changed: up to date, node not run.
	opts.Seed.Node = filepath.Join(t.TempDir(), "no-such-node")
	if res, err = Build(ctx, opts); err != nil || !res.UpToDate || res.Seed == nil {
		t.Fatalf("second run: %+v, %v; want up to date with the seed", res, err)
	}
	// A rebuild whose bundle comes out the same (npm touched its lock file) keeps the seed.
	writeTree(t, pkg, map[string]string{"node_modules/.package-lock.json": `{"lockfileVersion": 3}`})
	if res, err = Build(ctx, opts); err != nil || res.UpToDate || res.Seed == nil || !res.Seed.Reused {
		t.Fatalf("rebuild with the same bundle: %+v, %v; want the seed kept", res, err)
	}
	if nodeRuns(t, log) != 1 {
		t.Errorf("node ran %d times; want once", nodeRuns(t, log))
	}
	opts.Seed.Node = node

	// Another database, --force, a changed bundle, a damaged seed: made again.
	for _, step := range []struct {
		name   string
		change func()
	}{
		{"database", func() { opts.Seed.Database = "other" }},
		{"force", func() { opts.Force = true }},
		{"bundle", func() { opts.Force = false; opts.Minify = true }},
		{"damaged seed", func() { os.WriteFile(filepath.Join(out, SeedFile), []byte("torn"), 0o644) }},
	} {
		before := nodeRuns(t, log)
		step.change()
		res, err := Build(ctx, opts)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if res.UpToDate || res.Seed == nil || res.Seed.Reused || nodeRuns(t, log) != before+1 {
			t.Errorf("%s: %+v, %d node runs (was %d); want a new seed", step.name, res.Seed, nodeRuns(t, log), before)
		}
		if _, problems := CheckOutput(out); len(problems) > 0 {
			t.Errorf("%s: CheckOutput: %v", step.name, problems)
		}
	}

	// No seed asked for: the bundle is rebuilt without one.
	opts.Seed = Seed{}
	if res, err = Build(ctx, opts); err != nil || res.UpToDate || res.Seed != nil {
		t.Fatalf("without a seed: %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(out, SeedFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old seed is still there: %v", err)
	}
	if m := readManifestT(t, out); m.Seed != nil {
		t.Errorf("manifest still has a seed: %+v", m.Seed)
	}
}

func TestSeedKey(t *testing.T) {
	files := []File{{Name: "b.wasm", SHA256: "2"}, {Name: ServerFile, SHA256: "1"}, {Name: ServerFile + ".map", SHA256: "3"}}
	pk := map[string]string{"@electric-sql/pglite": "0.5.14", "left-pad": "1.0.0"}
	k := seedKey(files, pk, "nize")
	reordered := []File{files[2], files[1], files[0], {Name: SeedFile, SHA256: "9"}}
	if seedKey(reordered, pk, "nize") != k {
		t.Error("the key depends on the order of the files, the sourcemap or the seed itself")
	}
	if seedKey(files, map[string]string{"@electric-sql/pglite": "0.5.14", "left-pad": "2.0.0"}, "nize") != k {
		t.Error("the key depends on a package that is not PGlite")
	}
	for name, other := range map[string]string{
		"database":   seedKey(files, pk, "other"),
		"pglite":     seedKey(files, map[string]string{"@electric-sql/pglite": "0.5.15"}, "nize"),
		"bundle":     seedKey([]File{files[0], {Name: ServerFile, SHA256: "x"}}, pk, "nize"),
		"asset hash": seedKey([]File{{Name: "b.wasm", SHA256: "x"}, files[1]}, pk, "nize"),
	} {
		if other == k {
			t.Errorf("a different %s gives the same key", name)
		}
	}
}

func TestSeedErrors(t *testing.T) {
	node, _ := fakeNodeEnv(t, "fail")
	pkg := seedingApp(t)
	out := filepath.Join(t.TempDir(), "pglite")
	opts := bundleOpts(pkg, out)
	if _, err := Build(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, ManifestFile))

	opts.Seed = Seed{Node: node, Database: "nize"}
	_, err := Build(context.Background(), opts)
	var se *SeedError
	if !errors.As(err, &se) || se.Node != node || !strings.Contains(se.Problem, "without printing its {\"port\": N} line") || !strings.Contains(se.Stderr, "Aborted()") {
		t.Fatalf("a failing node: %v; want a SeedError with its stderr", err)
	}
	after, _ := os.ReadFile(filepath.Join(out, ManifestFile))
	if string(before) != string(after) {
		t.Error("a failed seed changed the old output")
	}

	opts.Seed = Seed{Node: node, Database: "no spaces"}
	var ie *InputError
	if _, err := Build(context.Background(), opts); !errors.As(err, &ie) || ie.Input != InputSeedDatabase {
		t.Errorf("a bad database name: %v; want an InputError", err)
	}
}

// The databases a first start writes after it listens (template1, template0, postgres) come last
// in the archive, after everything it opens; the rest keeps its sorted order.
func TestWriteSeedOrder(t *testing.T) {
	data := t.TempDir()
	for _, f := range []string{"PG_VERSION", "base/1/1259", "base/16384/1259", "base/16384/PG_VERSION", "base/4/1259", "base/5/1259", "base/99999/1", "global/1213", "pg_wal/000000010000000000000001", "postmaster.pid"} {
		p := filepath.Join(data, filepath.FromSlash(f))
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte(f), 0o600)
	}
	dst := filepath.Join(t.TempDir(), SeedFile)
	if _, err := writeSeed(context.Background(), data, dst, seedMeta{Database: "nize", PGlite: "0.5.14"}); err != nil {
		t.Fatal(err)
	}
	names := seedEntries(t, dst)
	want := []string{SeedMetaFile, "PG_VERSION", "base/", "base/16384/", "base/16384/1259", "base/16384/PG_VERSION", "base/99999/", "base/99999/1",
		"global/", "global/1213", "pg_wal/", "pg_wal/000000010000000000000001",
		"base/1/", "base/1/1259", "base/4/", "base/4/1259", "base/5/", "base/5/1259"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("entries:\n got %v\nwant %v", names, want)
	}
	for rel, want := range map[string]bool{"base/1": true, "base/5": true, "base/16383": true, "base/16384": false, "base/1/1259": false, "base": false, "global/1": false, "base/x": false} {
		if deferredDir(rel) != want {
			t.Errorf("deferredDir(%s) = %v", rel, !want)
		}
	}
}
