package server_test

import (
	"go/ast"
	"go/token"
	"path"
	"strings"
	"testing"
)

// TestRegionWritesGoThroughMutate holds validate_only (AIP-163, ADR 38) to
// its one implementation: store.Mutate runs a validate-only write whole
// and rolls it back, and store.MutationOf reads the field from the
// request. A write made with a store's Update directly, or with a
// Mutation built by hand, would ignore the field once its request carried
// it, and nothing would say so. Outside the stores and the test kits
// (packages named *test), a write calls store.Mutate (or what calls it:
// Modify, the openings of package resource), and its Mutation comes from
// store.MutationOf (a client's request) or store.By (a write no request
// asks for).
func TestRegionWritesGoThroughMutate(t *testing.T) {
	t.Parallel()
	inspectModule(t, func(rel string, fset *token.FileSet, n ast.Node) {
		if strings.HasSuffix(path.Dir(rel), "test") {
			return
		}
		switch n := n.(type) {
		case *ast.CompositeLit:
			if isStoreName(n.Type, "Mutation") {
				t.Errorf("%s builds a store.Mutation by hand: take store.MutationOf (a request's write) or store.By (a write no request asks for)", fset.Position(n.Pos()))
			}
		case *ast.CallExpr:
			if isStoreUpdate(n) {
				t.Errorf("%s writes with a store's Update: call store.Mutate, which implements validate_only", fset.Position(n.Pos()))
			}
		}
	})
}

// isStoreName reports whether e is store.{name}.
func isStoreName(e ast.Expr, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "store"
}

// isStoreUpdate reports whether call is store.Store's Update: a method
// Update of four arguments whose last is a function of a store.WriteTx.
func isStoreUpdate(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Update" || len(call.Args) != 4 {
		return false
	}
	fn, ok := call.Args[3].(*ast.FuncLit)
	if !ok || len(fn.Type.Params.List) == 0 {
		return false
	}
	return isStoreName(fn.Type.Params.List[0].Type, "WriteTx")
}
