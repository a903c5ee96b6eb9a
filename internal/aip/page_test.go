package aip_test

import (
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

func TestStartPage(t *testing.T) {
	page, after, err := aip.StartPage(2, aip.EncodeToken("p07"))
	if err != nil || after != "p07" {
		t.Fatalf("got %q, %v; want p07", after, err)
	}
	if !page.Take(&famiv1.Partner{}) || !page.Take(&famiv1.Partner{}) || page.Take(&famiv1.Partner{}) {
		t.Errorf("a page of 2 took %d items then refused none", page.Len())
	}
	if _, after, err := aip.StartPage(0, ""); err != nil || after != "" {
		t.Errorf("first page: got %q, %v", after, err)
	}
	for _, tc := range []struct {
		size  int32
		token string
		field string
	}{
		{-1, "", "page_size"},
		{10, "forged", "page_token"},
	} {
		_, _, err := aip.StartPage(tc.size, tc.token)
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != tc.field {
			t.Errorf("%d %q: got %v, want INVALID_ARGUMENT on %s", tc.size, tc.token, err, tc.field)
		}
	}
}
