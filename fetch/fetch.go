// Package fetch downloads the pinned official Node.js release for a target, verifies it against
// the releasers' OpenPGP signature and SHA-256 sums, and installs only the node binary under
// the name Tauri expects for a sidecar. It never prints; progress goes to a report.Reporter.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/nize/nizepack/internal/atomicfile"
	"github.com/nize/nizepack/internal/binfmt"
	"github.com/nize/nizepack/internal/filehash"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/target"
)

// Kind is an artifact form of a Node release.
type Kind string

const (
	KindTarXz Kind = "xz"  // node-v<V>-<dist>.tar.xz (macOS, Linux)
	KindTarGz Kind = "gz"  // node-v<V>-<dist>.tar.gz (macOS, Linux)
	KindZip   Kind = "zip" // node-v<V>-win-<arch>.zip (Windows)
	KindExe   Kind = "exe" // win-<arch>/node.exe (Windows)
)

// DefaultTarKind is the tarball form used when none is asked for. Measured on a loopback
// mirror with the real linux-x64 release (see bench/fetch-node.sh and the README): gz decodes
// several times faster than xz in Go, which outweighs xz's smaller download on any link faster
// than a few MB/s.
const DefaultTarKind = KindTarGz

// BinaryBase is the sidecar name the node binary is installed under, before Tauri's
// -<triple>[.exe] suffix.
const BinaryBase = "node"

// BinaryName is the file name the node binary for t is installed as: node-<triple>[.exe].
func BinaryName(t target.Target) string { return t.SidecarPath(BinaryBase) }

// DefaultMirror is the official Node.js distribution.
const DefaultMirror = "https://nodejs.org/dist"

// Options configure a fetch. The zero value of every optional field is a safe default.
type Options struct {
	Version  string // exact, without "v" (required)
	Mirror   string // used exactly as given; default DefaultMirror
	Token    string // bearer token for a private mirror
	OutDir   string // where node-<triple>[.exe] is written (required)
	CacheDir string // required; shared safely between processes
	Offline  bool   // use only the cache
	// Keyring replaces the embedded Node release keys when non-nil.
	Keyring openpgp.EntityList
	// InsecureSkipSignature trusts SHASUMS256.txt without a signature (warned).
	InsecureSkipSignature bool
	// TarKind picks .tar.xz or .tar.gz for macOS/Linux; WinKind .zip or the bare .exe.
	TarKind, WinKind Kind
	// Pin returns an extra SHA-256 pin for an artifact file, if versions.env has one.
	Pin func(file string) (string, bool)

	HTTPClient   *http.Client
	Retries      int           // default 4
	Backoff      time.Duration // default 500ms
	StallTimeout time.Duration // default 30s
	Report       report.Reporter
}

// Result is one installed binary.
type Result struct {
	Platform  string `json:"platform"`
	Triple    string `json:"triple"`
	Path      string `json:"path"`
	Artifact  string `json:"artifact,omitempty"` // archive file name, relative to the version dir
	SHA256    string `json:"sha256"`             // of the installed binary
	Size      int64  `json:"size"`
	FromCache bool   `json:"from_cache"`
	UpToDate  bool   `json:"up_to_date"` // the file was already there with these bytes
}

// Fetcher installs Node binaries; it shares the verified sums between targets.
type Fetcher struct {
	opts    Options
	client  *client
	rep     report.Reporter
	keyring openpgp.EntityList

	sumsOnce sync.Once
	sums     Sums
	sumsErr  error
}

