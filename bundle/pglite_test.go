package bundle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func matches(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// A workspace app in the shapes PGlite comes in. Packages are hoisted to the root node_modules
// (npm workspaces), the entry lives in packages/desk.
func workspaceApp(t *testing.T, files map[string]string) (root, pkg string) {
	root = t.TempDir()
	base := map[string]string{
		"package.json":                       `{"name":"root","private":true,"workspaces":["packages/*"]}`,
		"packages/desk/package.json":         `{"name":"desk","type":"module"}`,
		"node_modules/.package-lock.json":    `{"lockfileVersion":3}`,
		"packages/desk/scripts/server.mjs":   "import { vector } from 'nizepack:pglite-vector';\nimport { PGlite } from '@electric-sql/pglite';\nconsole.log(vector, PGlite);\n",
		"node_modules/@electric-sql/x/x.txt": "",
	}
	for k, v := range files {
		base[k] = v
	}
	writeTree(t, root, base)
	return root, filepath.Join(root, "packages", "desk")
}

const (
	pglite03 = `{"name":"@electric-sql/pglite","version":"0.3.15","type":"module","exports":{".":"./dist/index.js","./vector":"./dist/vector/index.js"}}`
	pglite05 = `{"name":"@electric-sql/pglite","version":"0.5.14","type":"module","exports":{".":"./dist/index.js","./contrib/*":"./dist/contrib/*.js"}}`
	pgvec15  = `{"name":"@electric-sql/pglite-pgvector","version":"0.0.15","type":"module","exports":"./dist/index.js","peerDependencies":{"@electric-sql/pglite":"0.5.14"}}`
)

var pgliteSources = map[string]string{
	"node_modules/@electric-sql/pglite/dist/index.js":               "export class PGlite {}\n",
	"node_modules/@electric-sql/pglite/dist/vector/index.js":        "export const vector = { name: 'v03', bundlePath: new URL('../vector.tar.gz', import.meta.url) };\n",
	"node_modules/@electric-sql/pglite/dist/vector.tar.gz":          "VEC03",
	"node_modules/@electric-sql/pglite-pgvector/dist/index.js":      "export const vector = { name: 'v05', bundlePath: new URL('./vector.tar.gz', import.meta.url) };\n",
	"node_modules/@electric-sql/pglite-pgvector/dist/vector.tar.gz": "VEC05",
}

func withSources(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range pgliteSources {
		out[k] = v
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// The canonical server's pgvector is the one that goes with the installed PGlite: its own
// ./vector in 0.3.x, pglite-pgvector in 0.5.x, never a pglite-pgvector made for another PGlite.
func TestVectorImportFollowsTheInstalledPGlite(t *testing.T) {
	for _, c := range []struct {
		name    string
		files   map[string]string
		want    string // the vector source bundled
		wantErr string
	}{
		{"0.3.x: PGlite's own vector", map[string]string{"node_modules/@electric-sql/pglite/package.json": pglite03}, "v03", ""},
		{"0.3.x with a 0.5.x pglite-pgvector beside it", map[string]string{"node_modules/@electric-sql/pglite/package.json": pglite03, "node_modules/@electric-sql/pglite-pgvector/package.json": pgvec15}, "v03", ""},
		{"0.5.x: pglite-pgvector", map[string]string{"node_modules/@electric-sql/pglite/package.json": pglite05, "node_modules/@electric-sql/pglite-pgvector/package.json": pgvec15}, "v05", ""},
		{"0.5.x without pglite-pgvector", map[string]string{"node_modules/@electric-sql/pglite/package.json": pglite05}, "", "^PGlite 0.5.14 in .* has no pgvector of its own and @electric-sql/pglite-pgvector is not installed"},
		{"0.5.x with a pglite-pgvector for another PGlite", map[string]string{"node_modules/@electric-sql/pglite/package.json": strings.Replace(pglite05, "0.5.14", "0.5.13", 1), "node_modules/@electric-sql/pglite-pgvector/package.json": pgvec15}, "", "the installed @electric-sql/pglite-pgvector 0.0.15 is for @electric-sql/pglite 0.5.14"},
		{"no PGlite", map[string]string{}, "", "^cannot resolve @electric-sql/pglite from .*desk$"},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{}
			if len(c.files) > 0 {
				files = withSources(c.files)
			}
			root, pkg := workspaceApp(t, files)
			out := filepath.Join(root, "out")
			res, err := Build(context.Background(), Options{Entry: filepath.Join(pkg, "scripts", "server.mjs"), PackageDir: pkg, Out: out, NodeMajor: 24})
			if c.wantErr != "" {
				if err == nil || !matches(c.wantErr, err.Error()) {
					t.Fatalf("err = %v; want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			js, _ := os.ReadFile(filepath.Join(out, ServerFile))
			if !strings.Contains(string(js), "'"+c.want+"'") && !strings.Contains(string(js), `"`+c.want+`"`) {
				t.Errorf("the bundle has not vector %s:\n%s", c.want, js)
			}
			vec, _ := os.ReadFile(filepath.Join(out, "vector.tar.gz"))
			if want := map[string]string{"v03": "VEC03", "v05": "VEC05"}[c.want]; string(vec) != want {
				t.Errorf("vector.tar.gz = %q, want %q", vec, want)
			}
			// The lock file npm wrote at the workspace root is an input.
			found := false
			for _, in := range readManifestT(t, out).Inputs {
				found = found || in.Name == "../../node_modules/.package-lock.json"
			}
			if !found {
				t.Errorf("the root node_modules/.package-lock.json is not an input: %+v", res)
			}
		})
	}
}

// A set whose packages disagree on PGlite is refused, naming the versions, before anything is
// written: it would bundle and then open no data dir.
func TestPeerMismatchIsRefused(t *testing.T) {
	root, pkg := workspaceApp(t, withSources(map[string]string{
		"node_modules/@electric-sql/pglite/package.json":         pglite03,
		"node_modules/@electric-sql/pglite-socket/package.json":  `{"name":"@electric-sql/pglite-socket","version":"0.2.17","type":"module","exports":"./dist/index.js","peerDependencies":{"@electric-sql/pglite":"0.5.14"}}`,
		"node_modules/@electric-sql/pglite-socket/dist/index.js": "export class PGLiteSocketServer {}\n",
		"packages/desk/scripts/server.mjs":                       "import { PGlite } from '@electric-sql/pglite';\nimport { PGLiteSocketServer } from '@electric-sql/pglite-socket';\nconsole.log(PGlite, PGLiteSocketServer);\n",
	}))
	out := filepath.Join(root, "out")
	_, err := Build(context.Background(), Options{Entry: filepath.Join(pkg, "scripts", "server.mjs"), PackageDir: pkg, Out: out, NodeMajor: 24})
	var pm *PeerMismatchError
	if !errors.As(err, &pm) || pm.Package != "@electric-sql/pglite-socket" || pm.Version != "0.2.17" || pm.Peer != PGlitePackage || pm.Wants != "0.5.14" || pm.Installed != "0.3.15" {
		t.Fatalf("err = %v (%+v)", err, pm)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused set wrote %s", out)
	}
	for _, c := range []struct {
		v, r string
		ok   bool
	}{{"0.5.14", "0.5.14", true}, {"0.5.13", "0.5.14", false}, {"0.3.16", "^0.3.15", true}, {"0.4.0", "^0.3.15", false}, {"1.0.0", "not a range !", true}, {"x", "1.0.0", false}} {
		if got := satisfies(c.v, c.r); got != c.ok {
			t.Errorf("satisfies(%q, %q) = %v", c.v, c.r, got)
		}
	}
}

// The app's own entry expects vector.tar.gz beside the bundle (its old build script copied it
// there from PGlite's dist): the file is taken from the installed PGlite that ships it, and the
// run says so. A name no PGlite package ships stays an error that says what to do.
func TestAssetTakenFromThePGliteThatShipsIt(t *testing.T) {
	entry := "import { PGlite } from '@electric-sql/pglite';\nconst vector = { setup: async () => ({ bundlePath: new URL(\"./vector.tar.gz\", import.meta.url) }) };\nconsole.log(PGlite, vector);\n"
	root, pkg := workspaceApp(t, withSources(map[string]string{
		"node_modules/@electric-sql/pglite/package.json": pglite03,
		"packages/desk/scripts/server.mjs":               entry,
	}))
	out := filepath.Join(root, "out")
	rec := &recorder{}
	res, err := Build(context.Background(), Options{Entry: filepath.Join(pkg, "scripts", "server.mjs"), PackageDir: pkg, Out: out, NodeMajor: 24, Reporter: rec})
	if err != nil {
		t.Fatal(err)
	}
	if vec, _ := os.ReadFile(filepath.Join(out, "vector.tar.gz")); string(vec) != "VEC03" {
		t.Errorf("vector.tar.gz = %q", vec)
	}
	said := strings.Join(rec.infos, "\n")
	if !matches(`asset vector.tar.gz \(new URL\("\./vector\.tar\.gz", import\.meta\.url\) in .*server\.mjs\) is not beside that source; taking it from .*pglite.dist.vector\.tar\.gz, which ships it`, said) {
		t.Errorf("no line says where vector.tar.gz came from:\n%s", said)
	}
	if res.ReadsSeeds {
		t.Error("the app's entry declares no seed format")
	}

	writeTree(t, root, map[string]string{"packages/desk/scripts/server.mjs": strings.Replace(entry, "vector.tar.gz", "nothing.tar.gz", 1)})
	_, err = Build(context.Background(), Options{Entry: filepath.Join(pkg, "scripts", "server.mjs"), PackageDir: pkg, Out: out, NodeMajor: 24})
	if err == nil || !matches(`server\.mjs:2:\d+: asset "nothing\.tar\.gz" .* does not exist at .*: put the file there or change the reference`, err.Error()) {
		t.Errorf("err = %v", err)
	}
}
