// Package nodemirror builds and serves a Node.js distribution mirror laid out exactly like the
// official one (<dir>/v<V>/node-v<V>-<dist>.tar.{xz,gz}, node-v<V>-win-<arch>.zip,
// win-<arch>/node.exe, SHASUMS256.txt, .asc clearsigned, .sig detached, index.json), signed
// with a key it generates. It exists for tests and benchmarks; the product never uses it.
package nodemirror

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/mholt/archives"

	"github.com/nize/nizepack/internal/fakebin"
	"github.com/nize/nizepack/internal/filehash"
	"github.com/nize/nizepack/target"
)

// Key is a signing key and its armored public half (what --keyring reads).
type Key struct {
	Entity       *openpgp.Entity
	PublicArmor  []byte
	PrivateArmor []byte
	// SignTime, when set, is the creation time of the signatures the key makes.
	SignTime time.Time
}

// NewKey generates an Ed25519 signing key, or RSA when rsaBits > 0.
func NewKey(name string, rsaBits int) (*Key, error) {
	return NewKeyAt(name, rsaBits, time.Time{}, 0)
}

// NewKeyAt generates a key created at created (zero: now) that expires after lifetime (0:
// never). Its signatures are made at created plus a minute, inside its lifetime, so a key
// created far enough in the past is an expired key whose old signatures were valid.
func NewKeyAt(name string, rsaBits int, created time.Time, lifetime time.Duration) (*Key, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	if rsaBits > 0 {
		cfg = &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: rsaBits}
	}
	k := &Key{}
	if !created.IsZero() {
		cfg.Time = func() time.Time { return created }
		k.SignTime = created.Add(time.Minute)
	}
	cfg.KeyLifetimeSecs = uint32(lifetime / time.Second)
	e, err := openpgp.NewEntity(name, "test release key", strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.invalid", cfg)
	if err != nil {
		return nil, err
	}
	k.Entity = e
	return k, k.armor()
}

// Revoke revokes the key (reason: compromised) and updates PublicArmor, as a keyring that
// learned of the revocation holds it.
func (k *Key) Revoke() error {
	if err := k.Entity.RevokeKey(packet.KeyCompromised, "test revocation", nil); err != nil {
		return err
	}
	return k.armor()
}

func (k *Key) signConfig() *packet.Config {
	if k.SignTime.IsZero() {
		return nil
	}
	t := k.SignTime
	return &packet.Config{Time: func() time.Time { return t }}
}

func (k *Key) armor() error {
	e := k.Entity
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		return err
	}
	if err := e.Serialize(w); err != nil {
		return err
	}
	w.Close()
	k.PublicArmor = pub.Bytes()
	return nil
}

// Options shape a built version directory.
type Options struct {
	// Binaries maps a Node dist name ("linux-x64", "win-arm64", ...) to the node binary's bytes;
	// dists without one get a fakebin executable of the right format and CPU that prints
	// "v<version>\n".
	Binaries map[string][]byte
	// Dists limits which dists are built (default: all six).
	Dists []string
	// TarKinds lists the tarball forms for macOS/Linux: "xz", "gz" (default both).
	TarKinds []string
	// Tamper hooks let bad-case tests alter the archive layout. NodeEntry, when set, replaces
	// how the binary entry is written in tarballs.
	NodeEntry func(tw *tar.Writer, name string, bin []byte) error
	// ExtraFirst adds entries before everything else in every tarball (e.g. "../x").
	ExtraFirst []tar.Header
}

