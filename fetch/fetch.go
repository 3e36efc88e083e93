// Package fetch downloads the pinned official Node.js release for a target, verifies it against
// the releasers' OpenPGP signature and SHA-256 sums, and installs only the node binary under
// the name Tauri expects for a sidecar (node-<rust triple>[.exe]).
//
// A Client holds the mirror, its credentials, the trusted keys and the cache; each
// Client.Install names the version, the output dir and the targets. Nothing in the cache or
// the output dir is trusted on its own: a binary is installed or kept only when its bytes match
// a hash derived in this run from an archive that matched the signed sums, or the caller's
// binary pin (Request.BinaryPin), the fast path. Failures are typed errors carrying the facts
// (TargetError around SignatureError, ChecksumError, PinMismatchError, BinaryPinMismatchError,
// HostileEntryError, NotFoundError, NotPublishedError, OfflineError, UnreachableError,
// DiskFullError, TooLargeError). It never prints; progress goes to a report.Reporter.
//
//	client, err := fetch.New(fetch.Options{CacheDir: cacheDir}) // the official mirror and release keys
//	if err != nil { ... }
//	results, err := client.Install(ctx, fetch.Request{Version: "24.21.0", OutDir: "binaries"}, targets...)
//	// results[i].Path is binaries/node-<triple>[.exe], verified
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
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"golang.org/x/mod/semver"

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
// mirror with the real linux-x64 release (see bench/fetch-node.sh and docs/fetch.md): gz decodes
// several times faster than xz in Go, which outweighs xz's smaller download on any link faster
// than a few MB/s.
const DefaultTarKind = KindTarGz

// BinaryBase is the sidecar name the node binary is installed under, before Tauri's
// -<triple>[.exe] suffix.
const BinaryBase = "node"

// BinaryName is the file name the node binary for t is installed as: node-<triple>[.exe].
func BinaryName(t target.Target) string { return t.SidecarPath(BinaryBase) }

// SidecarName is the file name the node binary for t is installed as under the sidecar name
// base ("" is BinaryBase): <base>-<triple>[.exe].
func SidecarName(base string, t target.Target) string {
	if base == "" {
		base = BinaryBase
	}
	return t.SidecarPath(base)
}

