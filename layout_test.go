package nizepack_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/nize/nizepack"

// publicPackages are the packages other Go tools may import; everything else is internal.
var publicPackages = []string{"fetch", "bundle", "sidecars", "tauri", "target", "report"}

// commandPackages are the internal packages that public ones must never depend on: the CLI,
// Nize's own policy and the orchestration built on top of the public packages.
var commandPackages = []string{"internal/cli", "internal/nize", "internal/prepare", "internal/verify", "internal/smoke", "internal/versions"}

// testKits are imported only from tests and bench.
var testKits = []string{"internal/nodemirror", "internal/fakebin", "internal/fakepg"}

// goPackage is one directory of the module, as parsed from its sources.
type goPackage struct {
	dir         string               // relative to the module root, "/"-separated; "." for the root
	imports     map[string]bool      // of non-test files
	testImports map[string]bool      // of _test.go files
	files       map[string]*ast.File // non-test files
}

// modulePackages parses every package of the module (imports of every file, and the non-test
// files whole) without the go command, so the rules hold under any GOOS, Wine included.
func modulePackages(t *testing.T) map[string]*goPackage {
	t.Helper()
	pkgs := map[string]*goPackage{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution|parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		pkg := pkgs[dir]
		if pkg == nil {
			pkg = &goPackage{dir: dir, imports: map[string]bool{}, testImports: map[string]bool{}, files: map[string]*ast.File{}}
			pkgs[dir] = pkg
		}
		isTest := strings.HasSuffix(p, "_test.go")
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if rel, ok := strings.CutPrefix(ip, module+"/"); ok {
				if isTest {
					pkg.testImports[rel] = true
				} else {
					pkg.imports[rel] = true
				}
			}
		}
		if !isTest {
			pkg.files[p] = f
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// deps returns every module package that dir depends on through non-test imports.
func deps(pkgs map[string]*goPackage, dir string) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(d string) {
		pkg := pkgs[d]
		if pkg == nil {
			return
		}
		for imp := range pkg.imports {
			if !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(dir)
	return seen
}

// TestLayout checks the planned top level and the import rules between public and internal
// packages.
func TestLayout(t *testing.T) {
	pkgs := modulePackages(t)
	for _, p := range publicPackages {
		if pkgs[p] == nil {
			t.Errorf("public package %s is missing at the top level", p)
			continue
		}
		d := deps(pkgs, p)
		for _, c := range commandPackages {
			for dep := range d {
				if dep == c || strings.HasPrefix(dep, c+"/") {
					t.Errorf("public package %s depends on %s", p, dep)
				}
			}
		}
		for _, k := range testKits {
			if d[k] {
				t.Errorf("public package %s depends on the test kit %s", p, k)
			}
		}
	}
	for dir, pkg := range pkgs {
		if isTestKit(dir) {
			continue
		}
		for _, k := range testKits {
			if pkg.imports[k] {
				t.Errorf("%s imports the test kit %s outside of tests", dir, k)
			}
		}
	}
}

func isTestKit(dir string) bool {
	for _, k := range testKits {
		if dir == k || strings.HasPrefix(dir, k+"/") {
			return true
		}
	}
	return false
}

// TestPublicAPIMentionsNoInternalType checks every exported declaration of the public packages:
// a signature, field or type that names an internal package's type cannot be used from outside.
func TestPublicAPIMentionsNoInternalType(t *testing.T) {
	pkgs := modulePackages(t)
	for _, p := range publicPackages {
		pkg := pkgs[p]
		if pkg == nil {
			continue
		}
		names := make([]string, 0, len(pkg.files))
		for name := range pkg.files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			f := pkg.files[name]
			internal := map[string]string{} // local import name -> path
			for _, imp := range f.Imports {
				ip, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(ip, module+"/internal/") {
					continue
				}
				local := path.Base(ip)
				if imp.Name != nil {
					local = imp.Name.Name
				}
				internal[local] = ip
			}
			if len(internal) == 0 {
				continue
			}
			for _, where := range exportedInternalRefs(f, internal) {
				t.Errorf("%s: %s", name, where)
			}
		}
	}
}

// exportedInternalRefs lists the exported declarations of f whose types name an internal package.
func exportedInternalRefs(f *ast.File, internal map[string]string) []string {
	var found []string
	var check func(what string, n ast.Node)
	check = func(what string, n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok {
					if ip, ok := internal[id.Name]; ok {
						found = append(found, what+" mentions "+ip+"."+n.Sel.Name)
					}
				}
			case *ast.StructType:
				// Unexported fields are private; exported and embedded ones are not.
				for _, field := range n.Fields.List {
					if len(field.Names) == 0 || anyExported(field.Names) {
						check(what, field.Type)
					}
				}
				return false
			}
			return true
		})
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || (d.Recv != nil && !exportedReceiver(d.Recv)) {
				continue
			}
			check("func "+d.Name.Name, d.Type)
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						check("type "+s.Name.Name, s.Type)
					}
				case *ast.ValueSpec:
					if anyExported(s.Names) {
						check(s.Names[0].Name, s.Type)
					}
				}
			}
		}
	}
	return found
}

func anyExported(ids []*ast.Ident) bool {
	for _, id := range ids {
		if id.IsExported() {
			return true
		}
	}
	return false
}

func exportedReceiver(recv *ast.FieldList) bool {
	if recv == nil || len(recv.List) == 0 {
		return true
	}
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if idx, ok := typ.(*ast.IndexExpr); ok {
		typ = idx.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// TestPublicPackagesHaveDocsAndExamples checks that go doc reads as a manual: a package doc and
// at least one runnable Example in each public package.
func TestPublicPackagesHaveDocsAndExamples(t *testing.T) {
	pkgs := modulePackages(t)
	for _, p := range publicPackages {
		pkg := pkgs[p]
		if pkg == nil {
			continue
		}
		hasDoc := false
		for _, f := range pkg.files {
			if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+p+" ") {
				hasDoc = true
			}
		}
		if !hasDoc {
			t.Errorf("package %s has no package doc", p)
		}
		if !hasRunnableExample(t, p) {
			t.Errorf("package %s has no runnable Example test (a func Example... with an // Output: comment)", p)
		}
	}
}

func hasRunnableExample(t *testing.T, dir string) bool {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	fset := token.NewFileSet()
	for _, m := range matches {
		src, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, m, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Example") {
				continue
			}
			for _, c := range f.Comments {
				if c.Pos() > fn.Body.Lbrace && c.End() < fn.Body.Rbrace && strings.Contains(c.Text(), "Output:") {
					return true
				}
			}
		}
	}
	return false
}
