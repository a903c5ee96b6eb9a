package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// systemWriters are the only places outside the stores that may write the
// system store: the accounts service, which serves the AuthService, and
// the server's sharing of its signing keys with the other processes of a
// shared store (at start and on their changes, never within a call).
var systemWriters = []string{"internal/accounts/", "internal/server/storage.go"}

// TestOnlyTheAuthServiceWritesTheSystemStore holds the rights matrix's
// premise (matrixSnapshot): a refused call of any other service can write
// only its region's data, where every write moves the region's revision,
// so the matrix reads the system store's accounts and tokens only around
// the AuthService's cells. A call of SystemUpdate anywhere else in the
// module fails here: make writesSystemStore cover its service first.
func TestOnlyTheAuthServiceWritesTheSystemStore(t *testing.T) {
	t.Parallel()
	found := 0
	inspectModule(t, func(rel string, fset *token.FileSet, n ast.Node) {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "SystemUpdate" {
			found++
			if !writerAllowed(rel) {
				t.Errorf("%s writes the system store (SystemUpdate): the rights matrix checks the system store only around the AuthService's refused cells", fset.Position(call.Pos()))
			}
		}
	})
	if found == 0 {
		t.Fatal("found no call of SystemUpdate at all: the scan looks in the wrong place")
	}
}

// inspectModule calls visit on every node of the module's Go files
// outside the stores (internal/store, which implement the writes), gen/
// and the tests, with the file's path from the module's root.
func inspectModule(t *testing.T, visit func(rel string, fset *token.FileSet, n ast.Node)) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator)))
		if d.IsDir() {
			// gen/ and tools/ write nowhere; node_modules and the like
			// hold no Go of ours.
			if rel == "internal/store" || rel == "gen" || strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			visit(rel, fset, n)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writerAllowed(rel string) bool {
	for _, w := range systemWriters {
		if rel == w || strings.HasSuffix(w, "/") && strings.HasPrefix(rel, w) {
			return true
		}
	}
	return false
}
