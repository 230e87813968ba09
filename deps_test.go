package getpaid_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/getpaid-go/getpaid"

// TestDependencyRule enforces the layout: the root imports no sibling,
// adapters never import each other, and only cmd/ and examples/ (and the
// test-support suites) wire concrete adapters together.
func TestDependencyRule(t *testing.T) {
	t.Parallel()
	adapters := []string{"broker/", "sqlite", "postgres", "memory", "engine", "httpapi", "webhook", "admin", "metrics", "health", "tracing"}
	forbidden := func(pkg, imp string) bool {
		switch {
		case pkg == ".":
			return true // the root imports no sibling
		case strings.HasPrefix(pkg, "cmd/"), strings.HasPrefix(pkg, "examples/"),
			pkg == "brokertest", pkg == "storetest":
			return false
		case strings.HasPrefix(pkg, "internal/"):
			return imp != "." && !strings.HasPrefix(imp, "internal/")
		case pkg == "engine":
			return imp != "." && !strings.HasPrefix(imp, "internal/")
		case pkg == "httpapi":
			return imp != "." && imp != "engine" && !strings.HasPrefix(imp, "internal/")
		case strings.HasPrefix(pkg, "broker/"):
			// A broker's simulator may import its own broker package.
			own := strings.Join(strings.Split(pkg, "/")[:2], "/")
			return imp != "." && imp != own && !strings.HasPrefix(imp, "internal/")
		}
		for _, a := range adapters {
			if strings.HasPrefix(pkg, a) {
				return imp != "." && !strings.HasPrefix(imp, "internal/")
			}
		}
		return false
	}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		for _, is := range f.Imports {
			imp, _ := strconv.Unquote(is.Path.Value)
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if rel == "" {
				rel = "."
			}
			if rel != pkg && forbidden(pkg, rel) {
				t.Errorf("%s imports %s: breaks the dependency rule", path, imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
