package archtest

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// maxLines is the longest a function may be, from its func line to its
// closing brace, unless it is a table or its doc comment has a line
// "//lethe:long <why>".
const maxLines = 80

// domainExtra lists the only non-standard packages the domain may import:
// Unicode normalization of emails (ADR 0020, docs/layout.md).
var domainExtra = []string{"golang.org/x/text/unicode/norm"}

// file is one parsed non-test Go file of the repository.
type file struct {
	rel string // slash path from the repository root
	dir string // slash directory from the root; "." for the root package
	ast *ast.File
	fs  *token.FileSet
}

// loadRepo parses every non-test .go file under root, skipping testdata,
// vendor and hidden directories, and returns the module path of root/go.mod.
func loadRepo(t *testing.T, root string) (module string, files []file) {
	t.Helper()
	module = modulePath(t, filepath.Join(root, "go.mod"))
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		files = append(files, file{rel: rel, dir: pathDir(rel), ast: f, fs: fset})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return module, files
}

func pathDir(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return "."
}

func modulePath(t *testing.T, gomod string) string {
	t.Helper()
	f, err := os.Open(gomod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	t.Fatalf("%s has no module line", gomod)
	return ""
}

// isStd reports whether an import path is the standard library's: its first
// element has no dot (and it is not the module's own).
func isStd(path, module string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && !within(path, module)
}

// within reports whether path is pkg or one of its subpackages.
func within(path, pkg string) bool {
	return path == pkg || strings.HasPrefix(path, pkg+"/")
}

// inDir reports whether the slash directory dir is d or below it.
func inDir(dir, d string) bool { return within(dir, d) }

// importViolations applies the layering rules of docs/layout.md and returns
// one message per offending import, naming the file and the import.
func importViolations(module string, files []file) []string {
	mod := func(p string) string { return module + "/" + p }
	var out []string
	for _, f := range files {
		for _, spec := range f.ast.Imports {
			path, _ := strconv.Unquote(spec.Path.Value)
			if why := importRule(f.dir, path, module, mod); why != "" {
				out = append(out, fmt.Sprintf("%s imports %q: %s", f.rel, path, why))
			}
		}
	}
	return out
}

// importRule says why a package in dir may not import path, or "".
func importRule(dir, path, module string, mod func(string) string) string {
	switch {
	case dir == ".":
		if !isStd(path, module) && !slices.Contains(domainExtra, path) {
			return "the domain (root package) uses the standard library only"
		}
	case inDir(dir, "client"):
		if !isStd(path, module) && !within(path, mod("client")) {
			return "the SDK (client/) uses the standard library only, nothing internal"
		}
	case inDir(dir, "internal/rest"), inDir(dir, "internal/server"), inDir(dir, "internal/console"):
		if within(path, mod("internal/sqldb")) {
			return "the HTTP layers reach the store through the root package's interfaces, never internal/sqldb"
		}
	case inDir(dir, "internal/sqldb"):
		for _, p := range []string{"net/http", "net/rpc", mod("internal/rest"), mod("internal/server"), mod("internal/console"), mod("client"), mod("cmd"), mod("internal/seed"), mod("internal/jobs"), mod("internal/bench"), mod("internal/webhook")} {
			if within(path, p) {
				return "the store knows no transport and nothing built on it"
			}
		}
	}
	return ""
}

// longFunc is a function over maxLines without an exemption.
type longFunc struct {
	key   string // "dir Name" or "dir Recv.Name"
	pos   string // file:line
	lines int
}

// longFuncs returns every function over maxLines that is neither a table nor
// marked //lethe:long with a reason.
func longFuncs(files []file) []longFunc {
	var out []longFunc
	for _, f := range files {
		for _, decl := range f.ast.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			start, end := f.fs.Position(fd.Pos()).Line, f.fs.Position(fd.End()).Line
			n := end - start + 1
			if n <= maxLines || markedLong(fd.Doc) || isTable(f.fs, fd, n) {
				continue
			}
			out = append(out, longFunc{key: f.dir + " " + funcName(fd), pos: fmt.Sprintf("%s:%d", f.rel, start), lines: n})
		}
	}
	return out
}

// markedLong reports whether a doc comment has a line "//lethe:long <why>".
func markedLong(doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if why, ok := strings.CutPrefix(c.Text, "//lethe:long "); ok && strings.TrimSpace(why) != "" {
			return true
		}
	}
	return false
}

