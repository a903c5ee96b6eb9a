package resource_test

import (
	"context"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// TestRefList: each listed name is a Ref at its own path, and a name
// listed again, in the list or among those checked before it, is refused
// in the caller's words.
func TestRefList(t *testing.T) {
	s, _ := seeded(t, 3)
	const p = "regions/lombardia/partners/"
	names := []string{p + "p01", p + "p02", p + "p01", p + "p99", "", "regions/veneto/partners/p01", p + "p03"}
	want := map[string]string{
		"partners[2]": "regions/lombardia/partners/p01 is listed again",
		"partners[3]": "does not exist",
		"partners[4]": "is required",
		"partners[5]": "regions/veneto/partners/p01",
		"partners[6]": "regions/lombardia/partners/p03 is listed again",
	}
	err := s.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
		var v errs.Violations
		refs := resource.NewRefList[*famiv1.Partner](tx, &v, "lombardia", resource.Partners)
		refs.Twice = "%s is listed again"
		if !refs.Check("partner", p+"p03") || v.Len() != 0 {
			t.Fatalf("Check of an existing partner: %v", v.List())
		}
		refs.CheckAll("partners", names)
		if v.Len() != len(want) {
			t.Errorf("violations %v, want %d", v.List(), len(want))
		}
		for _, vi := range v.List() {
			if w, ok := want[vi.Field]; !ok || !strings.Contains(vi.Description, w) {
				t.Errorf("%s: %q, want it to say %q", vi.Field, vi.Description, w)
			}
		}
		// The existing names listed are remembered, a missing one is not.
		for name, seen := range map[string]bool{p + "p01": true, p + "p02": true, p + "p99": false} {
			n := v.Len()
			refs.Check("again", name)
			if got := v.Len() > n && strings.HasSuffix(v.List()[n].Description, "is listed again"); got != seen {
				t.Errorf("%s seen = %v, want %v (%v)", name, got, seen, v.List()[n:])
			}
		}
		var v1 errs.Violations
		once := resource.NewRefList[*famiv1.Partner](tx, &v1, "lombardia", resource.Partners)
		once.Twice = "%s again"
		for i, want := range []bool{true, false} {
			if got := once.Check("partner", p+"p02"); got != want || v1.Len() != i {
				t.Errorf("Check, time %d: %v with %v, want %v", i+1, got, v1.List(), want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
