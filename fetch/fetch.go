// Package fetch downloads the pinned official Node.js release for a target, verifies it against
// the releasers' OpenPGP signature and SHA-256 sums, and installs only the node binary under
// the name Tauri expects for a sidecar (node-<rust triple>[.exe]).
//
// A Client holds the mirror, its credentials, the trusted keys and the cache; each
// Client.Install names the version, the output dir and the targets. Failures are typed errors
// carrying the facts (SignatureError, ChecksumError, PinMismatchError, HostileEntryError,
// NotFoundError, OfflineError). It never prints; progress goes to a report.Reporter.
//
//	client, err := fetch.New(fetch.Options{CacheDir: cacheDir}) // the official mirror and release keys
//	if err != nil { ... }
//	results, err := client.Install(ctx, fetch.Request{Version: "24.21.0", OutDir: "binaries"}, targets...)
//	// results[i].Path is binaries/node-<triple>[.exe], verified
package fetch

import (
	"context"
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

// Options configure a Client: where releases come from, whom to trust and where to cache. The
// zero value of every optional field is a safe default.
type Options struct {
	Mirror   string // used exactly as given; default DefaultMirror
	Token    string // bearer token for a private mirror
	CacheDir string // required; shared safely between processes
	Offline  bool   // use only the cache
	// Keyring replaces the embedded Node release keys when non-nil.
	Keyring openpgp.EntityList
	// InsecureSkipSignature trusts SHASUMS256.txt without a signature; warn your user.
	InsecureSkipSignature bool

	HTTPClient   *http.Client
	Retries      int           // default 4
	Backoff      time.Duration // default 500ms
	StallTimeout time.Duration // default 30s
	Report       report.Reporter
}

// Request is one release to install: which version, where, and in which archive form.
type Request struct {
	Version string // exact, without "v" (required)
	OutDir  string // where node-<triple>[.exe] is written (required)
	// TarKind picks .tar.xz or .tar.gz for macOS/Linux (default DefaultTarKind); WinKind .zip
	// (the default) or the bare .exe.
	TarKind, WinKind Kind
	// Pin returns an extra SHA-256 pin for an artifact file, e.g. from the app's versions.env.
	Pin func(file string) (string, bool)
}

// PinMismatchError is an artifact whose checksum in the signed SHASUMS256.txt differs from the
// caller's pin (Request.Pin).
type PinMismatchError struct{ File, Signed, Pinned string }

func (e *PinMismatchError) Error() string {
	return fmt.Sprintf("%s: the signed SHASUMS256.txt says sha256 %s but the pin is %s", e.File, e.Signed, e.Pinned)
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

// Client installs Node binaries from one mirror with one set of trusted keys and one cache. It
// verifies each version's SHASUMS256.txt once and shares it between targets and calls; it is
// safe for concurrent use.
type Client struct {
	opts    Options
	client  *client
	rep     report.Reporter
	keyring openpgp.EntityList

	mu   sync.Mutex
	sums map[string]*verifiedSums // by version
}

// verifiedSums are one version's trusted sums, fetched by the first caller that succeeds: a
// failure (a network error, a cancelled ctx) is not kept, so a later call tries again.
type verifiedSums struct {
	mu   sync.Mutex
	sums Sums
}

// New validates options and prepares a Client.
func New(opts Options) (*Client, error) {
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
	return &Client{
		opts:    opts,
		rep:     rep,
		keyring: keyring,
		client:  &client{http: hc, token: opts.Token, user: user, retries: opts.Retries, backoff: opts.Backoff, stall: opts.StallTimeout, rep: rep},
		sums:    map[string]*verifiedSums{},
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

// Install installs the node binary of each target concurrently, as req says; a universal target
// yields its two slices and the fat file made of them. It returns every result that succeeded
// and one error joining every failure.
func (c *Client) Install(ctx context.Context, req Request, targets ...target.Target) ([]Result, error) {
	if req.Version == "" {
		return nil, errors.New("no Node version given")
	}
	if req.OutDir == "" {
		return nil, errors.New("no output directory given")
	}
	if req.TarKind == "" {
		req.TarKind = DefaultTarKind
	}
	if req.WinKind == "" {
		req.WinKind = KindZip
	}
	return (&installer{Client: c, req: req}).all(ctx, targets)
}

// installer is one Install call.
type installer struct {
	*Client
	req Request
}

func (f *installer) all(ctx context.Context, targets []target.Target) ([]Result, error) {
	results := make([][]Result, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.one(ctx, t)
		}()
	}
	wg.Wait()
	var out []Result
	for _, r := range results {
		out = append(out, r...)
	}
	return out, errors.Join(errs...)
}

func (f *installer) one(ctx context.Context, t target.Target) ([]Result, error) {
	if t.Universal() {
		return f.fetchUniversal(ctx, t)
	}
	r, err := f.fetchOne(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Name, err)
	}
	return []Result{r}, nil
}

func (f *installer) fetchOne(ctx context.Context, t target.Target) (Result, error) {
	sums, err := f.VerifiedSums(ctx, f.req.Version)
	if err != nil {
		return Result{}, err
	}
	file, entry, kind := Artifact(f.req.Version, t, f.req.TarKind, f.req.WinKind)
	want, ok := sums[file]
	if !ok {
		return Result{}, fmt.Errorf("SHASUMS256.txt of Node v%s on %s does not list %s: the release is not (yet) published there for %s", f.req.Version, Redact(f.opts.Mirror), file, t.NodeDist)
	}
	if f.req.Pin != nil {
		if pin, ok := f.req.Pin(file); ok && pin != want {
			return Result{}, &PinMismatchError{File: file, Signed: want, Pinned: pin}
		}
	}
	c := &cache{root: filepath.Join(f.opts.CacheDir, "node")}
	out := filepath.Join(f.req.OutDir, BinaryName(t))
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
			u := f.opts.Mirror + "/v" + f.req.Version + "/" + file
			f.rep.Infof("downloading %s", Redact(u))
			err := f.client.download(ctx, u, partial, file)
			var nf *NotFoundError
			if errors.As(err, &nf) {
				return fmt.Errorf("Node v%s is not published on %s for %s (%s answered 404)", f.req.Version, Redact(f.opts.Mirror), t.NodeDist, nf.URL)
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

// installCopy writes src to dst atomically with mode 0755 unless dst already has sum. The copy
// is hashed as it goes; a mismatch with sum aborts it before dst is touched.
func installCopy(src, sum, dst string) (upToDate bool, err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, fmt.Errorf("creating the output directory: %w", err)
	}
	wrote, _, err := atomicfile.Copy(src, dst, 0o755, sum)
	switch {
	case errors.Is(err, atomicfile.ErrMismatch):
		return false, errCorruptCache
	case err != nil:
		return false, fmt.Errorf("writing %s: %w", dst, err)
	}
	return !wrote, nil
}

func (f *installer) fetchUniversal(ctx context.Context, t target.Target) ([]Result, error) {
	slices, err := f.all(ctx, t.SliceTargets())
	if err != nil {
		return slices, err
	}
	out := filepath.Join(f.req.OutDir, BinaryName(t))
	var paths []string
	for _, s := range slices {
		paths = append(paths, s.Path)
	}
	wrote, err := binfmt.WriteFatFile(out, paths...)
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

// VerifiedSums returns the SHASUMS256.txt entries of a version that the trusted keys vouch for
// (or, with InsecureSkipSignature, the unsigned ones), fetched once per Client and version;
// a failed fetch is tried again by the next call.
func (c *Client) VerifiedSums(ctx context.Context, version string) (Sums, error) {
	if version == "" {
		return nil, errors.New("no Node version given")
	}
	c.mu.Lock()
	v := c.sums[version]
	if v == nil {
		v = &verifiedSums{}
		c.sums[version] = v
	}
	c.mu.Unlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.sums != nil {
		return v.sums, nil
	}
	text, err := c.signedSums(ctx, version)
	if err != nil {
		return nil, err
	}
	sums, err := parseSums(text)
	if err != nil {
		return nil, fmt.Errorf("reading SHASUMS256.txt of Node v%s: %w", version, err)
	}
	v.sums = sums
	return sums, nil
}

// Mirror is the mirror's base URL without credentials, as it appears in messages.
func (c *Client) Mirror() string { return c.opts.Mirror }

// Get fetches <mirror>/<rel> (e.g. "index.json") with the Client's credentials, retries and
// stall timeout. A 404 is a *NotFoundError.
func (c *Client) Get(ctx context.Context, rel string) ([]byte, error) {
	return c.client.getSmall(ctx, c.opts.Mirror+"/"+strings.TrimLeft(rel, "/"))
}

// isInstalled reports whether dst is the installed binary with the given sum.
func isInstalled(dst, sum string) bool { return atomicfile.Holds(dst, 0o755, sum) }
