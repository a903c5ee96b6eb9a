package resource_test

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// TestKitImportsNoGeneratedMessages: the kit's code imports aip, check,
// errs and store, never the generated messages (docs/architecture.md):
// what can be archived is registered by the capability that owns it
// (resource.Archivable). It imported them to know the two archivable
// resources.
func TestKitImportsNoGeneratedMessages(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.Contains(path, "/gen/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

// TestArchivableIsRefReadsRule: a type registered with Archivable is
// refused by RefRead when its rule says archived (reason ARCHIVED), and
// only then; a type never registered is never archived (Partner here: no
// capability registered it in this package's tests); registering a type
// twice panics.
func TestArchivableIsRefReadsRule(t *testing.T) {
	const closed = "MARKER-archived"
	resource.Archivable(func(c *famiv1.Contact) bool { return c.GetDisplayName() == closed })
	defer func() {
		if recover() == nil {
			t.Error("a second Archivable of Contact did not panic")
		}
	}()
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	const c = "regions/lombardia/contacts/"
	_, err := store.Mutate(t.Context(), s, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
		if err := tx.Put(&famiv1.Contact{Name: c + "chiuso", DisplayName: closed}); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, tx.Put(&famiv1.Contact{Name: c + "aperto", DisplayName: "Aperto"})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		for id, want := range map[string]bool{"chiuso": true, "aperto": false} {
			var v errs.Violations
			if !resource.RefRead(tx, &v, "contact", c+id, resource.Contacts, &famiv1.Contact{}) {
				t.Errorf("%s not read", id)
			}
			if got := v.Len() == 1 && v.List()[0].Reason == string(errs.Archived); got != want || v.Len() > 1 {
				t.Errorf("%s: violations %v, want archived %v", id, v.List(), want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if resource.Archived(&famiv1.Partner{Archived: true}) {
		t.Error("a partner is archived with no rule registered for partners")
	}
	resource.Archivable(func(c *famiv1.Contact) bool { return false })
}
