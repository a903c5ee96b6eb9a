package errs_test

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/errs"
)

var update = flag.Bool("update", false, "rewrite the table of reasons in docs/errors.md from the catalogue")

// TestCatalogue checks every row: a well-formed reason listed once, an
// error status, a one-line description, and that an error built from the
// reason carries the row's code and reason.
func TestCatalogue(t *testing.T) {
	upperSnake := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)
	seen := map[errs.Reason]bool{}
	for _, row := range errs.Catalogue() {
		r := row.Reason
		if seen[r] {
			t.Errorf("%s is listed twice", r)
		}
		seen[r] = true
		if !upperSnake.MatchString(string(r)) {
			t.Errorf("%q is not UPPER_SNAKE_CASE", r)
		}
		if row.HTTPStatus < 400 || row.HTTPStatus > 599 {
			t.Errorf("%s: HTTP status %d is not an error status", r, row.HTTPStatus)
		}
		if row.When == "" || strings.ContainsAny(row.When, "|\n") {
			t.Errorf("%s: description %q must be one line without |", r, row.When)
		}
		if got, ok := errs.Lookup(r); !ok || got != row {
			t.Errorf("Lookup(%s) = %+v, %t; want its row", r, got, ok)
		}
		if got := r.Code(); got != row.Code {
			t.Errorf("%s.Code() = %s, want %s", r, got, row.Code)
		}
		e := r.New("%s happened", "it")
		if e.Code != row.Code || e.Reason != r || e.Message != "it happened" {
			t.Errorf("%s.New: got %s %s %q, want %s %s %q", r, e.Code, e.Reason, e.Message, row.Code, r, "it happened")
		}
		meta := map[string]string{"resource": "regions/lombardia"}
		w := r.With(errs.Error{Code: errs.Internal, Message: "m", Metadata: meta, RetryAfter: 3})
		if w.Code != row.Code || w.Reason != r || w.Message != "m" || w.Metadata["resource"] == "" || w.RetryAfter != 3 {
			t.Errorf("%s.With: got %+v, want the row's code and reason and the rest kept", r, w)
		}
	}
	for _, c := range []errs.Code{errs.Invalid, errs.NotFound, errs.AlreadyExists, errs.Unavailable, errs.Internal} {
		if e := c.New("x"); e.Code != c || e.Reason != errs.Reason(c.String()) {
			t.Errorf("%s.New: got %s %s, want the code and its own reason", c, e.Code, e.Reason)
		}
		if e := c.With(errs.Error{Message: "x"}); e.Code != c || e.Reason != errs.Reason(c.String()) || e.Message != "x" {
			t.Errorf("%s.With: got %+v, want the code and its own reason", c, e)
		}
	}
	if e := errs.InvalidField("partner.fiscal_code", "is required"); e.Code != errs.Invalid || e.Reason != "INVALID_ARGUMENT" {
		t.Errorf("InvalidField: got %s %s", e.Code, e.Reason)
	}
	if e := errs.NotFoundf("regions/x/partners/y"); e.Code != errs.NotFound || e.Reason != "NOT_FOUND" {
		t.Errorf("NotFoundf: got %s %s", e.Code, e.Reason)
	}
}

// TestEveryReasonIsCatalogued checks that every Reason constant declared in
// the package has a row, and every row a constant (or is a code's own
// reason), with the constant named after its value: code elsewhere can only
// name reasons that are in the catalogue.
func TestEveryReasonIsCatalogued(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[errs.Reason]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if typ, ok := spec.Type.(*ast.Ident); !ok || typ.Name != "Reason" {
			return false
		}
		for i, name := range spec.Names {
			lit, ok := spec.Values[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: want a string literal", name.Name)
				continue
			}
			v, _ := strconv.Unquote(lit.Value)
			declared[errs.Reason(v)] = name.Name
			if want := camel(v); name.Name != want {
				t.Errorf("the constant of %s is %s, want %s", v, name.Name, want)
			}
		}
		return false
	})
	if len(declared) == 0 {
		t.Fatal("no Reason constant found in reasons.go")
	}
	rows := map[errs.Reason]bool{}
	for _, row := range errs.Catalogue() {
		rows[row.Reason] = true
		if _, ok := declared[row.Reason]; !ok && row.Reason != row.Code.Reason() {
			t.Errorf("row %s has no constant", row.Reason)
		}
	}
	for r, name := range declared {
		if !rows[r] {
			t.Errorf("%s (%s) has no row in the catalogue", name, r)
		}
	}
}

// camel turns PROTOCOL_NOT_DRAFT into ProtocolNotDraft.
func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		b.WriteString(w[:1] + strings.ToLower(w[1:]))
	}
	return b.String()
}

// TestUnknownReasonPanicsInTests checks that a reason missing from the
// catalogue cannot go unnoticed in a test that reaches it.
func TestUnknownReasonPanicsInTests(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("an uncatalogued reason built an error; want a panic in tests")
		}
	}()
	_ = errs.Reason("NOT_IN_THE_CATALOGUE").New("x")
}

// The generated part of docs/errors.md lies between these lines.
const (
	docPath  = "../../docs/errors.md"
	docBegin = "<!-- reasons: generated from internal/errs/reasons.go by `go test ./internal/errs -run TestErrorsDoc -update`; do not edit -->\n"
	docEnd   = "<!-- end of reasons -->\n"
)

// TestErrorsDoc checks that the table of reasons in docs/errors.md is the
// catalogue's; with -update it rewrites the table.
func TestErrorsDoc(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := bytes.Cut(doc, []byte(docBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(docEnd))
	if !ok || !ok2 {
		t.Fatalf("%s lacks the lines %q and %q around the table of reasons", docPath, docBegin, docEnd)
	}
	var table bytes.Buffer
	table.WriteString("| reason | gRPC code | HTTP status | when |\n|---|---|---|---|\n")
	for _, row := range errs.Catalogue() {
		fmt.Fprintf(&table, "| `%s` | `%s` | %d | %s |\n", row.Reason, row.Code, row.HTTPStatus, row.When)
	}
	want := bytes.Join([][]byte{before, []byte(docBegin), table.Bytes(), []byte(docEnd), after}, nil)
	if bytes.Equal(doc, want) {
		return
	}
	if *update {
		if err := os.WriteFile(docPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is stale: regenerate it with go test ./internal/errs -run TestErrorsDoc -update", docPath)
}
