package errs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestMessagesFormatThroughSprintf: a message the API answers is formatted
// by errs.Sprintf, the one way (a whole float64 is written as an integer),
// never by fmt.Sprintf: not in an errs.Error's Message, a Violation's
// Description or a monitoring flag's Detail, and not as an argument of a
// function of errs. It reads the source of internal/ and cmd/ (tests
// aside), so that a new site written the other way fails here.
func TestMessagesFormatThroughSprintf(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var found []string
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.KeyValueExpr:
					if key, ok := n.Key.(*ast.Ident); ok && messageFields[key.Name] && isCall(n.Value, "fmt", "Sprintf") {
						found = append(found, fset.Position(n.Pos()).String())
					}
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "errs") {
						for _, a := range n.Args {
							if isCall(a, "fmt", "Sprintf") {
								found = append(found, fset.Position(a.Pos()).String())
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, at := range found {
		t.Errorf("%s: a message formatted by fmt.Sprintf; use errs.Sprintf", at)
	}
}

// messageFields are the struct fields that hold a message the API answers.
var messageFields = map[string]bool{"Message": true, "Description": true, "Detail": true}

// isCall reports whether e is a call of pkg.name.
func isCall(e ast.Expr, pkg, name string) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == name && isIdent(sel.X, pkg)
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
