package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// TestEveryTestRunsInParallel keeps the package's tests running beside each
// other: most of their time is spent waiting on Chromium or on a server of
// their own, so one after another they made this package the longest of
// the README's test command. A test that cannot share the process (one
// that sets an environment variable, say) must say so here, by name.
func TestEveryTestRunsInParallel(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !isTest(fn) {
				continue
			}
			if !startsParallel(fn) {
				t.Errorf("%s: %s does not begin with t.Parallel()", fset.Position(fn.Pos()), fn.Name.Name)
			}
		}
	}
}

// isTest reports whether fn is a Test function go test runs: TestMain and
// benchmarks, fuzz targets and examples are not.
func isTest(fn *ast.FuncDecl) bool {
	name := fn.Name.Name
	if len(name) < 4 || name[:4] != "Test" || name == "TestMain" {
		return false
	}
	params := fn.Type.Params.List
	if len(params) != 1 {
		return false
	}
	star, ok := params[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "T"
}

func startsParallel(fn *ast.FuncDecl) bool {
	if fn.Body == nil || len(fn.Body.List) == 0 {
		return false
	}
	stmt, ok := fn.Body.List[0].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := stmt.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Parallel" && len(call.Args) == 0
}
