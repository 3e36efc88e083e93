package fetch_test

import (
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nize/nizepack/fetch"
	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/internal/nodemirror"
	"github.com/nize/nizepack/target"
)

// BenchmarkFetchNodeVsShell times, in the same run and alternating, a cold and a warm
// fetch.Client.Install against the shell pipeline it replaces (curl the archive and the sums,
// sha256sum -c, tar -x the binary), on a loopback mirror. The binary is the real node when
// NIZEPACK_REAL_NODE names one, else a synthetic 40 MB ELF. It reports ratios to the shell.
func BenchmarkFetchNodeVsShell(b *testing.B) {
	for _, tool := range []string{"curl", "sha256sum", "tar", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("needs %s", tool)
		}
	}
	bin := syntheticNode(b)
	mirrorDir := b.TempDir()
	if err := nodemirror.Build(mirrorDir, version, key(b), nodemirror.Options{Dists: []string{"linux-x64"}, TarKinds: []string{"gz"}, Binaries: map[string][]byte{"linux-x64": bin}}); err != nil {
		b.Fatal(err)
	}
	srv := nodemirror.Serve(mirrorDir, nil)
	defer srv.Close()
	kr, err := fetch.ParseKeyring(key(b).PublicArmor)
	if err != nil {
		b.Fatal(err)
	}
	tg, _ := target.Parse("linux-x64")
	top := "node-v" + version + "-linux-x64"
	shell := `set -e; curl -fsSO "$1/v$2/$3.tar.gz"; curl -fsSO "$1/v$2/SHASUMS256.txt"
grep " $3.tar.gz\$" SHASUMS256.txt | sha256sum -c - >/dev/null; tar -xzf "$3.tar.gz" "$3/bin/node"; cp "$3/bin/node" node-x86_64-unknown-linux-gnu`

	var tShell, tCold, tWarm, tPinned time.Duration
	warmCache, pinnedOut := b.TempDir(), b.TempDir()
	var pinned fetch.Result
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		start := time.Now()
		cmd := exec.Command("sh", "-c", shell, "sh", srv.URL, version, top)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("shell pipeline: %v\n%s", err, out)
		}
		tShell += time.Since(start)

		install := func(cache string, req fetch.Request) (fetch.Result, time.Duration) {
			c, err := fetch.New(fetch.Options{Mirror: srv.URL, Keyring: kr, CacheDir: cache})
			if err != nil {
				b.Fatal(err)
			}
			req.Version = version
			start := time.Now()
			res, err := c.Install(context.Background(), req, tg)
			if err != nil {
				b.Fatal(err)
			}
			return res[0], time.Since(start)
		}
		run := func(cache string) time.Duration {
			_, d := install(cache, fetch.Request{OutDir: b.TempDir()})
			return d
		}
		tCold += run(b.TempDir())
		if i == 0 {
			run(warmCache) // fill it
			pinned, _ = install(warmCache, fetch.Request{OutDir: pinnedOut, TreeSums: true})
		}
		tWarm += run(warmCache)
		// Both binary pins and the output in place: the tree hash on every core, nothing else.
		res, d := install(b.TempDir(), fetch.Request{
			OutDir:        pinnedOut,
			BinaryPin:     func(target.Target) (string, bool) { return pinned.SHA256, true },
			BinaryTreePin: func(target.Target) (string, bool) { return pinned.TreeSHA256, true },
		})
		if !res.UpToDate || res.VerifiedBy != fetch.VerifiedByPin {
			b.Fatalf("pinned run: %+v", res)
		}
		tPinned += d
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(tShell.Milliseconds())/n, "shell-ms/op")
	b.ReportMetric(float64(tCold.Milliseconds())/n, "cold-ms/op")
	b.ReportMetric(float64(tWarm.Milliseconds())/n, "warm-ms/op")
	b.ReportMetric(float64(tCold)/float64(tShell), "cold/shell")
	b.ReportMetric(float64(tWarm)/float64(tShell), "warm/shell")
	b.ReportMetric(float64(tPinned.Microseconds())/n/1000, "pinned-ms/op")
	b.ReportMetric(float64(tPinned)/float64(tShell), "pinned/shell")
}

func syntheticNode(b *testing.B) []byte {
	if p := os.Getenv("NIZEPACK_REAL_NODE"); p != "" {
		data, err := os.ReadFile(filepath.Clean(p))
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	exe, err := fakebin.Executable("linux", "amd64", "v"+version+"\n")
	if err != nil {
		b.Fatal(err)
	}
	// Compressible like machine code: random words from a small vocabulary.
	r := rand.New(rand.NewSource(1))
	words := make([][]byte, 256)
	for i := range words {
		words[i] = make([]byte, 4+r.Intn(12))
		r.Read(words[i])
	}
	out := append([]byte{}, exe...)
	for len(out) < 40<<20 {
		out = append(out, words[r.Intn(len(words))]...)
	}
	return out
}
