package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nize/nizepack/report"
)

// writeTree creates files (slash paths → contents) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeApp is a package dir with two tiny npm packages whose sources load assets the way PGlite
// does: minified and not, with and without "./", from a subfolder, and one absolute URL.
func fakeApp(t *testing.T) string {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"package.json":                             `{"name":"app","private":true}`,
		"node_modules/@x/db/package.json":          `{"name":"@x/db","version":"1.2.3","type":"module","exports":"./dist/index.js"}`,
		"node_modules/@x/db/dist/index.js":         "export const wasm=new URL(\"./engine.wasm\",import.meta.url),data=new URL('engine.data', import.meta.url);\nexport {more} from './sub/more.js';\nexport const site = new URL(\"https://example.invalid/x.wasm\", import.meta.url);\n",
		"node_modules/@x/db/dist/sub/more.js":      "export const more = new URL(\n  `../extra/ext.tar.gz`,\n  import.meta.url\n);\n",
		"node_modules/@x/db/dist/engine.wasm":      "WASM",
		"node_modules/@x/db/dist/engine.data":      "DATA",
		"node_modules/@x/db/dist/extra/ext.tar.gz": "TGZ",
		"node_modules/@x/db/dist/unused.wasm":      "never referenced",
		"node_modules/plain/package.json":          `{"name":"plain","version":"0.1.0","main":"index.js"}`,
		"node_modules/plain/index.js":              "module.exports = { plain: true };\n",
		"server.mjs":                               "import { wasm, data, more, site } from '@x/db';\nimport p from 'plain';\nconsole.log(wasm.href, data.href, more.href, site.href, p.plain);\n",
	})
	return dir
}

func bundleOpts(pkg, out string) Options {
	return Options{Entry: filepath.Join(pkg, "server.mjs"), PackageDir: pkg, Out: out, NodeMajor: 24}
}

func readManifestT(t *testing.T, out string) *manifest {
	t.Helper()
	m := readManifest(out)
	if m == nil {
		t.Fatalf("no readable %s in %s", ManifestFile, out)
	}
	return m
}

func TestBundleDiscoversAndRewritesAssets(t *testing.T) {
	pkg := fakeApp(t)
	out := filepath.Join(t.TempDir(), "resources", "pglite")
	res, err := Build(context.Background(), bundleOpts(pkg, out))
	if err != nil {
		t.Fatal(err)
	}
	if res.UpToDate {
		t.Fatal("first run reported up to date")
	}
	for name, want := range map[string]string{"engine.wasm": "WASM", "engine.data": "DATA", "ext.tar.gz": "TGZ"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "unused.wasm")); err == nil {
		t.Error("unused.wasm was copied although no bundled source refers to it")
	}
	js, err := os.ReadFile(filepath.Join(out, ServerFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"./engine.wasm", "./engine.data", "./ext.tar.gz"} {
		if !strings.Contains(string(js), `new URL("`+ref+`", import.meta.url)`) {
			t.Errorf("bundle does not refer to %s beside itself:\n%s", ref, js)
		}
	}
	if strings.Contains(string(js), "../extra/") {
		t.Error("bundle still refers to the asset's place in the package")
	}
	if !strings.Contains(string(js), "https://example.invalid/x.wasm") {
		t.Error("absolute URL was not kept as is")
	}

	m := readManifestT(t, out)
	if m.Target != "node24" || m.Packages["@x/db"] != "1.2.3" || m.Packages["plain"] != "0.1.0" {
		t.Errorf("manifest target/packages = %s %v", m.Target, m.Packages)
	}
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
		sum, size, err := hashFile(filepath.Join(out, f.Name))
		if err != nil || sum != f.SHA256 || size != f.Size {
			t.Errorf("manifest entry %+v does not match the file (%s, %d, %v)", f, sum, size, err)
		}
	}
	if got := strings.Join(names, " "); got != "engine.data engine.wasm ext.tar.gz pglite-server.mjs" {
		t.Errorf("manifest files = %s", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("temp dirs left beside the output: %v", entries)
	}
}

