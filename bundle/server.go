package bundle

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// The canonical server is a folder of small ES modules, bundle/pglite-server/, embedded whole:
// main.mjs is the entry, the others are what it imports by relative path; *.test.mjs are their
// node --test tests (embedded too, never bundled). Build bundles it into one file: serverPlugin
// serves the entry and its relative imports from the embedded folder, and its bare imports
// (PGlite) resolve from the package dir like an app's own entry's.

//go:embed pglite-server/*.mjs pglite-server/contract.json
var serverFS embed.FS

const (
	serverDir   = "pglite-server"
	serverEntry = "main.mjs"
	// serverNamespace is esbuild's namespace for the embedded modules.
	serverNamespace = "nizepack-server"
)

// canonicalServer is the entry module's source (it carries the seed-format declaration).
var canonicalServer = mustReadServer(serverEntry)

// embeddedSHA256 digests every embedded module the bundle can read (names and contents), so a
// change to any of them makes an earlier bundle out of date.
var embeddedSHA256 = serverSourcesSHA256()

func mustReadServer(name string) []byte {
	b, err := serverFS.ReadFile(path.Join(serverDir, name))
	if err != nil {
		panic(err)
	}
	return b
}

// serverSources lists the embedded modules, tests left out, sorted.
func serverSources() []string {
	entries, err := fs.ReadDir(serverFS, serverDir)
	if err != nil {
		panic(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".test.mjs") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func serverSourcesSHA256() string {
	h := sha256.New()
	for _, n := range serverSources() {
		b := mustReadServer(n)
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// embeddedLabel is how an embedded module appears in messages: "(embedded) pglite-server/x.mjs".
func embeddedLabel(name string) string { return "(embedded) " + serverDir + "/" + name }

// serverPlugin resolves the embedded entry (by embeddedEntryName) and its relative imports to
// the embedded modules, and loads them with pkgDir as the dir their bare imports resolve from.
func serverPlugin(pkgDir string) api.Plugin {
	return api.Plugin{
		Name: "nizepack-server",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: "^" + regexp.QuoteMeta(embeddedEntryName) + "$"}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				return api.OnResolveResult{Path: serverEntry, Namespace: serverNamespace}, nil
			})
			b.OnResolve(api.OnResolveOptions{Filter: `^\.\.?/`, Namespace: serverNamespace}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				p := path.Clean(path.Join(path.Dir(args.Importer), args.Path))
				if _, err := fs.Stat(serverFS, path.Join(serverDir, p)); err != nil || strings.HasPrefix(p, "../") || strings.HasSuffix(p, ".test.mjs") {
					return api.OnResolveResult{}, fmt.Errorf("%s imports %s, which is not a module of the embedded server", embeddedLabel(args.Importer), args.Path)
				}
				return api.OnResolveResult{Path: p, Namespace: serverNamespace}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: serverNamespace}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
				src, err := serverFS.ReadFile(path.Join(serverDir, args.Path))
				if err != nil {
					return api.OnLoadResult{}, err
				}
				js := string(src)
				loader := api.LoaderJS
				if strings.HasSuffix(args.Path, ".json") {
					loader = api.LoaderJSON // contract.json
				}
				return api.OnLoadResult{Contents: &js, ResolveDir: pkgDir, Loader: loader}, nil
			})
		},
	}
}