// ValidName reports whether base can name the sidecar: a plain file name (letters, digits,
// '.', '_', '-'), no folder, no ".exe" (Tauri adds it for Windows targets).
func ValidName(base string) bool {
	if base == "" || base == "." || base == ".." || strings.HasSuffix(strings.ToLower(base), ".exe") {
		return false
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// TreeSHA256 returns the SHA-256 tree hash of a file, the value of a binary tree pin
// (Request.BinaryTreePin): the SHA-256 of a header (a tag, the 4 MiB leaf size, the file size)
// and the SHA-256 of each 4 MiB chunk in order. Its chunks are read and hashed on every core at
// once, so checking a 126 MB node binary takes about half the time of one SHA-256 pass on two
// cores, and less on more; it is collision resistant whenever SHA-256 is.
func TreeSHA256(path string) (string, error) {
	sum, _, err := filehash.TreeSHA256(path)
	return sum, err
}

// DefaultMirror is the official Node.js distribution.
const DefaultMirror = "https://nodejs.org/dist"

// Options configure a Client: where releases come from, whom to trust and where to cache. The
// zero value of every optional field is a safe default.
type Options struct {
	// Runtime is what to install (Node, Bun); nil means Node.
	Runtime  *Runtime
	Mirror   string // used exactly as given; default the runtime's DefaultMirror
	Token    string // bearer token for a private mirror
	CacheDir string // required; shared safely between processes
	Offline  bool   // use only the cache
	// Keyring replaces the runtime's embedded release keys when non-nil (for a runtime with
	// none, such as Bun, it makes the signature of SHASUMS256.txt required).
	Keyring openpgp.EntityList
	// InsecureSkipSignature trusts SHASUMS256.txt without a signature; warn your user.
	InsecureSkipSignature bool

	HTTPClient   *http.Client
	Retries      int           // default 4
	Backoff      time.Duration // default 500ms
	StallTimeout time.Duration // default 30s
	// MaxDownload bounds each download (default 512 MiB; Node archives are under 100 MB). An
	// endless or oversized body is cut off there, not retried, and not kept.
	MaxDownload int64
	Report      report.Reporter
}

// Request is one release to install: which version, where, and in which archive form.
type Request struct {
	Version string // exact: 24.21.0, or v24.21.0 (the "v" is dropped); anything else is a *VersionError (required)
	OutDir  string // where node-<triple>[.exe] is written (required)
	// Name is the sidecar's base name: the binary is installed as <Name>-<triple>[.exe] (see
	// SidecarName); "" is BinaryBase ("node").
	Name string
	// TarKind picks .tar.xz or .tar.gz for macOS/Linux (default DefaultTarKind); WinKind .zip
	// (the default) or the bare .exe.
	TarKind, WinKind Kind
	// Pin returns an extra SHA-256 pin for an artifact file, e.g. from the app's versions.env.
	Pin func(file string) (string, bool)
	// BinaryPin returns the SHA-256 the installed node binary of a target must have, e.g. a
	// NODE_BIN_SHA256_<TARGET> line of the app's versions.env. An output that already holds
	// those bytes is kept without reading anything else (the fast path, like go.sum); a binary
	// extracted from the verified archive must match it.
	BinaryPin func(t target.Target) (string, bool)
	// BinaryTreePin returns the SHA-256 tree hash (see TreeSHA256) the installed node binary of
	// a target must have, e.g. a NODE_BIN_SHA256TREE_<TARGET> line. With both pins, an output
	// in place is checked by the tree hash alone, which reads and hashes the binary on every
	// core at once (a plain SHA-256 is one sequential pass), and BinaryPin's value is reported
	// as its SHA-256: the two must describe the same binary (e.g. come from the same file). A
	// binary extracted from the verified archive must match both.
	BinaryTreePin func(t target.Target) (string, bool)
	// TreeSums makes every Result carry its binary's TreeSHA256 (for writing tree pins); it
	// costs one parallel pass over each binary that no tree pin already vouches for.
	TreeSums bool
}

// PinMismatchError is an artifact whose checksum in the signed SHASUMS256.txt differs from the
// caller's pin (Request.Pin).
type PinMismatchError struct{ File, Signed, Pinned string }

func (e *PinMismatchError) Error() string {
	return fmt.Sprintf("%s: the signed SHASUMS256.txt says sha256 %s but the pin is %s", e.File, e.Signed, e.Pinned)
}

// Result is one installed binary.
type Result struct {
	Platform string `json:"platform"`
	Triple   string `json:"triple"`
	Path     string `json:"path"`
	Artifact string `json:"artifact,omitempty"` // archive file name, relative to the version dir
	SHA256   string `json:"sha256"`             // of the installed binary
	// TreeSHA256 is the binary's SHA-256 tree hash (see TreeSHA256), when a tree pin or
	// Request.TreeSums asked for it.
	TreeSHA256 string `json:"sha256_tree,omitempty"`
	Size       int64  `json:"size"`
	FromCache  bool   `json:"from_cache"`
	UpToDate   bool   `json:"up_to_date"` // the file was already there with these bytes
	// VerifiedBy says what vouched for the bytes: VerifiedByPin or VerifiedBySignature.
	VerifiedBy string `json:"verified_by,omitempty"`
}

// Client installs Node binaries from one mirror with one set of trusted keys and one cache. It
// verifies each version's SHASUMS256.txt once and shares it between targets and calls; it is
// safe for concurrent use.
type Client struct {
	opts    Options
	client  *client
	rep     report.Reporter
	keyring func() (openpgp.EntityList, error)

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
	if opts.Runtime == nil {
		opts.Runtime = Node
	}
	if opts.Mirror == "" {
		opts.Mirror = opts.Runtime.DefaultMirror
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
	if opts.MaxDownload <= 0 {
		opts.MaxDownload = maxArchive
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport} // proxies from the environment
	}
	hc = &http.Client{Transport: progressTransport{base: transportOf(hc)}, CheckRedirect: hc.CheckRedirect, Jar: hc.Jar}
	rep := report.Or(opts.Report)
	// The embedded keys are parsed on first use: a run that a binary pin vouches for never
	// checks a signature, and parsing them is most of its time apart from the hash.
	keyring := func() (openpgp.EntityList, error) { return opts.Keyring, nil }
	if opts.Keyring == nil && !opts.InsecureSkipSignature && opts.Runtime.Keys != nil {
		keyring = sync.OnceValues(opts.Runtime.Keys)
	}
	return &Client{
		opts:    opts,
		rep:     rep,
		keyring: keyring,
		client:  &client{http: hc, token: opts.Token, user: user, retries: opts.Retries, backoff: opts.Backoff, stall: opts.StallTimeout, maxSize: opts.MaxDownload, rep: rep},
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
	top := "node-v" + strings.TrimPrefix(version, "v") + "-" + t.NodeDist
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
//
// The version is normalised (v24.21.0 is 24.21.0); one that is not exact is a *VersionError.
// No targets is ErrNoTargets: an Install that would install nothing is a caller's mistake.
func (c *Client) Install(ctx context.Context, req Request, targets ...target.Target) ([]Result, error) {
	v, err := exactVersion(c.opts.Runtime, req.Version)
	if err != nil {
		return nil, err
	}
	req.Version = v
	if len(targets) == 0 {
		return nil, ErrNoTargets
	}
	if req.OutDir == "" {
		return nil, errors.New("no output directory given")
	}
	if req.Name != "" && !ValidName(req.Name) {
		return nil, fmt.Errorf("sidecar name %q is not a plain file name (letters, digits, '.', '_', '-'; no folder, no .exe)", req.Name)
	}
	if req.TarKind == "" {
		req.TarKind = DefaultTarKind
	}
	if req.WinKind == "" {
		req.WinKind = KindZip
	}
	return (&installer{Client: c, req: req}).all(ctx, targets)
}

// ErrNoTargets is an Install given no targets.
var ErrNoTargets = errors.New("no targets given: name at least one platform to install Node for")

// VersionError is a Node version that is not exact (MAJOR.MINOR.PATCH, optionally with a
// prerelease, as the mirror's directories are named): a range, a line name or a path would
// download something else than what was asked, or reach outside the cache.
type VersionError struct{ Runtime, Version string }

func (e *VersionError) Error() string {
	rt := e.Runtime
	if rt == "" {
		rt = Node.Name
	}
	if e.Version == "" {
		return "no " + rt + " version given"
	}
	return fmt.Sprintf("%s version %q is not an exact version: give MAJOR.MINOR.PATCH such as 24.21.0", rt, e.Version)
}

// exactVersion is version without its "v" prefix, or a *VersionError when it is not exact.
func exactVersion(rt *Runtime, version string) (string, error) {
	sv := "v" + strings.TrimPrefix(version, "v")
	if !semver.IsValid(sv) || semver.Canonical(sv) != sv {
		return "", &VersionError{Runtime: rt.Name, Version: version}
	}
	return sv[1:], nil
}

// installer is one Install call.
type installer struct {
	*Client
	req Request
	dir outDir
}

// outDir tracks the output dir across an Install's concurrent targets: one that this Install
// created and into which nothing was installed is removed when its last writer is done, so a
// failed run leaves no empty dir behind (and never pulls it from under a running writer).
type outDir struct {
	mu             sync.Mutex
	users          int
	created, inUse bool
}

func (f *installer) useOutDir() error {
	d := &f.dir
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := os.Stat(f.req.OutDir); err != nil {
		if err := os.MkdirAll(f.req.OutDir, 0o755); err != nil {
			return fmt.Errorf("creating the output directory: %w", err)
		}
		d.created = true
	}
	d.users++
	return nil
}

func (f *installer) doneOutDir(installed bool) {
	d := &f.dir
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users--
	d.inUse = d.inUse || installed
	if d.users == 0 && d.created && !d.inUse {
		os.Remove(f.req.OutDir) // only when empty
		d.created = false
	}
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
		return nil, &TargetError{Platform: t.Name, Triple: t.Triple, Err: err}
	}
	return []Result{r}, nil
}

// TargetError is the failure of one target of an Install; Install joins one per failed target.
type TargetError struct {
	Platform, Triple string
	Err              error
}

func (e *TargetError) Error() string { return e.Platform + ": " + e.Err.Error() }
func (e *TargetError) Unwrap() error { return e.Err }

// NotPublishedError is an artifact the mirror answers 404 for.
type NotPublishedError struct{ Runtime, Version, Mirror, Dist, URL string }

func (e *NotPublishedError) Error() string {
	return fmt.Sprintf("%s v%s is not published on %s for %s (%s answered 404)", e.Runtime, e.Version, e.Mirror, e.Dist, e.URL)
}

func (f *installer) fetchOne(ctx context.Context, t target.Target) (Result, error) {
	rt := f.opts.Runtime
	file, entry, kind := rt.Artifact(f.req.Version, t, f.req.TarKind, f.req.WinKind)
	out := filepath.Join(f.req.OutDir, f.sidecarName(t))
	res := Result{Platform: t.Name, Triple: t.Triple, Path: out, Artifact: file}
	if file == "" {
		return res, &NoBuildError{Runtime: rt.Name, Platform: t.Name}
	}
	pin := f.binaryPins(t)
	// Fast path: the output already holds the pinned bytes. Hash it once, write nothing.
	if pin.pinned() {
		if d, ok := f.holdsPinned(out, pin); ok {
			res.SHA256, res.TreeSHA256, res.Size, res.FromCache, res.UpToDate, res.VerifiedBy = d.sum, d.tree, d.size, true, true, VerifiedByPin
			return res, nil
		}
	}

	sums, err := f.VerifiedSums(ctx, f.req.Version)
	if err != nil {
		return res, err
	}
	want, ok := sums[file]
	if !ok {
		return res, fmt.Errorf("SHASUMS256.txt of %s v%s on %s does not list %s: the release is not (yet) published there for %s", rt.Name, f.req.Version, Redact(f.opts.Mirror), file, t.Name)
	}
	if f.req.Pin != nil {
		if p, ok := f.req.Pin(file); ok && p != want {
			return res, &PinMismatchError{File: file, Signed: want, Pinned: p}
		}
	}
	c := f.cache()
	fill := cacheFill{
		offline: f.opts.Offline,
		label:   file,
		download: func(ctx context.Context, partial *hashedFile) error {
			u := f.opts.Mirror + "/" + rt.Dir(f.req.Version) + "/" + file
			f.rep.Infof("downloading %s", Redact(u))
			err := f.client.download(ctx, u, partial, file)
			var nf *NotFoundError
			if errors.As(err, &nf) {
				return &NotPublishedError{Runtime: rt.Name, Version: f.req.Version, Mirror: Redact(f.opts.Mirror), Dist: t.Name, URL: nf.URL}
			}
			return err
		},
	}
	unlock, err := c.lockOutput(ctx, out)
	if err != nil {
		return res, err
	}
	defer unlock()
	// A cold run extracts while it downloads: the archive's bytes go to the cache and to the
	// decompressor at once, and the binary is committed only once the whole download matched
	// the signed sum. A tarball only (a zip is read from its end), and only when the output is
	// missing (else the run checks it without writing).
	var streamed *derived
	if kind != KindZip && !modeOK(out) {
		fill.stream = func(r io.Reader, verdict <-chan error) error {
			if err := f.useOutDir(); err != nil {
				return err
			}
			d, err := f.install(ctx, out, t, file, pin, func(w io.Writer) error {
				err := extractEntry(ctx, r, kind, entry, w)
				io.Copy(io.Discard, r) // the rest of the archive, so the download goes on
				return err
			}, func() error { return <-verdict })
			if err == nil {
				streamed = &d
			}
			f.doneOutDir(err == nil)
			return err
		}
	}
	for try := 0; ; try++ {
		fromCache, err := c.ensureArchive(ctx, want, fill)
		if err != nil {
			return res, err
		}
		fill.stream = nil
		if streamed != nil {
			res.SHA256, res.TreeSHA256, res.Size, res.FromCache, res.VerifiedBy = streamed.sum, streamed.tree, streamed.size, false, f.verifiedBy()
			return res, nil
		}
		if err := f.useOutDir(); err != nil {
			return res, err
		}
		d, err := f.derive(ctx, c.archive(want), want, kind, entry, t, file, out, pin)
		f.doneOutDir(err == nil)
		if errors.Is(err, errArchiveChanged) && try == 0 && fromCache {
			// The cached archive no longer matches its sum: drop it and fetch it again.
			f.rep.Warnf("%s: cached %s does not match the signed sha256 %s; fetching it again", t.Name, file, want)
			if err := c.evict(ctx, want, file); err != nil {
				return res, err
			}
			continue
		}
		if errors.Is(err, errArchiveChanged) {
			return res, &ChecksumError{File: file, Got: "(changed while it was read)", Want: want}
		}
		if err != nil {
			return res, err
		}
		res.SHA256, res.TreeSHA256, res.Size, res.FromCache, res.UpToDate, res.VerifiedBy = d.sum, d.tree, d.size, fromCache, d.upToDate, f.verifiedBy()
		return res, nil
	}
}

// VerifiedBy values: what vouched for an installed binary's bytes.
const (
	VerifiedByPin       = "binary pin"     // Request.BinaryPin
	VerifiedBySignature = "signed archive" // extracted in this run from an archive matching the signed sums
	// VerifiedByChecksumList: extracted from an archive matching the release's SHASUMS256.txt,
	// which no signature vouched for (a runtime whose keys nizepack does not embed, no keyring).
	VerifiedByChecksumList = "unsigned checksum list"
)

// BinaryPinMismatchError is a node binary, extracted from an archive that matches the signed
// sums, whose SHA-256 differs from the caller's binary pin (Request.BinaryPin), or, when Tree
// is set, whose tree hash differs from the tree pin (Request.BinaryTreePin).
type BinaryPinMismatchError struct {
	Platform, Archive, Derived, Pinned string
	Tree                               bool
}

func (e *BinaryPinMismatchError) Error() string {
	hash, pin := "sha256", "binary pin"
	if e.Tree {
		hash, pin = "sha256 tree hash", "binary tree pin"
	}
	return fmt.Sprintf("the node binary in the verified %s has %s %s but the %s for %s is %s; nothing was installed", e.Archive, hash, e.Derived, pin, e.Platform, e.Pinned)
}

// binaryPins are the caller's pins of one target's binary (lowercase hex, "" when unpinned).
type binaryPins struct {
	sum, tree string
	wantTree  bool // derive the tree hash: pinned, or Request.TreeSums
}

func (f *installer) binaryPins(t target.Target) binaryPins {
	var p binaryPins
	if f.req.BinaryPin != nil {
		p.sum, _ = f.req.BinaryPin(t)
	}
	if f.req.BinaryTreePin != nil {
		p.tree, _ = f.req.BinaryTreePin(t)
	}
	p.sum, p.tree = strings.ToLower(p.sum), strings.ToLower(p.tree)
	p.wantTree = p.tree != "" || f.req.TreeSums
	return p
}

// pinned reports whether the fast path may vouch for an output: it needs the SHA-256 pin, the
// one every Result reports.
func (p binaryPins) pinned() bool { return p.sum != "" }

// check compares a derived binary with the pins.
func (p binaryPins) check(d derived, t target.Target, file string) error {
	if p.sum != "" && d.sum != p.sum {
		return &BinaryPinMismatchError{Platform: t.Name, Archive: file, Derived: d.sum, Pinned: p.sum}
	}
	if p.tree != "" && d.tree != p.tree {
		return &BinaryPinMismatchError{Platform: t.Name, Archive: file, Derived: d.tree, Pinned: p.tree, Tree: true}
	}
	return nil
}

// holdsPinned reports whether out holds the pinned binary with the installed mode, reading it
// once: by the tree hash, on every core, when there is a tree pin; else by its SHA-256.
func (f *installer) holdsPinned(out string, p binaryPins) (derived, bool) {
	if !modeOK(out) {
		return derived{}, false
	}
	d := derived{sum: p.sum}
	var err error
	if p.tree != "" {
		d.tree, d.size, err = filehash.TreeSHA256(out)
		return d, err == nil && d.tree == p.tree
	}
	var got string
	if p.wantTree {
		got, d.tree, d.size, err = filehash.SHA256AndTree(out) // both of the same bytes
	} else {
		got, d.size, err = filehash.SHA256(out)
	}
	return d, err == nil && got == p.sum
}

var (
	errArchiveChanged = errors.New("the cached archive does not match its signed sha256")
	errStreamBroken   = errors.New("the download restarted")
)

type derived struct {
	sum, tree string // SHA-256 and, when asked for, the tree hash
	size      int64
	upToDate  bool
}

// derive extracts the binary from the cached archive, hashing the archive as it is read, and
// installs it at out only when the archive matched want (the signed sum), the binary has the
// target's format and CPU, and, when pinned, its hash is the pin. An out that already holds
// exactly the derived bytes (and mode 0755) is left alone.
func (f *installer) derive(ctx context.Context, archive, want string, kind Kind, entry string, t target.Target, file, out string, pin binaryPins) (derived, error) {
	if modeOK(out) {
		// Most runs find the output in place: derive the hash without writing anything, while
		// the output is hashed on the other core, and keep it when the two agree.
		type hashes struct{ sum, tree string }
		existing := make(chan hashes, 1)
		go func() {
			var h hashes
			if pin.wantTree {
				h.sum, h.tree, _, _ = filehash.SHA256AndTree(out) // both of the same bytes
			} else {
				h.sum, _, _ = filehash.SHA256(out)
			}
			existing <- h
		}()
		bh, n := sha256.New(), &countingWriter{}
		aw := newAsyncWriter(io.MultiWriter(bh, n))
		archSum, err := extractVerified(ctx, archive, kind, entry, aw)
		if werr := aw.Close(); err == nil {
			err = werr
		}
		have := <-existing
		switch {
		case err != nil:
			return derived{}, f.deriveErr(ctx, err, file)
		case archSum != want:
			return derived{}, errArchiveChanged
		}
		d := derived{sum: hex.EncodeToString(bh.Sum(nil)), size: n.n}
		if pin.sum != "" && d.sum != pin.sum {
			return d, pin.check(d, t, file)
		}
		if have.sum == d.sum {
			if err := checkFormat(out, t, file); err != nil {
				return d, err
			}
			d.tree = have.tree
			if err := pin.check(d, t, file); err != nil {
				return d, err
			}
			d.upToDate = true
			return d, nil
		}
		// The output differs (tampered, or another release): extract again, into place.
	}
	var archSum string
	return f.install(ctx, out, t, file, pin, func(w io.Writer) (err error) {
		archSum, err = extractVerified(ctx, archive, kind, entry, w)
		return err
	}, func() error {
		if archSum != want {
			return errArchiveChanged
		}
		return nil
	})
}

// install writes what extract writes to out, atomically, and commits it only when verify (the
// archive the bytes came from matched its signed sum) passes, the binary has t's format and
// CPU, and, when pinned, its hashes are the pins.
func (f *installer) install(ctx context.Context, out string, t target.Target, file string, pin binaryPins, extract func(w io.Writer) error, verify func() error) (derived, error) {
	var d derived
	err := atomicfile.Write(out, 0o755, func(w io.Writer) error {
		bh := sha256.New()
		n := &countingWriter{}
		aw := newAsyncWriter(diskWriter{io.MultiWriter(atomicfile.EarlyWriteback(w), bh, n), out})
		err := extract(aw)
		if werr := aw.Close(); err == nil {
			err = werr
		}
		if err != nil {
			return &deriveError{err}
		}
		if err := verify(); err != nil {
			return &deriveError{err}
		}
		d.sum, d.size = hex.EncodeToString(bh.Sum(nil)), n.n
		ra, readable := w.(io.ReaderAt)
		if !readable && pin.wantTree {
			return errors.New("the temp file cannot be read back for its tree hash")
		}
		if readable {
			if pin.wantTree {
				// Of the bytes written, read back from the page cache on every core.
				var err error
				if d.tree, err = filehash.TreeSHA256At(ra, d.size); err != nil {
					return fmt.Errorf("reading back %s: %w", out, err)
				}
			}
			info, err := binfmt.Identify(ra)
			if err != nil {
				return &deriveError{fmt.Errorf("the node binary in %s: %w", file, err)}
			}
			if err := binfmt.Check(info, t); err != nil {
				return &deriveError{fmt.Errorf("the node binary in %s %w", file, err)}
			}
		}
		if err := pin.check(d, t, file); err != nil {
			return &deriveError{err}
		}
		return nil
	})
	var de *deriveError
	switch {
	case err == nil:
		return d, nil
	case errors.As(err, &de):
		var pinErr *BinaryPinMismatchError
		var ce *ChecksumError
		if errors.As(de.err, &pinErr) || errors.As(de.err, &ce) || errors.Is(de.err, errArchiveChanged) || errors.Is(de.err, errStreamBroken) || strings.HasPrefix(de.err.Error(), "the node binary in ") {
			return d, de.err
		}
		return d, f.deriveErr(ctx, de.err, file)
	}
	return d, fmt.Errorf("writing %s: %w", out, diskErr(err, out))
}

// deriveErr words an error of extracting the binary.
func (f *installer) deriveErr(ctx context.Context, err error, file string) error {
	var disk *DiskFullError
	var hostile *HostileEntryError
	if errors.As(err, &disk) || errors.As(err, &hostile) || ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("extracting node from %s: %w", file, err)
}

// checkFormat checks that the binary at path has t's format and CPU.
func checkFormat(path string, t target.Target, file string) error {
	info, err := binfmt.IdentifyFile(path)
	if err != nil {
		return fmt.Errorf("the node binary in %s: %w", file, err)
	}
	if err := binfmt.Check(info, t); err != nil {
		return fmt.Errorf("the node binary in %s %w", file, err)
	}
	return nil
}

// deriveError marks an error of derive's own checks, apart from errors writing the output.
type deriveError struct{ err error }

func (e *deriveError) Error() string { return e.err.Error() }
func (e *deriveError) Unwrap() error { return e.err }

// modeOK reports whether path is a regular file with the installed mode (any on Windows).
func modeOK(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular() && (isWindowsHost() || fi.Mode().Perm() == 0o755)
}

func isWindowsHost() bool { return runtime.GOOS == "windows" }

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func (c *Client) cache() *cache {
	return &cache{root: filepath.Join(c.opts.CacheDir, c.opts.Runtime.Base), rep: c.rep}
}

func (f *installer) fetchUniversal(ctx context.Context, t target.Target) ([]Result, error) {
	slices, err := f.all(ctx, t.SliceTargets())
	if err != nil {
		return slices, err
	}
	out := filepath.Join(f.req.OutDir, f.sidecarName(t))
	unlock, err := f.cache().lockOutput(ctx, out)
	if err != nil {
		return slices, &TargetError{Platform: t.Name, Triple: t.Triple, Err: err}
	}
	defer unlock()
	var paths []string
	for _, s := range slices {
		paths = append(paths, s.Path)
	}
	wrote, err := binfmt.WriteFatFile(out, paths...)
	if err != nil {
		return slices, &TargetError{Platform: t.Name, Triple: t.Triple, Err: fmt.Errorf("writing %s: %w", out, diskErr(err, out))}
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
	version, err := exactVersion(c.opts.Runtime, version)
	if err != nil {
		return nil, err
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
		return nil, fmt.Errorf("reading SHASUMS256.txt of %s v%s: %w", c.opts.Runtime.Name, version, err)
	}
	v.sums = sums
	return sums, nil
}

// sidecarName is the file the runtime's binary for t is installed as: Request.Name, else the
// runtime's own name, -<triple>[.exe].
func (f *installer) sidecarName(t target.Target) string {
	name := f.req.Name
	if name == "" {
		name = f.opts.Runtime.Base
	}
	return SidecarName(name, t)
}

// verifiedBy is what vouches for a binary this client extracted from a verified archive.
func (c *Client) verifiedBy() string {
	if c.unsigned() {
		return VerifiedByChecksumList
	}
	return VerifiedBySignature
}

// unsigned reports whether SHASUMS256.txt is taken without a signature: the runtime's keys are
// not embedded and no keyring was given (InsecureSkipSignature is the explicit opt-out).
func (c *Client) unsigned() bool {
	return c.opts.Keyring == nil && c.opts.Runtime.Keys == nil
}

// NoBuildError is a target the runtime publishes no build for (Bun has none for windows-arm64).
type NoBuildError struct{ Runtime, Platform string }

func (e *NoBuildError) Error() string {
	return fmt.Sprintf("%s publishes no build for %s", e.Runtime, e.Platform)
}

// Mirror is the mirror's base URL without credentials, as it appears in messages.
func (c *Client) Mirror() string { return c.opts.Mirror }

// Get fetches <mirror>/<rel> (e.g. "index.json") with the Client's credentials, retries and
// stall timeout. A 404 is a *NotFoundError.
func (c *Client) Get(ctx context.Context, rel string) ([]byte, error) {
	return c.client.getSmall(ctx, c.opts.Mirror+"/"+strings.TrimLeft(rel, "/"))
}
