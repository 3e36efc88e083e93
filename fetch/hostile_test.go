package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/filehash"
	"github.com/nize/nizepack/internal/nodemirror"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/target"
)

const linuxGz = "v" + version + "/node-v" + version + "-linux-x64.tar.gz"

func gzEnv(t *testing.T) *env {
	return newEnv(t, nodemirror.Options{Dists: []string{"linux-x64"}, TarKinds: []string{"gz"}})
}

// archiveSum is the signed sum of the linux-x64 .tar.gz, the name of its cache entry.
func (e *env) archiveSum(t *testing.T) string {
	sum, _, err := filehash.SHA256(filepath.Join(e.mirrorDir, filepath.FromSlash(linuxGz)))
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// Apache's default AddEncoding labels a .tar.gz "Content-Encoding: gzip"; the archive must be
// stored as published, not transparently decompressed.
func TestGzipContentEncodingMirror(t *testing.T) {
	e := gzEnv(t)
	e.faults.GzipEncoding = true
	res, err := e.fetcher(t, nil).Fetch(context.Background(), mustTarget(t, "linux-x64"))
	if err != nil {
		t.Fatal(err)
	}
	checkSum(t, res[0].Path, res[0].SHA256)
}

func TestEndlessBodyIsCutOff(t *testing.T) {
	e := gzEnv(t)
	e.faults.Endless = map[string]bool{linuxGz: true}
	start := time.Now()
	_, err := e.fetcher(t, func(o *fetch.Options, r *fetch.Request) { o.MaxDownload = 4 << 20 }).Fetch(context.Background(), mustTarget(t, "linux-x64"))
	var tl *fetch.TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("err = %v, want a TooLargeError", err)
	}
	if n := e.faults.Count(linuxGz); n != 1 {
		t.Errorf("an endless body was retried: %d requests", n)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	left, _ := filepath.Glob(filepath.Join(e.cache, "node", "sha256", "*.partial"))
	if len(left) > 0 {
		t.Errorf("the endless body's partial was kept: %v", left)
	}
	assertEmpty(t, e.out)
}

// A run killed after the last byte leaves a whole partial; the resume gets 416. The partial is
// checked, not downloaded again.
func TestRange416WithCompletePartial(t *testing.T) {
	e := gzEnv(t)
	e.faults.Range416 = true
	sum := e.archiveSum(t)
	dir := filepath.Join(e.cache, "node", "sha256")
	os.MkdirAll(dir, 0o755)
	data, _ := os.ReadFile(filepath.Join(e.mirrorDir, filepath.FromSlash(linuxGz)))
	os.WriteFile(filepath.Join(dir, sum+".partial"), data, 0o644)
	res, err := e.fetcher(t, nil).Fetch(context.Background(), mustTarget(t, "linux-x64"))
	if err != nil {
		t.Fatal(err)
	}
	checkSum(t, res[0].Path, res[0].SHA256)
	if n, r := e.faults.Count(linuxGz), e.faults.RangedCount(linuxGz); n != 1 || r != 1 {
		t.Errorf("archive requests = %d (ranged %d), want the one ranged request", n, r)
	}
}

// A host name that does not resolve is not retried, and says which mirror.
func TestDNSFailureIsNotRetried(t *testing.T) {
	e := gzEnv(t)
	dials := 0
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials++
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "mirror.invalid", IsNotFound: true}}
	}}}
	_, err := e.fetcher(t, func(o *fetch.Options, r *fetch.Request) {
		o.HTTPClient, o.Mirror = hc, "http://mirror.invalid/dist"
	}).Fetch(context.Background(), mustTarget(t, "linux-x64"))
	var ue *fetch.UnreachableError
	if !errors.As(err, &ue) || ue.Host != "mirror.invalid" || !strings.Contains(err.Error(), "http://mirror.invalid") {
		t.Fatalf("err = %v, want an UnreachableError", err)
	}
	if dials != 1 {
		t.Errorf("dialled %d times, want 1 (no retries)", dials)
	}
}

func TestMirrorWithoutScheme(t *testing.T) {
	for _, m := range []string{"127.0.0.1:8080", "mirror.example/dist", "user:pw@mirror.example"} {
		_, _, err := fetch.SplitMirror(m)
		if err == nil || !strings.Contains(err.Error(), "add http:// or https://") || strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: err = %v", m, err)
		}
	}
}