// Build writes the version directory <dir>/v<version>/ with every artifact, SHASUMS256.txt
// and, when key is non-nil, SHASUMS256.txt.asc and SHASUMS256.txt.sig.
func Build(dir, version string, key *Key, opts Options) error {
	vdir := filepath.Join(dir, "v"+version)
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	kinds := opts.TarKinds
	if len(kinds) == 0 {
		kinds = []string{"xz", "gz"}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for _, t := range target.Single() {
		if len(opts.Dists) > 0 && !contains(opts.Dists, t.NodeDist) {
			continue
		}
		bin := opts.Binaries[t.NodeDist]
		if bin == nil {
			var err error
			if bin, err = fakebin.Executable(t.GOOS, t.GOARCH, "v"+version+"\n"); err != nil {
				return err
			}
		}
		top := "node-v" + version + "-" + t.NodeDist
		if t.Windows() {
			if err := writeZip(filepath.Join(vdir, top+".zip"), top, bin); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(vdir, t.NodeDist), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(vdir, t.NodeDist, "node.exe"), bin, 0o644); err != nil {
				return err
			}
			continue
		}
		for _, k := range kinds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := writeTarball(filepath.Join(vdir, top+".tar."+k), k, top, bin, opts); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return Sign(vdir, key)
}

// Sign (re)writes SHASUMS256.txt for every file under vdir, and its .asc and .sig with key
// (nil key: no signatures).
func Sign(vdir string, key *Key) error {
	var lines []string
	err := filepath.Walk(vdir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || strings.HasPrefix(fi.Name(), "SHASUMS256") {
			return err
		}
		sum, _, err := filehash.SHA256(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(vdir, p)
		lines = append(lines, sum+"  "+filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(lines)
	text := []byte(strings.Join(lines, "\n") + "\n")
	return WriteSums(vdir, text, key)
}

// WriteSums writes SHASUMS256.txt with text, and signs exactly that text with key.
func WriteSums(vdir string, text []byte, key *Key) error {
	if err := os.WriteFile(filepath.Join(vdir, "SHASUMS256.txt"), text, 0o644); err != nil {
		return err
	}
	if key == nil {
		return nil
	}
	var asc bytes.Buffer
	w, err := clearsign.Encode(&asc, key.Entity.PrivateKey, key.signConfig())
	if err != nil {
		return err
	}
	w.Write(text)
	if err := w.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(vdir, "SHASUMS256.txt.asc"), asc.Bytes(), 0o644); err != nil {
		return err
	}
	var sig bytes.Buffer
	if err := openpgp.DetachSign(&sig, key.Entity, bytes.NewReader(text), key.signConfig()); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(vdir, "SHASUMS256.txt.sig"), sig.Bytes(), 0o644)
}

func writeTarball(path, kind, top string, bin []byte, opts Options) error {
	var comp archives.Compressor = archives.Gz{}
	if kind == "xz" {
		comp = archives.Xz{}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cw, err := comp.OpenWriter(f)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(cw)
	mtime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, h := range opts.ExtraFirst {
		h := h
		h.ModTime = mtime
		if err := tw.WriteHeader(&h); err != nil {
			return err
		}
		if h.Size > 0 {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	// The official layout: top dir, bin/ with node and the npm/npx/corepack symlinks,
	// include/, lib/, share/, and the docs at the top.
	dirs := []string{top + "/", top + "/bin/", top + "/include/node/", top + "/lib/node_modules/npm/bin/", top + "/share/doc/node/"}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: mtime}); err != nil {
			return err
		}
	}
	files := map[string]string{
		top + "/CHANGELOG.md":                        "# Node.js ChangeLog\n",
		top + "/LICENSE":                             "Node.js is licensed for use as follows: MIT\n",
		top + "/README.md":                           "# Node.js\n",
		top + "/include/node/node_version.h":         "#define NODE_MAJOR_VERSION 0\n",
		top + "/lib/node_modules/npm/bin/npm-cli.js": "#!/usr/bin/env node\n",
		top + "/lib/node_modules/npm/bin/npx-cli.js": "#!/usr/bin/env node\n",
		top + "/share/doc/node/gdbinit":              "# gdb\n",
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := writeTarFile(tw, n, []byte(files[n]), 0o644, mtime); err != nil {
			return err
		}
	}
	if opts.NodeEntry != nil {
		err = opts.NodeEntry(tw, top+"/bin/node", bin)
	} else {
		err = writeTarFile(tw, top+"/bin/node", bin, 0o755, mtime)
	}
	if err != nil {
		return err
	}
	for link, to := range map[string]string{"npm": "../lib/node_modules/npm/bin/npm-cli.js", "npx": "../lib/node_modules/npm/bin/npx-cli.js"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: top + "/bin/" + link, Linkname: to, Mode: 0o777, ModTime: mtime}); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := cw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func writeTarFile(tw *tar.Writer, name string, data []byte, mode int64, mtime time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: mode, ModTime: mtime}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func writeZip(path, top string, bin []byte) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{top + "/CHANGELOG.md", []byte("# Node.js ChangeLog\n")},
		{top + "/LICENSE", []byte("MIT\n")},
		{top + "/node.exe", bin},
		{top + "/npm.cmd", []byte("@ECHO off\n")},
		{top + "/node_modules/npm/bin/npm-cli.js", []byte("#!/usr/bin/env node\n")},
	} {
		if err := add(f.name, f.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// WriteIndex writes <dir>/index.json in the official shape (newest first).
func WriteIndex(dir string, releases []Release) error {
	data, err := json.MarshalIndent(releases, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.json"), data, 0o644)
}

// Release is one index.json entry.
type Release struct {
	Version  string   `json:"version"` // "v24.21.0"
	Date     string   `json:"date"`
	Files    []string `json:"files"`
	LTS      any      `json:"lts"` // codename string or false
	Security bool     `json:"security"`
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Faults make the server misbehave, each on the first request(s) for a path (relative to the
// mirror root, e.g. "v24.21.0/node-v24.21.0-linux-x64.tar.gz").
type Faults struct {
	mu sync.Mutex
	// Status503Once answers 503 (with Retry-After: 0) the first time a path is asked for.
	Status503Once map[string]bool
	// TruncateOnce sends only the first half of the body, then closes the connection.
	TruncateOnce map[string]bool
	// StallOnce sends half the body, then sends nothing more until the client gives up.
	StallOnce map[string]bool
	// NoRange makes the server ignore Range headers.
	NoRange bool
	// Auth, when set, is the Authorization header every request must carry (else 401).
	Auth string
	// GzipEncoding labels every .tar.gz "Content-Encoding: gzip", as Apache's default
	// AddEncoding does (the body stays the .tar.gz bytes).
	GzipEncoding bool
	// Endless answers a path with a chunked body (no Content-Length) that never ends.
	Endless map[string]bool
	// Range416 answers every ranged request 416 with "Content-Range: bytes */<size>".
	Range416 bool
	// Hold, when non-nil, delays every response for a path until the channel is closed or the
	// client goes away.
	Hold map[string]chan struct{}
	// Requests counts requests per path, ranged ones included; Ranged counts those with a Range.
	Requests, Ranged map[string]int
}

// RangedCount returns how many requests for a path asked for a byte range.
func (f *Faults) RangedCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Ranged[path]
}

// Count returns how many requests a path got.
func (f *Faults) Count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Requests[path]
}

// Handler serves dir like the official mirror, with faults.
func Handler(dir string, faults *Faults) http.Handler {
	if faults == nil {
		faults = &Faults{}
	}
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		faults.mu.Lock()
		if faults.Requests == nil {
			faults.Requests = map[string]int{}
		}
		faults.Requests[p]++
		if r.Header.Get("Range") != "" {
			if faults.Ranged == nil {
				faults.Ranged = map[string]int{}
			}
			faults.Ranged[p]++
		}
		fail503 := faults.Status503Once[p]
		delete(faults.Status503Once, p)
		truncate := faults.TruncateOnce[p]
		delete(faults.TruncateOnce, p)
		stall := faults.StallOnce[p]
		delete(faults.StallOnce, p)
		endless := faults.Endless[p]
		hold := faults.Hold[p]
		faults.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}

		if faults.Auth != "" && r.Header.Get("Authorization") != faults.Auth {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}

		if fail503 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if faults.NoRange {
			r.Header.Del("Range")
		}
		if endless {
			w.WriteHeader(http.StatusOK)
			chunk := bytes.Repeat([]byte{0x1f}, 64<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			return
		}
		if faults.Range416 && r.Header.Get("Range") != "" {
			if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", fi.Size()))
			}
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		if faults.GzipEncoding && strings.HasSuffix(p, ".tar.gz") {
			w.Header().Set("Content-Encoding", "gzip")
		}
		if truncate || stall {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.Header().Set("Accept-Ranges", "bytes")
			w.WriteHeader(http.StatusOK)
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			if stall {
				select {
				case <-r.Context().Done():
				case <-time.After(time.Minute):
				}
				return
			}
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
		files.ServeHTTP(w, r)
	})
}

// Serve starts a loopback server for dir.
func Serve(dir string, faults *Faults) *httptest.Server {
	return httptest.NewServer(Handler(dir, faults))
}

// BuildBun writes Bun's release layout for version: <dir>/bun-v<version>/bun-<platform>.zip
// holding bun-<platform>/bun (bun.exe on Windows) for every target Bun publishes, SHASUMS256.txt
// and, when key is non-nil, SHASUMS256.txt.asc. Binaries maps a Bun platform name
// ("linux-x64", ...) to the binary's bytes; the others get a fakebin executable of the right
// format and CPU. Only the platforms in only are built when it is non-empty.
func BuildBun(dir, version string, key *Key, binaries map[string][]byte, only []string) error {
	vdir := filepath.Join(dir, "bun-v"+version)
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	for _, t := range target.Single() {
		if t.BunDist == "" || len(only) > 0 && !contains(only, t.BunDist) {
			continue
		}
		bin := binaries[t.BunDist]
		if bin == nil {
			var err error
			if bin, err = fakebin.Executable(t.GOOS, t.GOARCH, version+"\n"); err != nil {
				return err
			}
		}
		top := "bun-" + t.BunDist
		if err := writeBunZip(filepath.Join(vdir, top+".zip"), top, "bun"+t.Exe(), bin); err != nil {
			return err
		}
	}
	if err := Sign(vdir, key); err != nil {
		return err
	}
	// Bun publishes the clearsigned list only.
	if err := os.Remove(filepath.Join(vdir, "SHASUMS256.txt.sig")); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// writeBunZip writes a zip like Bun's: the folder entry, then the binary (executable).
func writeBunZip(path, top, name string, bin []byte) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if _, err := zw.CreateHeader(&zip.FileHeader{Name: top + "/", Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		return err
	}
	h := &zip.FileHeader{Name: top + "/" + name, Method: zip.Deflate, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(bin); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// BuildReleases writes several versions and their index.json into dir. Each spec is "VERSION"
// or "VERSION:FLAG": lts (the default) is an LTS release, current is not, missing is listed in
// index.json but has no files, partial lacks win-arm64, unsigned has no signatures. Tarballs are
// made in tarKinds.
func BuildReleases(dir string, key *Key, tarKinds []string, specs ...string) error {
	var index []Release
	for _, a := range specs {
		version, flag, _ := strings.Cut(a, ":")
		rel := Release{Version: "v" + version, Date: "2026-01-01", LTS: "Testname",
			Files: []string{"linux-arm64", "linux-x64", "osx-arm64-tar", "osx-x64-tar", "win-arm64-zip", "win-x64-zip"}}
		opts, signer := Options{TarKinds: tarKinds}, key
		switch flag {
		case "", "lts":
		case "current":
			rel.LTS = false
		case "missing":
			index = append(index, rel)
			continue
		case "partial":
			opts.Dists = []string{"darwin-arm64", "darwin-x64", "linux-x64", "linux-arm64", "win-x64"}
		case "unsigned":
			signer = nil
		default:
			return fmt.Errorf("release %q: unknown flag %q (lts, current, missing, partial, unsigned)", a, flag)
		}
		if err := Build(dir, version, signer, opts); err != nil {
			return err
		}
		index = append(index, rel)
	}
	return WriteIndex(dir, index)
}
