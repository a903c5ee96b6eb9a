package territory_test

import (
	"testing"

	"github.com/raccordo/raccordo/internal/territory"
)

func TestRegions(t *testing.T) {
	regions := territory.Regions()
	if got, want := len(regions), 21; got != want {
		t.Fatalf("len(Regions()) = %d, want %d", got, want)
	}

	ids := make(map[string]bool)
	codes := make(map[string]bool)
	for _, r := range regions {
		if ids[r.ID] {
			t.Errorf("duplicate region id %q", r.ID)
		}
		if codes[r.ISTATCode] {
			t.Errorf("duplicate ISTAT code %q", r.ISTATCode)
		}
		ids[r.ID], codes[r.ISTATCode] = true, true
		if r.DisplayName == "" {
			t.Errorf("region %q has no display name", r.ID)
		}
	}

	if got, want := regions[0].ID, "piemonte"; got != want {
		t.Errorf("first region = %q, want %q", got, want)
	}
	if got, want := regions[len(regions)-1].ID, "sardegna"; got != want {
		t.Errorf("last region = %q, want %q", got, want)
	}
}

func TestRegionsReturnsCopy(t *testing.T) {
	territory.Regions()[0].ID = "mutated"
	if got, want := territory.Regions()[0].ID, "piemonte"; got != want {
		t.Errorf("after mutating a returned slice, Regions()[0].ID = %q, want %q", got, want)
	}
}

func TestLookupRegion(t *testing.T) {
	tests := []struct {
		id       string
		wantOK   bool
		wantCode string
		wantName string
	}{
		{id: "piemonte", wantOK: true, wantCode: "01", wantName: "Piemonte"},
		{id: "valle-d-aosta", wantOK: true, wantCode: "02", wantName: "Valle d'Aosta/Vallée d'Aoste"},
		{id: "bolzano", wantOK: true, wantCode: "021", wantName: "Provincia autonoma di Bolzano/Bozen"},
		{id: "trento", wantOK: true, wantCode: "022", wantName: "Provincia autonoma di Trento"},
		{id: "sardegna", wantOK: true, wantCode: "20", wantName: "Sardegna"},
		{id: "trentino-alto-adige", wantOK: false},
		{id: "Lombardia", wantOK: false},
		{id: "", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, ok := territory.LookupRegion(tt.id)
			if ok != tt.wantOK {
				t.Fatalf("LookupRegion(%q) ok = %v, want %v", tt.id, ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if got.ID != tt.id || got.ISTATCode != tt.wantCode || got.DisplayName != tt.wantName {
				t.Errorf("LookupRegion(%q) = %+v, want ID %q, code %q, name %q",
					tt.id, got, tt.id, tt.wantCode, tt.wantName)
			}
		})
	}
}