// New validates options and prepares a Fetcher.
func New(opts Options) (*Fetcher, error) {
	if opts.CacheDir == "" {
		return nil, errors.New("CacheDir is required")
	}
	if opts.Mirror == "" {
		opts.Mirror = DefaultMirror
	}
	mirror, user, err := SplitMirror(opts.Mirror)
	if err != nil {
		return nil, err
	}
	opts.Mirror = mirror
	if opts.TarKind == "" {
		opts.TarKind = DefaultTarKind
	}
	if opts.WinKind == "" {
		opts.WinKind = KindZip
	}
	if opts.Retries == 0 {
		opts.Retries = 4
	}
	if opts.Backoff == 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	if opts.StallTimeout == 0 {
		opts.StallTimeout = 30 * time.Second
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport} // proxies from the environment
	}
	hc = &http.Client{Transport: progressTransport{base: transportOf(hc)}, CheckRedirect: hc.CheckRedirect, Jar: hc.Jar}
	rep := report.Or(opts.Report)
	keyring := opts.Keyring
	if keyring == nil && !opts.InsecureSkipSignature {
		if keyring, err = ReleaseKeyring(); err != nil {
			return nil, err
		}
	}
	return &Fetcher{
		opts:    opts,
		rep:     rep,
		keyring: keyring,
		client:  &client{http: hc, token: opts.Token, user: user, retries: opts.Retries, backoff: opts.Backoff, stall: opts.StallTimeout, rep: rep},
	}, nil
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// Artifact returns the file (relative to the version dir) and the binary's entry inside it.
func Artifact(version string, t target.Target, tarKind, winKind Kind) (file, entry string, kind Kind) {
	top := "node-v" + version + "-" + t.NodeDist
	if t.Windows() {
		if winKind == KindExe {
			return t.NodeDist + "/node.exe", "", KindExe
		}
		return top + ".zip", top + "/node.exe", KindZip
	}
	ext := ".tar.gz"
	if tarKind == KindTarXz {
		ext = ".tar.xz"
	}
	return top + ext, top + "/bin/node", tarKind
}

// FetchAll installs the binary of each target concurrently. It returns every result that
// succeeded and one error joining every failure.
func (f *Fetcher) FetchAll(ctx context.Context, targets []target.Target) ([]Result, error) {
	results := make([][]Result, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.Fetch(ctx, t)
		}()
	}
	wg.Wait()
	var out []Result
	for _, r := range results {
		out = append(out, r...)
	}
	return out, errors.Join(errs...)
}

// Fetch installs the binary for one target; a universal target yields its two slices and the
// fat file made of them.
func (f *Fetcher) Fetch(ctx context.Context, t target.Target) ([]Result, error) {
	if f.opts.Version == "" {
		return nil, errors.New("no Node version given")
	}
	if t.Universal() {
		return f.fetchUniversal(ctx, t)
	}
	r, err := f.fetchOne(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Name, err)
	}
	return []Result{r}, nil
}

func (f *Fetcher) fetchOne(ctx context.Context, t target.Target) (Result, error) {
	sums, err := f.loadSums(ctx)
	if err != nil {
		return Result{}, err
	}
	file, entry, kind := Artifact(f.opts.Version, t, f.opts.TarKind, f.opts.WinKind)
	want, ok := sums[file]
	if !ok {
		return Result{}, fmt.Errorf("SHASUMS256.txt of Node v%s on %s does not list %s: the release is not (yet) published there for %s", f.opts.Version, Redact(f.opts.Mirror), file, t.NodeDist)
	}
	if f.opts.Pin != nil {
		if pin, ok := f.opts.Pin(file); ok && pin != want {
			return Result{}, fmt.Errorf("%s: the signed SHASUMS256.txt says sha256 %s but versions.env pins %s; update the pin only if the release really changed", file, want, pin)
		}
	}
	if f.opts.OutDir == "" {
		return Result{}, errors.New("no output directory given")
	}
	c := &cache{root: filepath.Join(f.opts.CacheDir, "node")}
	out := filepath.Join(f.opts.OutDir, BinaryName(t))
	// Fast path: the installed file already holds the binary the cache recorded for this
	// archive, so neither the cache entry nor the archive needs reading.
	if rec, ok := c.recordedSum(want); ok && isInstalled(out, rec) {
		fi, _ := os.Stat(out)
		return Result{Platform: t.Name, Triple: t.Triple, Path: out, Artifact: file, SHA256: rec, Size: fi.Size(), FromCache: true, UpToDate: true}, nil
	}
	fill := cacheFill{
		offline: f.opts.Offline,
		label:   file,
		download: func(ctx context.Context, partial *hashedFile) error {
			u := f.opts.Mirror + "/v" + f.opts.Version + "/" + file
			f.rep.Infof("downloading %s", Redact(u))
			err := f.client.download(ctx, u, partial, file)
			var nf *NotFoundError
			if errors.As(err, &nf) {
				return fmt.Errorf("Node v%s is not published on %s for %s (%s answered 404)", f.opts.Version, Redact(f.opts.Mirror), t.NodeDist, nf.URL)
			}
			return err
		},
		extract: func(ctx context.Context, archive string, w io.Writer) error {
			return extractEntry(ctx, archive, kind, entry, w)
		},
		check: func(path string) error {
			info, err := binfmt.IdentifyFile(path)
			if err != nil {
				return fmt.Errorf("the node binary in %s: %w", file, err)
			}
			if err := binfmt.Check(info, t); err != nil {
				return fmt.Errorf("the node binary in %s %w", file, err)
			}
			return nil
		},
	}
	bin, err := c.binary(ctx, want, fill)
	if err != nil {
		return Result{}, err
	}
	upToDate, err := installCopy(bin.path, bin.sum, out)
	if errors.Is(err, errCorruptCache) {
		// The cached binary changed on disk since it was stored: extract it again.
		f.rep.Warnf("%s: cached node binary %s is corrupt; extracting it again", t.Name, bin.path)
		c.evict(want)
		if bin, err = c.binary(ctx, want, fill); err != nil {
			return Result{}, err
		}
		upToDate, err = installCopy(bin.path, bin.sum, out)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Platform: t.Name, Triple: t.Triple, Path: out, Artifact: file, SHA256: bin.sum, Size: bin.size, FromCache: bin.fromCache, UpToDate: upToDate}, nil
}

