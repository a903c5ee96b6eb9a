package aip_test

import (
	"testing"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

func TestParseName(t *testing.T) {
	if region, id, err := aip.ParseName("name", "regions/lombardia/partners/udp-bergamo", "partners"); err != nil || region != "lombardia" || id != "udp-bergamo" {
		t.Errorf("ParseName = %q, %q, %v; want lombardia, udp-bergamo", region, id, err)
	}
	for _, name := range []string{
		"", "regions", "regions/", "regions/lombardia", "regions/lombardia/partners",
		"regions/lombardia/partners/", "regions//partners/p1", "regions/lombardia/networks/p1",
		"regions/lombardia/partners/p1/", "regions/lombardia/partners/p1/x", "region/lombardia/partners/p1",
		"/regions/lombardia/partners/p1",
	} {
		if _, _, err := aip.ParseName("name", name, "partners"); err == nil {
			t.Errorf("ParseName(%q) accepted, want an error naming the field", name)
		}
	}
}

// TestCheckNewIDRefusesTheWebsWords: a new resource's id may not be a word
// the web's addresses put where an id stands, whichever way it is chosen
// (CheckNewID, NewOrCheckID); the refusal names the field with its reason.
// A word that only starts like one is an id as any other.
func TestCheckNewIDRefusesTheWebsWords(t *testing.T) {
	for _, id := range []string{"nuovo", "nuova", "calendario"} {
		_, picked := aip.NewOrCheckID("partner_id", id)
		for _, err := range []error{aip.CheckNewID("capacity_assessment_id", id), picked} {
			e := errs.As(err)
			if e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Reason != errs.IDReserved {
				t.Errorf("id %q: got %v, want INVALID_ARGUMENT with one violation of reason %s", id, err, errs.IDReserved)
			}
		}
		if err := aip.CheckID("partner_id", id); err != nil {
			t.Errorf("CheckID(%q) = %v: an id of a resource that exists stays valid", id, err)
		}
	}
	if err := aip.CheckNewID("partner_id", "nuovo-ente"); err != nil {
		t.Errorf("CheckNewID(nuovo-ente) = %v, want nil", err)
	}
}
