package getpaid_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPackageDocNamesEveryInterface keeps doc.go's map of the package true:
// it is where a library user learns which optional capabilities a broker, a
// store, a Service or an order source may have, so every exported interface
// of the root package is named in it.
func TestPackageDocNamesEveryInterface(t *testing.T) {
	t.Parallel()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	var doc string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if name == "doc.go" && f.Doc != nil {
			doc = f.Doc.Text()
		}
		files = append(files, f)
	}
	if doc == "" {
		t.Fatal("doc.go has no package comment")
	}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				if _, ok := ts.Type.(*ast.InterfaceType); !ok || !ts.Name.IsExported() {
					continue
				}
				if !regexp.MustCompile(`\b` + ts.Name.Name + `\b`).MatchString(doc) {
					t.Errorf("doc.go's package comment does not name the interface %s", ts.Name.Name)
				}
			}
		}
	}
}
