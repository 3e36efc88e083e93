package bundle

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/nize/nizepack/internal/filehash"
)

// assetURL matches `new URL("<literal>", import.meta.url)` with any quote (a template literal
// only without substitutions) and any spacing, as bundled packages write it, minified or not.
var assetURL = regexp.MustCompile("new\\s+URL\\(\\s*(?:\"([^\"\\\\\\n]*)\"|'([^'\\\\\\n]*)'|`([^`\\\\$]*)`)\\s*,\\s*import\\.meta\\.url\\s*\\)")

// schemeRe recognises absolute URLs ("https:", "data:", "file:", ...), which need no copy.
var schemeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// asset is one runtime file a bundled source refers to relative to itself.
type asset struct {
	Name   string // the file name beside the bundle
	Source string // absolute path of the file in the packages
	SHA256 string
	Size   int64
	From   string // the first source file that referenced it, for messages
}

// assetCollector is the esbuild plugin that finds assets and rewrites their references to the
// copy beside the bundle. esbuild calls it from several goroutines.
type assetCollector struct {
	reserved map[string]bool // names the bundle itself uses

	mu     sync.Mutex
	assets map[string]*asset // by Name
	notes  []string          // facts for the user, e.g. an asset taken from a package
}

func (c *assetCollector) note(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.notes {
		if n == s {
			return
		}
	}
	c.notes = append(c.notes, s)
}

// inNodeModules reports whether path lies in an installed package.
func inNodeModules(path string) bool {
	return strings.Contains(filepath.ToSlash(path), "/node_modules/")
}

func newAssetCollector(reserved ...string) *assetCollector {
	c := &assetCollector{reserved: map[string]bool{}, assets: map[string]*asset{}}
	for _, r := range reserved {
		c.reserved[r] = true
	}
	return c
}

// list returns the assets sorted by name.
func (c *assetCollector) list() []*asset {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*asset, 0, len(c.assets))
	for _, a := range c.assets {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (c *assetCollector) plugin() api.Plugin {
	return api.Plugin{
		Name: "nizepack-assets",
		Setup: func(b api.PluginBuild) {
			b.OnLoad(api.OnLoadOptions{Filter: `\.(m?js|cjs|mts|cts|ts)$`, Namespace: "file"}, c.onLoad)
		},
	}
}

func (c *assetCollector) onLoad(args api.OnLoadArgs) (api.OnLoadResult, error) {
	data, err := os.ReadFile(args.Path)
	if err != nil {
		return api.OnLoadResult{}, fmt.Errorf("reading %s: %w", args.Path, err)
	}
	if !bytes.Contains(data, []byte("import.meta.url")) {
		return api.OnLoadResult{}, nil // nothing to rewrite: let esbuild load it itself
	}
	out, msgs := c.rewrite(args.Path, data)
	res := api.OnLoadResult{Errors: msgs, ResolveDir: filepath.Dir(args.Path), Loader: loaderFor(args.Path)}
	if len(msgs) == 0 {
		s := string(out)
		res.Contents = &s
	}
	return res, nil
}

func loaderFor(path string) api.Loader {
	switch filepath.Ext(path) {
	case ".ts", ".mts", ".cts":
		return api.LoaderTS
	default:
		return api.LoaderJS
	}
}

// rewrite replaces every relative asset URL in one source file by a reference to its copy
// beside the bundle, registering the asset. Problems come back as esbuild messages located at
// the reference, so they print as file:line:col.
func (c *assetCollector) rewrite(file string, data []byte) ([]byte, []api.Message) {
	var msgs []api.Message
	var buf bytes.Buffer
	last := 0
	for _, m := range assetURL.FindAllSubmatchIndex(data, -1) {
		var ref string
		for g := 1; g <= 3; g++ {
			if m[2*g] >= 0 {
				ref = string(data[m[2*g]:m[2*g+1]])
			}
		}
		if ref == "" || schemeRe.MatchString(ref) || strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "?") {
			continue // absolute or not a file: esbuild's output keeps it as is
		}
		name, err := c.register(file, ref)
		if err != nil {
			msgs = append(msgs, messageAt(file, data, m[0], err.Error()))
			continue
		}
		buf.Write(data[last:m[0]])
		fmt.Fprintf(&buf, "new URL(%q, import.meta.url)", "./"+name)
		last = m[1]
	}
	buf.Write(data[last:])
	return buf.Bytes(), msgs
}

// register resolves ref against the file that contains it and records the asset.
func (c *assetCollector) register(file, ref string) (string, error) {
	rel := ref
	if i := strings.IndexAny(rel, "?#"); i >= 0 {
		rel = rel[:i]
	}
	src := filepath.Join(filepath.Dir(file), filepath.FromSlash(rel))
	name := filepath.Base(src)
	st, err := os.Stat(src)
	if err != nil && os.IsNotExist(err) && !inNodeModules(file) {
		// The app's own source expecting a file beside the bundle that its old build script
		// copied there from an installed PGlite package: take it from that package.
		if shipped := shippedAsset(filepath.Dir(file), name); shipped != "" {
			c.note(fmt.Sprintf("asset %s (new URL(%q, import.meta.url) in %s) is not beside that source; taking it from %s, which ships it", name, ref, file, shipped))
			src = shipped
			st, err = os.Stat(src)
		}
	}
	switch {
	case err != nil && os.IsNotExist(err):
		return "", fmt.Errorf("asset %q (new URL(%q, import.meta.url)) does not exist at %s: put the file there or change the reference (no installed PGlite package ships a file of that name)", name, ref, src)
	case err != nil:
		return "", fmt.Errorf("reading asset %s: %w", src, err)
	case st.IsDir():
		return "", fmt.Errorf("asset %q (new URL(%q, import.meta.url)) is a directory, not a file: %s", name, ref, src)
	}
	if c.reserved[name] {
		return "", fmt.Errorf("asset %s would overwrite the bundle's own %s; rename it in the package", src, name)
	}

	c.mu.Lock()
	prev, seen := c.assets[name]
	c.mu.Unlock()
	if seen && prev.Source == src {
		return name, nil
	}
	sum, size, err := hashFile(src)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, seen := c.assets[name]; seen {
		if prev.Source == src || prev.SHA256 == sum {
			return name, nil // the same file, or an identical copy: one copy serves both
		}
		return "", fmt.Errorf("asset name clash: %s (referenced here) and %s (referenced by %s) would both be copied as %s", src, prev.Source, prev.From, name)
	}
	c.assets[name] = &asset{Name: name, Source: src, SHA256: sum, Size: size, From: file}
	return name, nil
}

// messageAt locates offset in data as an esbuild message (1-based line, 0-based byte column).
func messageAt(file string, data []byte, offset int, text string) api.Message {
	line := 1 + bytes.Count(data[:offset], []byte("\n"))
	start := bytes.LastIndexByte(data[:offset], '\n') + 1
	end := bytes.IndexByte(data[offset:], '\n')
	if end < 0 {
		end = len(data) - offset
	}
	lineText := string(data[start : offset+end])
	if len(lineText) > 200 {
		lineText = "" // minified code: the column says where
	}
	return api.Message{Text: text, Location: &api.Location{File: file, Line: line, Column: offset - start, LineText: lineText}}
}

// hashFile returns a file's SHA-256 (hex) and size.
func hashFile(path string) (string, int64, error) {
	sum, size, err := filehash.SHA256(path)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return sum, size, nil
}