var errCorruptCache = errors.New("cached file does not match its recorded sha256")

// installCopy writes src to dst atomically with mode 0755 unless dst already has sum. The
// copy is hashed as it goes; a mismatch with sum aborts it before dst is touched.
func installCopy(src, sum, dst string) (upToDate bool, err error) {
	if isInstalled(dst, sum) {
		return true, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, fmt.Errorf("creating the output directory: %w", err)
	}
	in, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer in.Close()
	err = atomicfile.Write(dst, 0o755, func(w io.Writer) error {
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), in); err != nil {
			return err
		}
		if hex.EncodeToString(h.Sum(nil)) != sum {
			return errCorruptCache
		}
		return nil
	})
	if errors.Is(err, errCorruptCache) {
		return false, err
	}
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", dst, err)
	}
	return false, nil
}

func (f *Fetcher) fetchUniversal(ctx context.Context, t target.Target) ([]Result, error) {
	slices, err := f.FetchAll(ctx, t.SliceTargets())
	if err != nil {
		return slices, err
	}
	out := filepath.Join(f.opts.OutDir, BinaryName(t))
	var paths []string
	for _, s := range slices {
		paths = append(paths, s.Path)
	}
	wrote, err := atomicfile.WriteIfChanged(out, 0o755, func(w io.Writer) error {
		return binfmt.WriteFatFiles(w, paths...)
	})
	if err != nil {
		return slices, fmt.Errorf("%s: writing %s: %w", t.Name, out, err)
	}
	sum, _, err := filehash.SHA256(out)
	if err != nil {
		return slices, err
	}
	fi, _ := os.Stat(out)
	fromCache := true
	for _, s := range slices {
		fromCache = fromCache && s.FromCache
	}
	return append(slices, Result{Platform: t.Name, Triple: t.Triple, Path: out, SHA256: sum, Size: fi.Size(), FromCache: fromCache, UpToDate: !wrote}), nil
}

// VerifiedSums returns the SHASUMS256.txt entries of the version that the trusted keys vouch
// for (or, with InsecureSkipSignature, the unsigned ones), fetched once per Fetcher.
func (f *Fetcher) VerifiedSums(ctx context.Context) (Sums, error) {
	if f.opts.Version == "" {
		return nil, errors.New("no Node version given")
	}
	return f.loadSums(ctx)
}

// Get fetches <mirror>/<rel> (e.g. "index.json") with the Fetcher's credentials, retries and
// stall timeout. A 404 is a *NotFoundError.
func (f *Fetcher) Get(ctx context.Context, rel string) ([]byte, error) {
	return f.client.getSmall(ctx, f.opts.Mirror+"/"+strings.TrimLeft(rel, "/"))
}

func (f *Fetcher) loadSums(ctx context.Context) (Sums, error) {
	f.sumsOnce.Do(func() {
		text, err := f.signedSums(ctx)
		if err != nil {
			f.sumsErr = err
			return
		}
		f.sums, err = parseSums(text)
		if err != nil {
			f.sumsErr = fmt.Errorf("reading SHASUMS256.txt of Node v%s: %w", f.opts.Version, err)
		}
	})
	return f.sums, f.sumsErr
}

// isInstalled reports whether dst is an executable regular file with the given sum.
func isInstalled(dst, sum string) bool {
	fi, err := os.Lstat(dst)
	if err != nil || !fi.Mode().IsRegular() || (fi.Mode().Perm()&0o111 == 0 && !isWindowsHost()) {
		return false
	}
	got, _, err := filehash.SHA256(dst)
	return err == nil && got == sum
}
