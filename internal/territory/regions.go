// Package territory holds the reference data of Italian territorial units:
// the regions (and autonomous provinces) that FAMI programmes are organised
// by, and the ISTAT list of municipalities used to validate addresses and to
// drive autocomplete fields.
package territory

import "slices"

// Region is one territorial unit a FAMI programme can be assigned to.
//
// ID is a stable, URL-friendly slug used throughout the platform, so that
// stored records do not depend on display names or on ISTAT renumbering.
// ISTATCode is the two-digit ISTAT region code, except for the two
// autonomous provinces, which carry their three-digit province code.
type Region struct {
	ID          string
	DisplayName string
	ISTATCode   string
}

// regions lists the 21 units in ISTAT order. Trentino-Alto Adige (ISTAT
// region 04) is deliberately absent: FAMI governance treats its two
// autonomous provinces, Bolzano (021) and Trento (022), as separate units,
// so they take its place in the sequence.
var regions = []Region{
	{ID: "piemonte", DisplayName: "Piemonte", ISTATCode: "01"},
	{ID: "valle-d-aosta", DisplayName: "Valle d'Aosta/Vallée d'Aoste", ISTATCode: "02"},
	{ID: "lombardia", DisplayName: "Lombardia", ISTATCode: "03"},
	{ID: "bolzano", DisplayName: "Provincia autonoma di Bolzano/Bozen", ISTATCode: "021"},
	{ID: "trento", DisplayName: "Provincia autonoma di Trento", ISTATCode: "022"},
	{ID: "veneto", DisplayName: "Veneto", ISTATCode: "05"},
	{ID: "friuli-venezia-giulia", DisplayName: "Friuli-Venezia Giulia", ISTATCode: "06"},
	{ID: "liguria", DisplayName: "Liguria", ISTATCode: "07"},
	{ID: "emilia-romagna", DisplayName: "Emilia-Romagna", ISTATCode: "08"},
	{ID: "toscana", DisplayName: "Toscana", ISTATCode: "09"},
	{ID: "umbria", DisplayName: "Umbria", ISTATCode: "10"},
	{ID: "marche", DisplayName: "Marche", ISTATCode: "11"},
	{ID: "lazio", DisplayName: "Lazio", ISTATCode: "12"},
	{ID: "abruzzo", DisplayName: "Abruzzo", ISTATCode: "13"},
	{ID: "molise", DisplayName: "Molise", ISTATCode: "14"},
	{ID: "campania", DisplayName: "Campania", ISTATCode: "15"},
	{ID: "puglia", DisplayName: "Puglia", ISTATCode: "16"},
	{ID: "basilicata", DisplayName: "Basilicata", ISTATCode: "17"},
	{ID: "calabria", DisplayName: "Calabria", ISTATCode: "18"},
	{ID: "sicilia", DisplayName: "Sicilia", ISTATCode: "19"},
	{ID: "sardegna", DisplayName: "Sardegna", ISTATCode: "20"},
}

// trentinoAltoAdige is the ISTAT code of the region that is split into its
// two autonomous provinces; rows carrying it are resolved by province code.
const trentinoAltoAdige = "04"

// regionByISTAT maps an ISTAT code to a region ID. It is keyed by both the
// two-digit region codes and the three-digit codes of the autonomous
// provinces, which cannot collide because their lengths differ.
var regionByISTAT = func() map[string]string {
	m := make(map[string]string, len(regions))
	for _, r := range regions {
		m[r.ISTATCode] = r.ID
	}
	return m
}()

// Regions returns the territorial units in ISTAT order. The slice is a copy,
// so callers may sort or modify it without affecting the package table.
func Regions() []Region {
	return slices.Clone(regions)
}

// LookupRegion returns the region with the given slug ID. A linear scan is
// enough for 21 entries and avoids keeping a second index in sync.
func LookupRegion(id string) (Region, bool) {
	for _, r := range regions {
		if r.ID == id {
			return r, true
		}
	}
	return Region{}, false
}

// regionIDFor resolves the region ID of a municipality from its ISTAT region
// and province codes, mapping Trentino-Alto Adige to its autonomous
// provinces. It returns false when no unit matches.
func regionIDFor(regionCode, provinceCode string) (string, bool) {
	switch {
	case regionCode == trentinoAltoAdige && len(provinceCode) == 3:
		regionCode = provinceCode
	case len(regionCode) != 2 || regionCode == trentinoAltoAdige:
		// Only two-digit codes are looked up directly, so that a
		// three-digit province code in the region column, or a short
		// province code next to 04, cannot match a unit by accident.
		return "", false
	}
	id, ok := regionByISTAT[regionCode]
	return id, ok
}
