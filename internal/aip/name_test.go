package aip_test

import (
	"testing"

	"github.com/raccordo/raccordo/internal/aip"
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
