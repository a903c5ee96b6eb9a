package resource_test

import (
	"context"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// TestRefs: each listed name is a Ref at its own path, and a name listed
// again, in the list or among those seen before it, is refused in the
// caller's words.
func TestRefs(t *testing.T) {
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
		seen := check.Set[string]{p + "p03": true}
		resource.Refs[famiv1.Partner](tx, &v, "partners", names, "lombardia", resource.Partners, seen, "%s is listed again")
		if v.Len() != len(want) {
			t.Errorf("violations %v, want %d", v.List(), len(want))
		}
		for _, vi := range v.List() {
			if w, ok := want[vi.Field]; !ok || !strings.Contains(vi.Description, w) {
				t.Errorf("%s: %q, want it to say %q", vi.Field, vi.Description, w)
			}
		}
		if !seen[p+"p01"] || !seen[p+"p02"] || seen[p+"p99"] {
			t.Errorf("seen = %v, want the existing names listed", seen)
		}
		once := check.Set[string]{}
		for i, want := range []bool{true, false} {
			var v errs.Violations
			if got := resource.RefOnce[famiv1.Partner](tx, &v, "partner", p+"p02", "lombardia", resource.Partners, once, "%s again"); got != want || v.Len() != i {
				t.Errorf("RefOnce, time %d: %v with %v, want %v", i+1, got, v.List(), want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
