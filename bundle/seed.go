package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nize/nizepack/internal/pgserver"
)

const (
	// SeedFile is the seed's name in the output dir: a gzipped tar of the data dir a first
	// start of the bundle creates, whose first entry is SeedMetaFile.
	SeedFile = "pglite-seed.tar.gz"
	// SeedMetaFile is the first entry of the seed: JSON saying which database the seed holds
	// and which PGlite made it. The server reads it before unpacking anything.
	SeedMetaFile = "pglite-seed.json"
	// PGlitePackage is the npm package whose version a seed must match.
	PGlitePackage = "@electric-sql/pglite"

	// seedFormat changes whenever a seed made from the same bundle would differ. 2: the
	// databases a first start writes after it opens (deferredDir) come last.
	seedFormat = 2
	// DefaultSeedDatabase is the database a seed holds when Seed.Database is empty (the
	// server's own default --database).
	DefaultSeedDatabase = "postgres"
)

// Seed asks Build for a seed: the data dir a first start of the new bundle would create (initdb
// done, the database created, the vector extension created in it), made by running the bundle
// once with Node and stored beside it as SeedFile. A server started on an empty data dir with
// --database=Database unpacks it instead of running initdb. The zero value makes no seed.
type Seed struct {
	// Node is the Node binary that runs the new bundle to make the seed; "" means no seed.
	Node string
	// Database is the database the seed holds (--database); "" means DefaultSeedDatabase.
	Database string
	// StartTimeout bounds the wait for the server's port line (default 5 minutes: initdb takes
	// 5–25 s on a busy machine).
	StartTimeout time.Duration
}

// SeedInfo describes the seed in an output dir.
type SeedInfo struct {
	File     string `json:"file"`
	Database string `json:"database"`
	// PGlite is the version of @electric-sql/pglite that made it.
	PGlite string `json:"pglite"`
	// Key digests what the seed was made from (the bundle and assets by SHA-256, the PGlite
	// package versions, the database): an equal key means the seed can be reused.
	Key string `json:"key"`
	// Reused is true when this run kept the seed of the earlier output instead of running Node.
	Reused bool `json:"reused,omitempty"`
	// Made is how long making it took (running the server, archiving), when this run made it.
	Made time.Duration `json:"made_ns,omitempty"`
}

// seedMeta is SeedMetaFile, the seed's first entry.
type seedMeta struct {
	Tool     string `json:"tool"`
	Format   int    `json:"format"`
	Database string `json:"database"`
	// Served is the database the server served when it made the seed (its port line's
	// "database"): PGlite 0.3.x serves template1 whatever --database says. "" when unknown.
	Served   string            `json:"served,omitempty"`
	PGlite   string            `json:"pglite"`
	Packages map[string]string `json:"packages"`
}

// SeedError is a seed that could not be made: the Node binary would not run the bundle, the
// server failed or did not stop cleanly.
type SeedError struct {
	Node    string
	Problem string
	// Stderr is the tail of the server's stderr, when it ran.
	Stderr string
}

func (e *SeedError) Error() string {
	msg := fmt.Sprintf("making the PGlite seed with %s: %s", e.Node, e.Problem)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += "\nserver stderr:\n" + s
	}
	return msg
}

