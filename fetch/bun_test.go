package fetch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nodemirror"
	"github.com/nize/nizepack/report"
	"github.com/nize/nizepack/target"
)

const bunVersion = "1.3.9"

// bunMirror serves Bun's release layout on loopback, signed with the test key when signed.
func bunMirror(t *testing.T, signed bool) string {
	t.Helper()
	dir := t.TempDir()
	var k *nodemirror.Key
	if signed {
		k = key(t)
	}
	if err := nodemirror.BuildBun(dir, bunVersion, k, nil, []string{"linux-x64", "linux-aarch64", "windows-x64", "darwin-aarch64"}); err != nil {
		t.Fatal(err)
	}
	srv := nodemirror.Serve(dir, &nodemirror.Faults{})
	t.Cleanup(srv.Close)
	return srv.URL
}

// Bun is the same install with Bun's layout and trust rule: its sums are unsigned unless a
// keyring is given (nizepack embeds no Bun key), so then the binary pin is the trust root; with
// a keyring the clearsigned list is required.
func TestBunInstall(t *testing.T) {
	ctx := context.Background()
	linux, _ := target.Parse("linux-x86_64")
	win, _ := target.Parse("windows-x86_64")
	winArm, _ := target.Parse("windows-arm64")

	t.Run("unsigned list, warned", func(t *testing.T) {
		w := &warnings{Reporter: report.Nop{}}
		c, err := fetch.New(fetch.Options{Runtime: fetch.Bun, Mirror: bunMirror(t, true), CacheDir: t.TempDir(), Report: w})
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		res, err := c.Install(ctx, fetch.Request{Version: bunVersion, OutDir: out}, linux, win)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.VerifiedBy != fetch.VerifiedByChecksumList || !strings.HasPrefix(filepath.Base(r.Path), "bun-") {
				t.Errorf("result %+v", r)
			}
		}
		for _, name := range []string{"bun-x86_64-unknown-linux-gnu", "bun-x86_64-pc-windows-msvc.exe"} {
			if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", name, err)
			}
		}
		if len(w.msgs) == 0 || !strings.Contains(w.msgs[0], "SHASUMS256.txt of Bun v1.3.9 from") || !strings.Contains(w.msgs[0], fetch.BunSigningKey) || !strings.Contains(w.msgs[0], "--keyring") {
			t.Errorf("warnings %q", w.msgs)
		}

		// The pin written from that run vouches for the binary from then on: nothing is read.
		sum := res[0].SHA256
		res, err = c.Install(ctx, fetch.Request{Version: bunVersion, OutDir: out, BinaryPin: func(target.Target) (string, bool) { return sum, true }}, linux)
		if err != nil || res[0].VerifiedBy != fetch.VerifiedByPin || !res[0].UpToDate {
			t.Errorf("pinned rerun: %+v, %v", res, err)
		}
		// No Bun build for windows-arm64: one sentence, nothing written.
		_, err = c.Install(ctx, fetch.Request{Version: bunVersion, OutDir: out}, winArm)
		var nb *fetch.NoBuildError
		if !errors.As(err, &nb) || err.Error() != "windows-arm64: Bun publishes no build for windows-arm64" {
			t.Errorf("windows-arm64: %v", err)
		}
	})

	t.Run("keyring: signature required", func(t *testing.T) {
		ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(string(key(t).PublicArmor)))
		if err != nil {
			t.Fatal(err)
		}
		c, err := fetch.New(fetch.Options{Runtime: fetch.Bun, Mirror: bunMirror(t, true), CacheDir: t.TempDir(), Keyring: ring})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Install(ctx, fetch.Request{Version: bunVersion, OutDir: t.TempDir()}, linux)
		if err != nil || res[0].VerifiedBy != fetch.VerifiedBySignature {
			t.Fatalf("%+v, %v", res, err)
		}
		c, err = fetch.New(fetch.Options{Runtime: fetch.Bun, Mirror: bunMirror(t, false), CacheDir: t.TempDir(), Keyring: ring})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Install(ctx, fetch.Request{Version: bunVersion, OutDir: t.TempDir()}, linux)
		var se *fetch.SignatureError
		if !errors.As(err, &se) {
			t.Errorf("an unsigned mirror with a keyring: %v, want a SignatureError", err)
		}
	})

	t.Run("not published", func(t *testing.T) {
		c, err := fetch.New(fetch.Options{Runtime: fetch.Bun, Mirror: bunMirror(t, false), CacheDir: t.TempDir(), Retries: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Install(ctx, fetch.Request{Version: "1.3.8", OutDir: t.TempDir()}, linux)
		if err == nil || !strings.Contains(err.Error(), "Bun v1.3.8 is not published on") {
			t.Errorf("err = %v", err)
		}
	})
}
