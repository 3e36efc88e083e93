package fetch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nodemirror"
	"github.com/nize/nizepack/target"
)

// A version written with its "v", as Node.js writes it, installs that version: the mirror's
// v24.21.0/ directory and node-v24.21.0-* archives, never vv24.21.0.
func TestVersionWithVPrefixIsNormalised(t *testing.T) {
	e := newEnv(t, nodemirror.Options{Dists: []string{"linux-x64"}})
	f := e.fetcher(t, func(_ *fetch.Options, r *fetch.Request) { r.Version = "v" + version })
	res, err := f.Fetch(context.Background(), mustTarget(t, "linux-x64"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !strings.HasPrefix(res[0].Artifact, "node-v"+version+"-linux-x64.tar.") {
		t.Fatalf("results %+v, want one from node-v%s-linux-x64.tar.*", res, version)
	}
	if _, err := f.c.VerifiedSums(context.Background(), "v"+version); err != nil {
		t.Errorf("VerifiedSums(v%s): %v", version, err)
	}
	if file, _, _ := fetch.Artifact("v"+version, mustTarget(t, "linux-x64"), fetch.KindTarXz, fetch.KindZip); file != "node-v"+version+"-linux-x64.tar.xz" {
		t.Errorf("Artifact(v%s) = %s", version, file)
	}
}

// A version that is not exact is refused before anything is read or written, as a
// *VersionError naming it: a range or line would fetch something else than asked, and a path
// would reach outside the cache.
func TestInexactVersionIsRefused(t *testing.T) {
	e := newEnv(t, nodemirror.Options{Dists: []string{"linux-x64"}})
	for _, v := range []string{"", "24", "24.21", "v24.x", "lts", "24.21.0/../../x", "vv24.21.0", "24.21.0+build", " 24.21.0"} {
		f := e.fetcher(t, func(_ *fetch.Options, r *fetch.Request) { r.Version = v })
		res, err := f.Fetch(context.Background(), mustTarget(t, "linux-x64"))
		var ve *fetch.VersionError
		if !errors.As(err, &ve) || ve.Version != v || res != nil {
			t.Errorf("Install(%q) = %v, %v; want a *VersionError naming it", v, res, err)
		}
		if _, err := f.c.VerifiedSums(context.Background(), v); !errors.As(err, &ve) {
			t.Errorf("VerifiedSums(%q) = %v; want a *VersionError", v, err)
		}
	}
	if entries, _ := os.ReadDir(e.cache); len(entries) != 0 {
		t.Errorf("the cache was written: %v", entries)
	}
	if _, err := os.Stat(e.out); !os.IsNotExist(err) {
		t.Errorf("the output dir exists: %v", err)
	}
}

// An Install with no targets is an error (ErrNoTargets), not a silent no-op, and creates
// nothing.
func TestInstallWithoutTargets(t *testing.T) {
	e := newEnv(t, nodemirror.Options{Dists: []string{"linux-x64"}})
	f := e.fetcher(t, nil)
	for _, ts := range [][]target.Target{nil, {}} {
		res, err := f.FetchAll(context.Background(), ts)
		if !errors.Is(err, fetch.ErrNoTargets) || res != nil {
			t.Errorf("Install(%v) = %v, %v; want ErrNoTargets", ts, res, err)
		}
	}
	if _, err := os.Stat(filepath.Join(e.out)); !os.IsNotExist(err) {
		t.Errorf("the output dir exists: %v", err)
	}
}