// --offline with a keyring that does not vouch for the cached sums says so.
func TestOfflineKeyringMismatch(t *testing.T) {
	e := gzEnv(t)
	tg := mustTarget(t, "linux-x64")
	if _, err := e.fetcher(t, nil).Fetch(context.Background(), tg); err != nil {
		t.Fatal(err)
	}
	other, err := nodemirror.NewKey("Other", 0)
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := fetch.ParseKeyring(other.PublicArmor)
	_, err = e.fetcher(t, func(o *fetch.Options, r *fetch.Request) { o.Offline, o.Keyring, r.OutDir = true, kr, t.TempDir() }).Fetch(context.Background(), tg)
	var se *fetch.SignatureError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "cached SHASUMS256.txt") || !strings.Contains(err.Error(), "not a trusted") || strings.Contains(err.Error(), "not in the cache") {
		t.Fatalf("err = %v", err)
	}
}

type warnings struct {
	report.Reporter
	msgs []string
}

func (w *warnings) Warnf(format string, args ...any) {
	w.msgs = append(w.msgs, fmt.Sprintf(format, args...))
}

// Node has published releases signed by keys that had expired since: accepted with a note. A
// revoked key is refused.
func TestExpiredAndRevokedKeys(t *testing.T) {
	past := time.Now().Add(-48 * time.Hour)
	expired, err := nodemirror.NewKeyAt("Expired Releaser", 0, past, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, k *nodemirror.Key, revoke bool) (*warnings, error) {
		dir := t.TempDir()
		if err := nodemirror.Build(dir, version, k, nodemirror.Options{Dists: []string{"linux-x64"}, TarKinds: []string{"gz"}}); err != nil {
			t.Fatal(err)
		}
		if revoke { // revoked after it signed the release, as a compromised key is
			if err := k.Revoke(); err != nil {
				t.Fatal(err)
			}
		}
		srv := nodemirror.Serve(dir, nil)
		defer srv.Close()
		kr, err := fetch.ParseKeyring(k.PublicArmor)
		if err != nil {
			t.Fatal(err)
		}
		w := &warnings{Reporter: report.Or(nil)}
		c, err := fetch.New(fetch.Options{Mirror: srv.URL, CacheDir: t.TempDir(), Keyring: kr, Report: w, Backoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Install(context.Background(), fetch.Request{Version: version, OutDir: t.TempDir()}, mustTarget(t, "linux-x64"))
		return w, err
	}
	t.Run("expired", func(t *testing.T) {
		w, err := run(t, expired, false)
		if err != nil {
			t.Fatalf("a valid signature by a since-expired key: %v", err)
		}
		if !strings.Contains(strings.Join(w.msgs, "\n"), "which has expired since; accepted") {
			t.Errorf("no note on stderr: %q", w.msgs)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		k, err := nodemirror.NewKey("Revoked Releaser", 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = run(t, k, true)
		var se *fetch.SignatureError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "has been revoked") {
			t.Fatalf("err = %v, want a refusal naming the revocation", err)
		}
	})
	t.Run("expired and revoked", func(t *testing.T) {
		k, err := nodemirror.NewKeyAt("Old Revoked Releaser", 0, past, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, k, true); err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("err = %v, want a refusal", err)
		}
	})
}

// What killed runs leave is removed by the next run holding the lock, and a directory where a
// cache file should be is replaced.
func TestLeftoversAreCleaned(t *testing.T) {
	e := gzEnv(t)
	sum := e.archiveSum(t)
	node := filepath.Join(e.cache, "node")
	os.MkdirAll(filepath.Join(node, "sha256", sum), 0o755) // a directory where the archive goes
	os.MkdirAll(filepath.Join(node, "sums", "v"+version, "SHASUMS256.txt.asc", "x"), 0o755)
	os.MkdirAll(filepath.Join(node, "bin"), 0o755)
	leftovers := []string{
		filepath.Join(node, "bin", sum+".123.tmp"),
		filepath.Join(node, "bin", sum),
		filepath.Join(e.out, ".node-x86_64-unknown-linux-gnu4242424242"),
		filepath.Join(e.out, ".node-x86_64-unknown-linux-gnu.tmp77"),
	}
	os.MkdirAll(e.out, 0o755)
	for _, p := range leftovers {
		os.WriteFile(p, []byte("left by a killed run"), 0o644)
	}
	keep := filepath.Join(e.out, ".gitkeep")
	os.WriteFile(keep, nil, 0o644)
	res, err := e.fetcher(t, nil).Fetch(context.Background(), mustTarget(t, "linux-x64"))
	if err != nil {
		t.Fatal(err)
	}
	checkSum(t, res[0].Path, res[0].SHA256)
	for _, p := range leftovers {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is still there", p)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Error("a file nizepack did not write was removed")
	}
	if fi, err := os.Stat(filepath.Join(node, "sha256", sum)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the archive entry is not a file: %v", err)
	}
	// A 404 leaves no empty partial behind.
	_, err = e.fetcher(t, func(o *fetch.Options, r *fetch.Request) { r.OutDir = t.TempDir() }).Fetch(context.Background(), mustTarget(t, "linux-arm64"))
	if err == nil {
		t.Fatal("linux-arm64 is not on this mirror")
	}
	os.Remove(filepath.Join(e.mirrorDir, filepath.FromSlash(linuxGz)))
	os.RemoveAll(filepath.Join(node, "sha256", sum))
	if _, err := e.fetcher(t, func(o *fetch.Options, r *fetch.Request) { r.OutDir = t.TempDir() }).Fetch(context.Background(), mustTarget(t, "linux-x64")); err == nil {
		t.Fatal("want a 404")
	}
	if left, _ := filepath.Glob(filepath.Join(node, "sha256", "*.partial")); len(left) > 0 {
		t.Errorf("a 404 left %v", left)
	}
}

// Cancelling (Ctrl-C) stops a wait for another process's lock and a stalled body at once.
func TestCancelStopsEveryWait(t *testing.T) {
	t.Run("lock", func(t *testing.T) {
		e := gzEnv(t)
		dir := filepath.Join(e.cache, "node", "sha256")
		os.MkdirAll(dir, 0o755)
		unlock, err := lockedfile.MutexAt(filepath.Join(dir, e.archiveSum(t)+".lock")).Lock()
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		checkCancel(t, e, 30*time.Second)
	})
	t.Run("stalled body", func(t *testing.T) {
		e := gzEnv(t)
		e.faults.StallOnce = map[string]bool{linuxGz: true}
		checkCancel(t, e, 30*time.Second)
	})
	t.Run("held response", func(t *testing.T) {
		e := gzEnv(t)
		hold := make(chan struct{})
		defer close(hold)
		e.faults.Hold = map[string]chan struct{}{linuxGz: hold}
		checkCancel(t, e, 30*time.Second)
	})
}

func checkCancel(t *testing.T, e *env, stall time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, err := e.fetcher(t, func(o *fetch.Options, r *fetch.Request) { o.StallTimeout = stall }).Fetch(ctx, mustTarget(t, "linux-x64"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("stopped %v after the start, want within a second of the cancel", d)
	}
	assertEmpty(t, e.out)
}

// A cold run extracts while it downloads; a mirror serving another well-formed archive than the
// signed one gets its binary extracted, but never installed.
func TestStreamedExtractionWaitsForTheChecksum(t *testing.T) {
	e := gzEnv(t)
	other := t.TempDir()
	bin := append(mustFake(t, "linux", "amd64"), "other release"...)
	if err := nodemirror.Build(other, version, nil, nodemirror.Options{Dists: []string{"linux-x64"}, TarKinds: []string{"gz"}, Binaries: map[string][]byte{"linux-x64": bin}}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(other, filepath.FromSlash(linuxGz)))
	os.WriteFile(filepath.Join(e.mirrorDir, filepath.FromSlash(linuxGz)), data, 0o644)
	_, err := e.fetcher(t, nil).Fetch(context.Background(), mustTarget(t, "linux-x64"))
	var ce *fetch.ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a ChecksumError", err)
	}
	if _, serr := os.Stat(e.out); serr == nil {
		assertEmpty(t, e.out)
	}
}

// One target failing late (a wrong binary) does not pull a fresh output dir from under another
// target of the same Install; a failure alone leaves no empty dir behind.
func TestFailingTargetLeavesTheOthersOutputDir(t *testing.T) {
	e := newEnv(t, nodemirror.Options{Dists: []string{"linux-x64", "linux-arm64"}, TarKinds: []string{"gz"}, Binaries: map[string][]byte{"linux-arm64": mustFake(t, "linux", "amd64")}})
	for i := 0; i < 5; i++ {
		out := filepath.Join(t.TempDir(), "fresh", "binaries")
		res, err := e.fetcher(t, func(o *fetch.Options, r *fetch.Request) { r.OutDir = out }).FetchAll(context.Background(), []target.Target{mustTarget(t, "linux-arm64"), mustTarget(t, "linux-x64")})
		if err == nil || !strings.Contains(err.Error(), "linux-arm64") || len(res) != 1 {
			t.Fatalf("res %v, err %v", res, err)
		}
		checkSum(t, res[0].Path, res[0].SHA256)
		alone := filepath.Join(t.TempDir(), "alone")
		if _, err := e.fetcher(t, func(o *fetch.Options, r *fetch.Request) { r.OutDir = alone }).Fetch(context.Background(), mustTarget(t, "linux-arm64")); err == nil {
			t.Fatal("want the wrong binary refused")
		}
		if _, err := os.Stat(alone); err == nil {
			t.Errorf("a failed run left %s", alone)
		}
	}
}
