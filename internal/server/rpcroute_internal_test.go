package server

import "testing"

func TestServicePath(t *testing.T) {
	for path, want := range map[string]string{
		"/fami.v1.PartnerService/GetPartner":  "/fami.v1.PartnerService/",
		"/fami.v1.PartnerService/":            "/fami.v1.PartnerService/",
		"/fami.v1.PartnerService":             "",
		"/v1/regions/lombardia/partners/p1":   "/v1/",
		"//GetPartner":                        "//",
		"/":                                   "",
		"":                                    "",
		"*":                                   "",
		"fami.v1.PartnerService/GetPartner/x": "",
	} {
		if got := servicePath(path); got != want {
			t.Errorf("servicePath(%q) = %q, want %q", path, got, want)
		}
	}
}