// isTable reports whether one composite literal spans at least three
// quarters of the function's lines: a table, such as a route list.
func isTable(fset *token.FileSet, fd *ast.FuncDecl, lines int) bool {
	widest := 0
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if cl, ok := n.(*ast.CompositeLit); ok {
			widest = max(widest, fset.Position(cl.End()).Line-fset.Position(cl.Pos()).Line+1)
			return false
		}
		return true
	})
	return widest*4 >= lines*3
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	switch x := typ.(type) {
	case *ast.IndexExpr:
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// lengthViolations lists the functions over maxLines that are neither
// tables nor marked //lethe:long with a reason.
func lengthViolations(files []file) []string {
	var out []string
	for _, lf := range longFuncs(files) {
		out = append(out, fmt.Sprintf("%s: %s is %d lines (limit %d): split it, or give its doc comment a line //lethe:long <why>", lf.pos, lf.key, lf.lines, maxLines))
	}
	return out
}

// TestArch_Repository checks the repository itself.
func TestArch_Repository(t *testing.T) {
	module, files := loadRepo(t, filepath.Join("..", ".."))
	if len(files) < 50 {
		t.Fatalf("found only %d Go files: is the walk rooted at the repository?", len(files))
	}
	for _, msg := range importViolations(module, files) {
		t.Error(msg)
	}
	for _, msg := range lengthViolations(files) {
		t.Error(msg)
	}
}

// TestArch_Fixture runs the checks on a small tree that breaks every rule
// once, so a check that cannot fail would show here.
func TestArch_Fixture(t *testing.T) {
	root := t.TempDir()
	long := "func Long() {\n" + strings.Repeat("\tprintln()\n", maxLines-1) + "}\n"
	write := func(rel, src string) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	write("dom.go", "package m\n\nimport (\n\t\"fmt\"\n\t\"example.com/dep\"\n\t\"example.com/m/internal/x\"\n\t\"golang.org/x/text/unicode/norm\"\n)\n")
	write("dom_test.go", "package m\n\nimport \"example.com/testonly\"\n")
	write("client/c.go", "package client\n\nimport (\n\t\"net/http\"\n\t\"example.com/m\"\n\t\"example.com/m/client/sub\"\n)\n")
	write("internal/rest/r.go", "package rest\n\nimport \"example.com/m/internal/sqldb\"\n")
	write("internal/server/s.go", "package server\n\nimport \"example.com/m/internal/sqldb/sub\"\n")
	write("internal/sqldb/db.go", "package sqldb\n\nimport (\n\t\"net/http/httptest\"\n\t\"example.com/m/internal/rest\"\n\t\"example.com/m\"\n)\n")
	write("internal/sqldb/long.go", "package sqldb\n\n"+long+
		"\n// Marked is long.\n//\n//lethe:long one flat list of steps\n"+strings.Replace(long, "Long", "Marked", 1)+
		"\n// Bare has the marker without a reason.\n//lethe:long\n"+strings.Replace(long, "Long", "Bare", 1)+
		"\nfunc Short() {}\n")
	write("internal/sqldb/table.go", "package sqldb\n\nfunc Table() []int {\n\treturn []int{\n"+strings.Repeat("\t\t1,\n", maxLines)+"\t}\n}\n")
	write("internal/sqldb/testdata/bad.go", "package bad\n\nimport \"net/http\"\n"+long)

	module, files := loadRepo(t, root)
	got := append(importViolations(module, files), lengthViolations(files)...)
	want := []string{
		`dom.go imports "example.com/dep": the domain (root package) uses the standard library only`,
		`dom.go imports "example.com/m/internal/x": the domain (root package) uses the standard library only`,
		`client/c.go imports "example.com/m": the SDK (client/) uses the standard library only, nothing internal`,
		`internal/rest/r.go imports "example.com/m/internal/sqldb": the HTTP layers reach the store through the root package's interfaces, never internal/sqldb`,
		`internal/server/s.go imports "example.com/m/internal/sqldb/sub": the HTTP layers reach the store through the root package's interfaces, never internal/sqldb`,
		`internal/sqldb/db.go imports "net/http/httptest": the store knows no transport and nothing built on it`,
		`internal/sqldb/db.go imports "example.com/m/internal/rest": the store knows no transport and nothing built on it`,
		`internal/sqldb/long.go:3: internal/sqldb Long is 81 lines (limit 80): split it, or give its doc comment a line //lethe:long <why>`,
		`internal/sqldb/long.go:172: internal/sqldb Bare is 81 lines (limit 80): split it, or give its doc comment a line //lethe:long <why>`,
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