// seedKey digests what decides a seed's contents: the bundle and its assets (by SHA-256), the
// PGlite package versions and the database. Sourcemaps and the manifest do not count.
func seedKey(files []File, packages map[string]string, database string) string {
	h := sha256.New()
	fmt.Fprintf(h, "seed-format=%d\ndatabase=%s\n", seedFormat, database)
	names := make([]string, 0, len(packages))
	for n := range packages {
		if strings.HasPrefix(n, "@electric-sql/pglite") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "package %s@%s\n", n, packages[n])
	}
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		if f.Name == SeedFile || strings.HasSuffix(f.Name, ".map") || f.Name == ManifestFile {
			continue
		}
		fmt.Fprintf(h, "file %s %s\n", f.Name, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// reuseSeed links (or copies) the seed of the old output into dir when its key matches and the
// file is intact.
func reuseSeed(oldOut string, old *manifest, key, dir string) (*File, bool) {
	if old == nil || old.Seed == nil || old.Seed.Key != key {
		return nil, false
	}
	var rec *File
	for i := range old.Files {
		if old.Files[i].Name == SeedFile {
			rec = &old.Files[i]
		}
	}
	if rec == nil {
		return nil, false
	}
	if _, problems := checkFiles(oldOut, []File{*rec}); len(problems) > 0 {
		return nil, false
	}
	if err := carry(filepath.Join(oldOut, SeedFile), filepath.Join(dir, SeedFile)); err != nil {
		return nil, false
	}
	f := *rec
	f.Source = ""
	return &f, true
}

// makeSeed runs the bundle in dir with seed.Node on a fresh data dir until it announces its
// port and answers a query (so it has finished starting and set up its own shutdown), stops it
// (SIGTERM; on Windows, EOF on stdin with --exit-on-stdin-close), waits for its own clean
// shutdown and archives the data dir into dir/SeedFile.
func makeSeed(ctx context.Context, seed Seed, database, dir string, packages map[string]string) (*File, error) {
	work, err := os.MkdirTemp("", "nizepack-seed-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	data := filepath.Join(work, "data")
	node := seed.Node
	if !filepath.IsAbs(node) && strings.ContainsAny(node, `/\`) {
		// Relative to our working dir, not to the server's (a temp dir).
		if node, err = filepath.Abs(node); err != nil {
			return nil, err
		}
	}
	timeout := seed.StartTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	srv, err := pgserver.Start(ctx, pgserver.Options{
		Runtime: node, Args: pgserver.ServerArgs(filepath.Join(dir, ServerFile), data, "--database="+database),
		Dir: work, StartTimeout: timeout,
	})
	defer srv.Kill()
	fail := func(problem string) (*File, error) {
		e := &SeedError{Node: seed.Node, Problem: problem}
		if srv != nil {
			e.Stderr = srv.Stderr()
		}
		return nil, e
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if srv == nil {
			return fail(fmt.Sprintf("cannot run it: %v", err))
		}
		return fail(err.Error())
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = srv.Ready(rctx, database)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return fail(fmt.Sprintf("the server announced port %d but did not answer a query: %v", srv.Line.Port, err))
	}
	// A clean stop: the server runs CHECKPOINT and closes PGlite, so the dir needs no recovery.
	if _, err := srv.Stop(time.Minute); err != nil {
		return fail(err.Error())
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		return fail("the server ran but left no PGlite data dir (no PG_VERSION): is the entry a PGlite server?")
	}
	meta := seedMeta{Tool: "nizepack bundle-pglite", Format: seedFormat, Database: database, Served: srv.Line.Database, PGlite: packages[PGlitePackage], Packages: pglitePackages(packages)}
	return writeSeed(ctx, data, filepath.Join(dir, SeedFile), meta)
}

func pglitePackages(packages map[string]string) map[string]string {
	out := map[string]string{}
	for n, v := range packages {
		if strings.HasPrefix(n, "@electric-sql/") {
			out[n] = v
		}
	}
	return out
}

// seedSkip lists what a seed leaves out of the data dir: the server's lock and PGlite's
// postmaster.pid, which belong to a running server.
func seedSkip(rel string) bool {
	return rel == "postmaster.pid" || strings.HasPrefix(rel, ".pglite-server.lock")
}

// deferredDir reports whether rel (slash-separated) is the dir of a database initdb makes
// (template1, template0, postgres: base/<oid> with an oid below Postgres' FirstNormalObjectId,
// 16384). A seeded first start opens the seed's own database before it writes these, so they
// go last in the archive.
func deferredDir(rel string) bool {
	oid, ok := strings.CutPrefix(rel, "base/")
	if !ok || oid == "" || strings.Trim(oid, "0123456789") != "" {
		return false
	}
	n, err := strconv.Atoi(oid)
	return err == nil && n < 16384
}

// writeSeed archives the data dir as a gzipped USTAR tar (regular files and dirs only, sorted,
// zero times and owners): first SeedMetaFile, then the dir, with the deferred database dirs
// (deferredDir) last. The server reads it with Node's zlib and a small tar reader, so it needs
// no tar binary (Windows).
func writeSeed(ctx context.Context, data, dst string, meta seedMeta) (*File, error) {
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", dst, err)
	}
	h := sha256.New()
	counter := &countWriter{w: io.MultiWriter(f, h)}
	gz, err := gzip.NewWriterLevel(counter, gzip.BestCompression)
	if err != nil {
		f.Close()
		return nil, err
	}
	tw := tar.NewWriter(gz)
	werr := func() error {
		mj, err := json.MarshalIndent(meta, "", "  ")
		if err != nil {
			return err
		}
		mj = append(mj, '\n')
		if err := tw.WriteHeader(&tar.Header{Name: SeedMetaFile, Mode: 0o644, Size: int64(len(mj)), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(mj); err != nil {
			return err
		}
		// The tree, then the deferred dirs it skipped.
		var deferred []string
		walk := func(root string, deferring bool) error {
			return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				rel, err := filepath.Rel(data, p)
				if err != nil || rel == "." {
					return err
				}
				rel = filepath.ToSlash(rel)
				if seedSkip(rel) {
					return nil
				}
				if deferring && d.IsDir() && deferredDir(rel) {
					deferred = append(deferred, p)
					return fs.SkipDir
				}
				return archiveEntry(tw, p, rel, d)
			})
		}
		err = walk(data, true)
		for _, root := range deferred {
			if err == nil {
				err = walk(root, false)
			}
		}
		return err
	}()
	if werr == nil {
		werr = tw.Close()
	}
	if werr == nil {
		werr = gz.Close()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(dst)
		return nil, fmt.Errorf("archiving the seed into %s: %w", dst, werr)
	}
	return &File{Name: SeedFile, Size: counter.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// readSeedMeta reads the first entry of a seed archive.
func readSeedMeta(path string) (*seedMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		return nil, err
	}
	if hdr.Name != SeedMetaFile {
		return nil, fmt.Errorf("its first entry is %s, not %s", hdr.Name, SeedMetaFile)
	}
	var m seedMeta
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", SeedMetaFile, err)
	}
	return &m, nil
}

// ReadSeed describes the seed of the bundle dir dir, as its manifest lists it; nil when the
// bundle has none.
func ReadSeed(dir string) *SeedInfo {
	m := readManifest(dir)
	if m == nil || m.Seed == nil {
		return nil
	}
	s := *m.Seed
	return &s
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// archiveEntry adds the file or dir at p to the seed as rel.
func archiveEntry(tw *tar.Writer, p, rel string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: rel, Mode: int64(info.Mode().Perm()), Format: tar.FormatUSTAR, ModTime: time.Unix(0, 0)}
	switch {
	case d.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
		return tw.WriteHeader(hdr)
	case info.Mode().IsRegular():
		hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		n, err := io.Copy(tw, in)
		if err == nil && n != info.Size() {
			err = fmt.Errorf("%s changed size while it was archived", p)
		}
		return err
	default:
		return fmt.Errorf("%s in the PGlite data dir is neither a file nor a directory", p)
	}
}
