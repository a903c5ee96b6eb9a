package web

import (
	"net/http"
	"net/url"
	"strings"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/territory"
)

// dashboardPage is the governance dashboard (DashboardService): one row
// per region and the national totals for the ministry, the region's own
// row for a region.
type dashboardPage struct {
	frame
	Rows   []*famiv1.RegionSummary
	Totals *famiv1.RegionSummary
	// Names are the regions' display names by resource name.
	Names map[string]string
	Form  *form
	// Quarters are the filter's choices.
	Quarters []option
	// Unreachable says which regions the national figures leave out,
	// their data being unreadable (AIP-217); empty when none.
	Unreachable string
}

func (a *App) dashboardPage(w http.ResponseWriter, r *http.Request, s *session) {
	name := regionName(s.region)
	if s.who.Role == principal.Ministry {
		name = regionName("-")
	}
	period := a.quarterParam(r)
	p := &dashboardPage{frame: a.newFrame(r, s, "dashboard.title"), Names: map[string]string{}, Form: newForm(url.Values{"trimestre": {period}}),
		Quarters: a.quarterChoices(period)}
	for _, rg := range territory.Regions() {
		p.Names[regionName(rg.ID)] = rg.DisplayName
	}
	res, err := a.dashboard.SummarizeRegions(s.ctx, &famiv1.SummarizeRegionsRequest{Name: name, Period: period})
	if formError(p.Form, err, "") {
		p.Form.alias("period", "trimestre")
		a.render(w, http.StatusUnprocessableEntity, "dashboard", p)
		return
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p.Rows, p.Totals = res.GetRegions(), res.GetTotals()
	p.Unreachable = unreachable(res.GetUnreachable(), p.Names)
	a.render(w, http.StatusOK, "dashboard", p)
}

// unreachable is the warning of a national answer that left out the
// regions named (AIP-217), by their display names; empty when none. The
// services leave a region out only when its stored data is damaged
// (DATA_LOSS), so the warning says so.
func unreachable(regions []string, names map[string]string) string {
	if len(regions) == 0 {
		return ""
	}
	var each []string
	for _, r := range regions {
		name, ok := names[r]
		if !ok {
			name = r
		}
		each = append(each, msgf("national.unreachable_region", name))
	}
	return msgf("national.unreachable", strings.Join(each, ", "))
}
