package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nize/nizepack/bundle"
	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/internal/smoke"
	"github.com/nize/nizepack/internal/versions"
	"github.com/nize/nizepack/sidecars"
)

// describe adds the fix to library errors wherever they sit in a chain of wrapping and joining,
// and leaves every other text as it is.
func TestDescribe(t *testing.T) {
	notBuilt := &sidecars.NotBuiltError{Name: "api", Platform: "linux-arm64", Looked: []string{"target/x/release/api"}, Cargo: []string{"cargo", "build", "--release", "--bin", "api"}}
	offline := &fetch.OfflineError{What: "node-v24.21.0-linux-x64.tar.gz", CacheDir: "/c"}
	for _, c := range []struct {
		err  error
		want string
	}{
		{errors.New("plain"), "plain"},
		{&bundle.MissingPackageError{Package: "p", Dir: "/app"}, "cannot resolve p from /app: run `npm ci` in /app"},
		{fmt.Errorf("linux-x86_64: %w", offline), "linux-x86_64: --offline: node-v24.21.0-linux-x64.tar.gz is not in the cache /c; run once without --offline (and NIZEPACK_OFFLINE) to fill it"},
		{errors.Join(notBuilt, errors.New("other")), "sidecar api for linux-arm64 not found at target/x/release/api; build it with `cargo build --release --bin api` (or set --cargo-target-dir)\nother"},
		{fmt.Errorf("%w (while preparing)", offline), "offline: node-v24.21.0-linux-x64.tar.gz is not in the cache /c (while preparing)"}, // not a suffix: kept as is
		{&bundle.InputError{Input: bundle.InputOut, Path: "/o", Problem: "exists and is not a directory"}, "output /o exists and is not a directory: pass --out with a directory"},
		// A Windows-style externalBin entry: cargo cannot build it, `nizepack tauri` rewrites it.
		{&sidecars.NotBuiltError{Name: "api.exe", Platform: "linux-x86_64", Looked: []string{"t/api.exe"}, Cargo: []string{"cargo"}}, "sidecar api.exe for linux-x86_64 not found at t/api.exe; its bundle.externalBin entry is written for Windows (Tauri wants forward slashes and no \".exe\": it adds \"-<triple>\" and, for Windows targets, \".exe\" itself): run `nizepack tauri` to rewrite it"},
		{&sidecars.NotBuiltError{Name: `binaries\api`, Platform: "linux-x86_64", Looked: []string{"t"}, Cargo: []string{"cargo"}}, "sidecar binaries\\api for linux-x86_64 not found at t; its bundle.externalBin entry is written for Windows"},
	} {
		if got := describe(c.err); got != c.want && !(strings.HasSuffix(c.want, "for Windows") && strings.HasPrefix(got, c.want)) {
			t.Errorf("describe(%q)\n got %q\nwant %q", c.err, got, c.want)
		}
	}
}

// The fetch errors that are no network error get what to do, and a kind for --json.
func TestFetchHintsAndKinds(t *testing.T) {
	for _, c := range []struct {
		err        error
		want, kind string
	}{
		{&fetch.TargetError{Platform: "linux-x86_64", Err: &fetch.UnreachableError{Mirror: "https://m.invalid", Host: "m.invalid"}},
			"linux-x86_64: cannot reach https://m.invalid: the host m.invalid does not resolve (no such host): check the mirror URL (--mirror or NIZEPACK_NODE_MIRROR), set HTTPS_PROXY if this network reaches the internet through a proxy, or pass --offline to use a warm cache", "unreachable"},
		{&fetch.DiskFullError{Path: "/c/node/sha256"}, "no space left on the device holding /c/node/sha256: free some space there, or point --cache-dir (NIZEPACK_CACHE_DIR) or --out at a disk with room", "disk_full"},
		{&fetch.TooLargeError{URL: "http://m/x.tar.gz", Limit: 512 << 20}, "http://m/x.tar.gz is larger than 512 MiB, far more than a Node.js release file: refusing it", "too_large"},
		{fmt.Errorf("x: %w", context.Canceled), "x: context canceled", "interrupted"},
	} {
		if got := describe(c.err); got != c.want && !(strings.HasSuffix(c.want, "for Windows") && strings.HasPrefix(got, c.want)) {
			t.Errorf("describe(%q)\n got %q\nwant %q", c.err, got, c.want)
		}
		if got := errorKind(c.err); got != c.kind {
			t.Errorf("errorKind(%q) = %q, want %q", c.err, got, c.kind)
		}
	}
}

func TestDescribeInternalErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("reading the pins: %w", pins.ErrNoNodeVersion), "reading the pins: no Node version pinned: set NODE_VERSION in versions.env or pass --node-version"},
		{&smoke.StepError{Step: smoke.StepStart, Err: &smoke.MissingError{What: smoke.MissingServer, Path: "x.mjs"}}, `smoke step "start" failed: the server bundle x.mjs is missing: run ` + "`nizepack bundle-pglite`" + ` first or pass --bundle`},
		{&versions.NoLTSError{Index: "http://m/index.json", Major: 25}, "http://m/index.json lists no LTS release of Node 25: pick a major with an LTS line (--major N)"},
		// The app's own entry keeps one session for every client: the fix is the canonical server.
		{&smoke.StepError{Step: smoke.StepReconnect, Err: &smoke.SessionLeakError{Statement: "sqlx_s_1", Err: errors.New("42P05")}, Started: true},
			`smoke step "reconnect" failed: preparing sqlx_s_1 again on a new connection failed: the server kept the last client's session (its prepared statements) for the next client, as the app's sqlx pool would see on every replacement connection: 42P05; the bundled entry serves every client in one Postgres session and never resets it: bundle nizepack's canonical server instead (` + "`nizepack bundle-pglite`" + ` without --entry: a drop-in with the same flags and port line, which resets the session when a client leaves) (the server wrote nothing to stderr)`},
		{&bundle.PeerMismatchError{Package: "@electric-sql/pglite-socket", Version: "0.2.17", Peer: "@electric-sql/pglite", Wants: "0.5.14", Installed: "0.3.15", Dir: "/a/node_modules/@electric-sql/pglite"},
			"@electric-sql/pglite-socket 0.2.17 needs @electric-sql/pglite 0.5.14, but @electric-sql/pglite 0.3.15 is installed in /a/node_modules/@electric-sql/pglite: they cannot run together (PGlite would open no data dir); install packages made for one PGlite, e.g. `npm install @electric-sql/pglite@0.5.14` in the app's package dir (a PGlite 0.5 cannot open a 0.3 data dir: keep the PGlite the app's data was made with)"},
		{&bundle.NoVectorError{PGlite: "0.5.14", Dir: "/a"}, "PGlite 0.5.14 in /a has no pgvector of its own and @electric-sql/pglite-pgvector is not installed: install the @electric-sql/pglite-pgvector made for PGlite 0.5.14 (`npm install @electric-sql/pglite-pgvector` in the app's package dir; npm refuses one whose PGlite peer does not match)"},
	} {
		if got := describe(c.err); got != c.want && !(strings.HasSuffix(c.want, "for Windows") && strings.HasPrefix(got, c.want)) {
			t.Errorf("describe(%q)\n got %q\nwant %q", c.err, got, c.want)
		}
	}
}