func TestBundleUpToDateRewritesNothing(t *testing.T) {
	pkg := fakeApp(t)
	out := t.TempDir()
	if _, err := Build(context.Background(), bundleOpts(pkg, out)); err != nil {
		t.Fatal(err)
	}
	// Age every output file; an up-to-date run must leave the times alone.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		os.Chtimes(filepath.Join(out, e.Name()), old, old)
	}
	res, err := Build(context.Background(), bundleOpts(pkg, out))
	if err != nil {
		t.Fatal(err)
	}
	if !res.UpToDate {
		t.Fatal("second run with unchanged inputs was not up to date")
	}
	for _, e := range entries {
		st, err := os.Stat(filepath.Join(out, e.Name()))
		if err != nil || !st.ModTime().Equal(old) {
			t.Errorf("%s was rewritten by an up-to-date run", e.Name())
		}
	}

	// A changed asset, a damaged output, a changed option or --force each rebuild.
	rebuilt := func(why string, o Options) {
		t.Helper()
		res, err := Build(context.Background(), o)
		if err != nil {
			t.Fatalf("%s: %v", why, err)
		}
		if res.UpToDate {
			t.Errorf("%s: reported up to date", why)
		}
	}
	writeTree(t, pkg, map[string]string{"node_modules/@x/db/dist/engine.wasm": "WASM2"})
	rebuilt("changed asset", bundleOpts(pkg, out))
	if got, _ := os.ReadFile(filepath.Join(out, "engine.wasm")); string(got) != "WASM2" {
		t.Errorf("engine.wasm = %q after the asset changed", got)
	}
	os.WriteFile(filepath.Join(out, "engine.data"), []byte("XXXX"), 0o644)
	rebuilt("damaged output", bundleOpts(pkg, out))
	if got, _ := os.ReadFile(filepath.Join(out, "engine.data")); string(got) != "DATA" {
		t.Errorf("engine.data = %q after repair", got)
	}
	o := bundleOpts(pkg, out)
	o.Minify = true
	rebuilt("--minify", o)
	o.Force = true
	rebuilt("--force", o)
	writeTree(t, pkg, map[string]string{"node_modules/.package-lock.json": "{}"})
	rebuilt("npm install", o)
}

func TestBundleKeepsForeignFilesAndDropsStaleOnes(t *testing.T) {
	pkg := fakeApp(t)
	out := t.TempDir()
	writeTree(t, out, map[string]string{".gitkeep": "", "notes/README.txt": "mine", "engine.wasm": "left by an old script"})
	if err := os.Chmod(filepath.Join(out, "notes", "README.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := bundleOpts(pkg, out)
	o.Sourcemap = true
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, ServerFile+".map")); err != nil {
		t.Fatalf("--sourcemap wrote no map: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "engine.wasm")); string(got) != "WASM" {
		t.Errorf("engine.wasm = %q, want the bundle's asset", got)
	}
	// Without --sourcemap the map is no longer produced: it goes; the user's files stay.
	o.Sourcemap = false
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, ServerFile+".map")); !os.IsNotExist(err) {
		t.Errorf("stale %s.map was kept: %v", ServerFile, err)
	}
	if _, err := os.Stat(filepath.Join(out, ".gitkeep")); err != nil {
		t.Errorf(".gitkeep: %v", err)
	}
	st, err := os.Stat(filepath.Join(out, "notes", "README.txt"))
	if got, _ := os.ReadFile(filepath.Join(out, "notes", "README.txt")); err != nil || string(got) != "mine" || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o600) {
		t.Errorf("notes/README.txt changed: %q %v", got, err)
	}
	for _, f := range readManifestT(t, out).Files {
		if f.Name == ".gitkeep" || f.Name == "notes" {
			t.Errorf("manifest claims the user's %s", f.Name)
		}
	}
}

func TestBundleErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("missing package", func(t *testing.T) {
		pkg := t.TempDir()
		out := filepath.Join(t.TempDir(), "out")
		_, err := Build(ctx, Options{PackageDir: pkg, Out: out, NodeMajor: 24})
		var missing *MissingPackageError
		if !errors.As(err, &missing) {
			t.Fatalf("err = %v, want a MissingPackageError", err)
		}
		want := "cannot resolve @electric-sql/pglite from " + pkg
		if err.Error() != want || missing.Package != "@electric-sql/pglite" || missing.Dir != pkg {
			t.Errorf("err = %q\nwant %q", err, want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Error("a failed run created the output dir")
		}
	})
	// Each failure names file:line:col and leaves an earlier good bundle exactly as it was.
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"syntax error", map[string]string{"server.mjs": "import '@x/db';\nconst x = ;\n"}, `server\.mjs:2:11: Unexpected ";"`},
		{"missing asset", map[string]string{"node_modules/@x/db/dist/sub/more.js": "export const more = 1;\nnew URL('./gone.wasm', import.meta.url);\n"}, `more\.js:2:1: asset "gone\.wasm" .* does not exist`},
		{"name clash", map[string]string{"node_modules/@x/db/dist/sub/more.js": "export const more = new URL('./engine.wasm', import.meta.url);\n", "node_modules/@x/db/dist/sub/engine.wasm": "OTHER"}, `asset name clash: .*engine\.wasm`},
		{"reserved name", map[string]string{"node_modules/@x/db/dist/sub/more.js": "export const more = new URL('./pglite-server.mjs', import.meta.url);\n", "node_modules/@x/db/dist/sub/pglite-server.mjs": ""}, `would overwrite the bundle's own pglite-server\.mjs`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkg := fakeApp(t)
			out := t.TempDir()
			if _, err := Build(ctx, bundleOpts(pkg, out)); err != nil {
				t.Fatal(err)
			}
			before := readManifestT(t, out)
			writeTree(t, pkg, tc.files)
			_, err := Build(ctx, bundleOpts(pkg, out))
			if err == nil || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Fatalf("err = %v, want match for %s", err, tc.want)
			}
			after := readManifestT(t, out)
			if before.Key != after.Key {
				t.Error("a failed run changed the output")
			}
			entries, _ := os.ReadDir(filepath.Dir(out))
			for _, e := range entries {
				if strings.Contains(e.Name(), "nizepack-tmp") {
					t.Errorf("temp dir %s left behind", e.Name())
				}
			}
		})
	}
	t.Run("identical copies share one name", func(t *testing.T) {
		pkg := fakeApp(t)
		writeTree(t, pkg, map[string]string{
			"node_modules/@x/db/dist/sub/more.js":     "export const more = new URL('./engine.wasm', import.meta.url);\n",
			"node_modules/@x/db/dist/sub/engine.wasm": "WASM",
		})
		if _, err := Build(ctx, bundleOpts(pkg, t.TempDir())); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBundleFixture bundles the real PGlite packages of testdata/app (installed by `npm ci`).
func TestBundleFixture(t *testing.T) {
	app, _ := filepath.Abs(filepath.Join("..", "testdata", "app"))
	if _, err := os.Stat(filepath.Join(app, "node_modules", "@electric-sql", "pglite-socket")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("testdata/app is not installed in CI: %v", err)
		}
		t.Skip("testdata/app has no node_modules: run `npm ci` in testdata/app")
	}
	out := t.TempDir()
	res, err := Build(context.Background(), Options{PackageDir: app, Out: out, NodeMajor: 24})
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(app, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pl struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if err := json.Unmarshal(lock, &pl); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"@electric-sql/pglite", "@electric-sql/pglite-socket", "@electric-sql/pglite-pgvector"} {
		if got, want := res.Packages[name], pl.Packages["node_modules/"+name].Version; got == "" || got != want {
			t.Errorf("package %s = %q, lock says %q", name, got, want)
		}
	}
	have := map[string]int64{}
	for _, f := range res.Files {
		have[f.Name] = f.Size
	}
	for _, name := range []string{ServerFile, "pglite.wasm", "pglite.data", "initdb.wasm", "vector.tar.gz"} {
		st, err := os.Stat(filepath.Join(out, name))
		if err != nil || have[name] == 0 || st.Size() != have[name] {
			t.Errorf("%s: on disk %v, in result %d bytes", name, err, have[name])
		}
	}
	js, _ := os.ReadFile(filepath.Join(out, ServerFile))
	for _, m := range assetURL.FindAllSubmatch(js, -1) {
		ref := string(m[1]) + string(m[2]) + string(m[3])
		if schemeRe.MatchString(ref) {
			continue
		}
		if !strings.HasPrefix(ref, "./") || strings.Contains(ref[2:], "/") {
			t.Errorf("bundle refers to %q, not to a file beside it", ref)
		} else if _, err := os.Stat(filepath.Join(out, ref[2:])); err != nil {
			t.Errorf("bundle refers to %s, which was not copied", ref)
		}
	}
	if m := readManifestT(t, out); m.Target != "node24" || m.Entry != embeddedEntryName {
		t.Errorf("manifest target %s entry %s", m.Target, m.Entry)
	}
}

// recorder keeps what a run reported.
type recorder struct {
	report.Nop
	warnings, infos []string
}

func (r *recorder) Infof(format string, args ...any) {
	r.infos = append(r.infos, fmt.Sprintf(format, args...))
}

func (r *recorder) Warnf(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

func TestBundleWarnsAboutAlargeBundle(t *testing.T) {
	pkg := fakeApp(t)
	big := strings.Repeat("x", largeBundle+1024)
	writeTree(t, pkg, map[string]string{"server.mjs": "console.log(" + strconv.Quote(big) + ");\n"})
	rec := &recorder{}
	o := bundleOpts(pkg, t.TempDir())
	o.Reporter = rec
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if len(rec.warnings) != 1 || !strings.Contains(rec.warnings[0], "pglite-server.mjs is 5.0 MiB, over 5 MiB") {
		t.Errorf("warnings = %q", rec.warnings)
	}
	// A normal bundle warns about nothing.
	writeTree(t, pkg, map[string]string{"server.mjs": "console.log(1);\n"})
	rec.warnings = nil
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if len(rec.warnings) != 0 {
		t.Errorf("warnings = %q", rec.warnings)
	}
}

// A bundle of CommonJS code that calls require() at run time gets a createRequire banner, named
// by File, and runs: without it esbuild's shim throws `Dynamic require of "path"`.
func TestRequireBannerForCommonJS(t *testing.T) {
	pkg := t.TempDir()
	writeTree(t, pkg, map[string]string{
		"node_modules/cjs/package.json": `{"name":"cjs","version":"1.0.0","main":"index.js"}`,
		"node_modules/cjs/index.js":     "module.exports = { sep: require('path').sep };\n",
		"proxy.mjs":                     "import c from 'cjs';\nconsole.log('sep=' + c.sep);\n",
	})
	out := filepath.Join(t.TempDir(), "mcp")
	rec := &recorder{}
	res, err := Build(context.Background(), Options{Entry: filepath.Join(pkg, "proxy.mjs"), PackageDir: pkg, Out: out, NodeMajor: 24, File: "proxy.mjs", Reporter: rec})
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(out, "proxy.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.RequireBanner || !strings.HasPrefix(string(js), RequireBanner) {
		t.Errorf("no createRequire banner: %v\n%.300s", res.RequireBanner, js)
	}
	if _, err := os.Stat(filepath.Join(out, ServerFile)); !os.IsNotExist(err) {
		t.Errorf("%s written for a bundle named proxy.mjs", ServerFile)
	}
	if node, err := exec.LookPath("node"); err == nil {
		got, err := exec.Command(node, filepath.Join(out, "proxy.mjs")).CombinedOutput()
		if err != nil || !strings.Contains(string(got), "sep=/") && !strings.Contains(string(got), `sep=\`) {
			t.Errorf("running the bundle: %v\n%s", err, got)
		}
	}
	// An explicit banner is used as given; an ESM-only bundle gets none.
	writeTree(t, pkg, map[string]string{"plain.mjs": "console.log(1);\n"})
	res, err = Build(context.Background(), Options{Entry: filepath.Join(pkg, "plain.mjs"), PackageDir: pkg, Out: filepath.Join(t.TempDir(), "p"), NodeMajor: 24, File: "plain.mjs"})
	if err != nil || res.RequireBanner {
		t.Errorf("plain ESM: %+v, %v", res, err)
	}
}
