package versions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/nodemirror"
	"github.com/nize/nizepack/internal/pins"
	"github.com/nize/nizepack/target"
)

var (
	keyOnce sync.Once
	testKey *nodemirror.Key
	keyErr  error
)

// mirror serves a signed Node mirror on loopback whose index.json lists the releases
// ("VERSION" or "VERSION:current|missing|partial|unsigned"), newest first as written, and
// returns a client that trusts its key.
func mirror(t *testing.T, releases ...string) *fetch.Client {
	t.Helper()
	keyOnce.Do(func() { testKey, keyErr = nodemirror.NewKey("Test Releaser", 0) })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	dir := t.TempDir()
	if err := nodemirror.BuildReleases(dir, testKey, []string{"gz"}, releases...); err != nil {
		t.Fatal(err)
	}
	srv := nodemirror.Serve(dir, &nodemirror.Faults{})
	t.Cleanup(srv.Close)
	kr, err := fetch.ParseKeyring(testKey.PublicArmor)
	if err != nil {
		t.Fatal(err)
	}
	c, err := fetch.New(fetch.Options{Mirror: srv.URL, CacheDir: t.TempDir(), Keyring: kr, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Newest picks the newest LTS release of the major whose signed sums list every platform,
// whatever the index's order, and says why each newer one was skipped.
func TestNewest(t *testing.T) {
	for _, c := range []struct {
		name     string
		releases []string
		major    int
		want     string
		skipped  map[string]string // version → start of the reason
		noLTS    bool
		errHas   string
	}{
		{name: "the newest LTS of the major", releases: []string{"25.1.0:current", "24.22.0", "24.21.0", "22.20.0"}, major: 24, want: "24.22.0"},
		{name: "an older major", releases: []string{"24.22.0", "22.21.0", "22.20.0"}, major: 22, want: "22.21.0"},
		{name: "index order does not matter", releases: []string{"24.9.0", "24.21.0", "24.10.0"}, major: 24, want: "24.21.0"},
		{name: "listed before published, partial, unsigned are skipped",
			releases: []string{"24.24.0:unsigned", "24.23.0:missing", "24.22.1:partial", "24.22.0"}, major: 24, want: "24.22.0",
			skipped: map[string]string{
				"24.24.0": "its SHASUMS256.txt is not signed by a trusted key",
				"24.23.0": "it is listed in index.json but not published",
				"24.22.1": "its signed SHASUMS256.txt does not list node-v24.22.1-win-arm64.zip",
			}},
		{name: "a major without LTS", releases: []string{"25.1.0:current", "24.21.0"}, major: 25, noLTS: true},
		{name: "nothing pinnable", releases: []string{"24.23.0:missing", "24.22.1:partial"}, major: 24,
			errHas: "no LTS release of Node 24 on", skipped: map[string]string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rel, err := Newest(context.Background(), mirror(t, c.releases...), c.major, nil)
			var nolts *NoLTSError
			switch {
			case c.noLTS:
				if !errors.As(err, &nolts) || nolts.Major != c.major || !strings.HasSuffix(nolts.Index, "/index.json") {
					t.Fatalf("err = %v, want a *NoLTSError for %d", err, c.major)
				}
				return
			case c.errHas != "":
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("err = %v, want one saying %q", err, c.errHas)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if rel.Version != c.want || rel.LTS != "Testname" || rel.Date != "2026-01-01" {
				t.Errorf("release %s (LTS %q, %s), want %s (Testname, 2026-01-01)", rel.Version, rel.LTS, rel.Date, c.want)
			}
			got := map[string]string{}
			for _, s := range rel.Skipped {
				got[s.Version] = s.Reason
			}
			if len(got) != len(c.skipped) {
				t.Errorf("skipped %v, want %v", rel.Skipped, c.skipped)
			}
			for v, reason := range c.skipped {
				if !strings.HasPrefix(got[v], reason) {
					t.Errorf("skipped %s: %q, want %q...", v, got[v], reason)
				}
			}
			// The checksum pins cover every platform's default archive (and each form the mirror
			// has besides, such as win-*/node.exe).
			if len(rel.Checksums) != len(rel.checksumKeys) {
				t.Errorf("checksums %v, keys %v", rel.Checksums, rel.checksumKeys)
			}
			for _, tg := range target.Single() {
				file, _, _ := fetch.Artifact(rel.Version, tg, fetch.KindTarGz, fetch.KindZip)
				if _, ok := rel.Checksums[pins.ChecksumKey(rel.Version, file)]; !ok {
					t.Errorf("no checksum pin for %s", file)
				}
			}
			for _, k := range rel.checksumKeys {
				if !strings.HasPrefix(k, pins.NodeSHA256Prefix) || len(rel.Checksums[k]) != 64 {
					t.Errorf("checksum pin %s=%s", k, rel.Checksums[k])
				}
			}
		})
	}
}

// a release as Newest returns it, with checksum pins for two artifacts.
func release(version string) *Release {
	r := &Release{Version: version, LTS: "Testname", Date: "2026-01-01", Checksums: map[string]string{}}
	for i, file := range []string{"node-v" + version + "-linux-x64.tar.gz", "node-v" + version + "-win-x64.zip"} {
		k := pins.ChecksumKey(version, file)
		r.Checksums[k] = strings.Repeat(fmt.Sprint(i+1), 64)
		r.checksumKeys = append(r.checksumKeys, k)
	}
	return r
}

// UpdateFile rewrites NODE_VERSION in place, refreshes the checksum pins the file has, adds the
// rest with pinChecksums, creates a missing file, and writes nothing on a dry run, when nothing
// changes, or when a pin cannot be refreshed.
func TestUpdateFile(t *testing.T) {
	linux, win := pins.ChecksumKey("24.22.0", "node-v24.22.0-linux-x64.tar.gz"), pins.ChecksumKey("24.22.0", "node-v24.22.0-win-x64.zip")
	ones, twos := strings.Repeat("1", 64), strings.Repeat("2", 64)
	for _, c := range []struct {
		name         string
		file         string // "" for no file
		pinChecksums bool
		dryRun       bool
		want         string // the file afterwards
		changed      bool
		created      bool
		keys         []string
		errHas       string
	}{
		{name: "version moves, comments and order kept",
			file: "# pins\nNODE_VERSION=24.21.0 # LTS\nBUN_VERSION=1.3.9\n", changed: true,
			want: "# pins\nNODE_VERSION=24.22.0 # LTS\nBUN_VERSION=1.3.9\n", keys: []string{"NODE_VERSION"}},
		{name: "checksum pins in the file are refreshed",
			file: "NODE_VERSION=24.21.0\n" + linux + "=" + strings.Repeat("0", 64) + "\n", changed: true,
			want: "NODE_VERSION=24.22.0\n" + linux + "=" + ones + "\n", keys: []string{"NODE_VERSION", linux}},
		{name: "pinChecksums adds every pin with a comment",
			file: "NODE_VERSION=24.21.0\n", pinChecksums: true, changed: true,
			want: "NODE_VERSION=24.22.0\n# " + checksumComment + "\n" + linux + "=" + ones + "\n" + win + "=" + twos + "\n",
			keys: []string{"NODE_VERSION", linux, win}},
		{name: "current: nothing changes",
			file: "NODE_VERSION=24.22.0\n", want: "NODE_VERSION=24.22.0\n", keys: []string{"NODE_VERSION"}},
		{name: "dry run writes nothing",
			file: "NODE_VERSION=24.21.0\n", dryRun: true, changed: true, want: "NODE_VERSION=24.21.0\n", keys: []string{"NODE_VERSION"}},
		{name: "a missing file is created",
			changed: true, created: true, want: newFileHeader + "NODE_VERSION=24.22.0\n", keys: []string{"NODE_VERSION"}},
		{name: "a pin of an artifact the release lacks is refused",
			file: "NODE_VERSION=24.21.0\nNODE_SHA256_AIX_PPC64_TAR_GZ=" + ones + "\n", want: "NODE_VERSION=24.21.0\nNODE_SHA256_AIX_PPC64_TAR_GZ=" + ones + "\n",
			errHas: "pins NODE_SHA256_AIX_PPC64_TAR_GZ, but the signed SHASUMS256.txt of Node v24.22.0 has no such artifact: remove that line"},
		{name: "a binary pin without derived binaries is refused",
			file: "NODE_VERSION=24.21.0\nNODE_BIN_SHA256_LINUX_X86_64=" + ones + "\n", want: "NODE_VERSION=24.21.0\nNODE_BIN_SHA256_LINUX_X86_64=" + ones + "\n",
			errHas: "pins NODE_BIN_SHA256_LINUX_X86_64, which is no platform nizepack derives a binary pin for"},
		{name: "a malformed file is refused", file: "NODE_VERSION 24.21.0\n", want: "NODE_VERSION 24.21.0\n", errHas: "reading "},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "versions.env")
			if c.file != "" {
				if err := os.WriteFile(path, []byte(c.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ch, err := UpdateFile(path, release("24.22.0"), c.pinChecksums, c.dryRun)
			if c.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Errorf("err = %v, want one saying %q", err, c.errHas)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if ch.Changed != c.changed || ch.Created != c.created || ch.Path != path || !reflect.DeepEqual(ch.Keys, c.keys) {
				t.Errorf("change %+v, want changed %v, created %v, keys %v", ch, c.changed, c.created, c.keys)
			}
			got, err := os.ReadFile(path)
			if c.file == "" && (c.dryRun || c.errHas != "") {
				if !os.IsNotExist(err) {
					t.Errorf("the file was created: %v", err)
				}
				return
			}
			if string(got) != c.want {
				t.Errorf("file\n%s\nwant\n%s", got, c.want)
			}
			if fi, err := os.Stat(path); err == nil && c.file != "" && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want the file's own 0600 kept", fi.Mode())
			}
		})
	}
}

// PinBinaries writes the binary pins beside the version they belong to and refuses a file that
// pins another version; HasBinaryPins sees them afterwards.
func TestPinBinaries(t *testing.T) {
	sums := map[string]string{pins.BinaryKey("linux-x86_64"): strings.Repeat("a", 64), pins.BinaryTreeKey("linux-x86_64"): strings.Repeat("b", 64)}
	keys := []string{pins.BinaryKey("linux-x86_64"), pins.BinaryTreeKey("linux-x86_64")}
	sort.Strings(keys) // the order they are written in
	for _, c := range []struct {
		name     string
		file     string
		mismatch bool
		created  bool
		keys     []string
	}{
		{name: "beside the same version", file: "NODE_VERSION=24.21.0\n", keys: keys},
		{name: "written as v24.21.0", file: "NODE_VERSION=v24.21.0\n", keys: keys},
		{name: "a missing file gets the version too", created: true, keys: append([]string{pins.NodeVersion}, keys...)},
		{name: "another version is refused", file: "NODE_VERSION=24.20.0\n", mismatch: true},
		{name: "an inexact version is refused", file: "NODE_VERSION=24\n", mismatch: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "versions.env")
			if c.file != "" {
				if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if HasBinaryPins(path) {
				t.Fatal("HasBinaryPins before any was written")
			}
			ch, err := PinBinaries(path, "24.21.0", sums)
			var vm *VersionMismatchError
			if c.mismatch {
				if !errors.As(err, &vm) || vm.Fetched != "24.21.0" || vm.Path != path {
					t.Fatalf("err = %v, want a *VersionMismatchError", err)
				}
				if got, _ := os.ReadFile(path); string(got) != c.file || HasBinaryPins(path) {
					t.Errorf("the file changed: %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !ch.Changed || ch.Created != c.created || !reflect.DeepEqual(ch.Keys, c.keys) {
				t.Errorf("change %+v, want changed, created %v, keys %v", ch, c.created, c.keys)
			}
			if !HasBinaryPins(path) {
				t.Error("HasBinaryPins false after PinBinaries")
			}
			got, _ := os.ReadFile(path)
			for k, v := range sums {
				if !strings.Contains(string(got), "\n"+k+"="+v+"\n") {
					t.Errorf("file lacks %s=%s:\n%s", k, v, got)
				}
			}
			// Again with the same sums: nothing to write.
			if ch, err := PinBinaries(path, "24.21.0", sums); err != nil || ch.Changed {
				t.Errorf("second PinBinaries: %+v, %v; want unchanged", ch, err)
			}
		})
	}
}
