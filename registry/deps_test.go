package registry_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDependencyHomes checks that each heavy dependency is imported by
// non-test code in its one home only: cosign, oras and go-containerregistry
// in registry/, go-git in ci/.
func TestDependencyHomes(t *testing.T) {
	homes := []struct{ prefix, home string }{
		{"github.com/sigstore/", "registry/"},
		{"oras.land/", "registry/"},
		{"github.com/google/go-containerregistry/", "registry/"},
		{"github.com/go-git/", "ci/"},
	}
	root := ".."
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			// Another package being edited; its imports are checked once
			// it parses.
			t.Logf("skipping %s: %v", p, err)
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, h := range homes {
				if strings.HasPrefix(path, h.prefix) && !strings.HasPrefix(rel, h.home) {
					t.Errorf("%s imports %s, which belongs in %s only", rel, path, h.home)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
