package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

func TestProjectsAndNetworks(t *testing.T) {
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	a := f.client(t)
	a.signIn("admin@lombardia")

	project := url.Values{"csrf": {a.csrf("/progetti/nuovo")}, "project_id": {"lab-impact"}, "code": {"PROG-2463"}, "title": {"Lab Impact"},
		"fund": {"FUND_FAMI_2014_2020"}, "budget_cents": {"92.500,5"}, "start_date": {"01/09/2018"}, "end_date": {"31/12/2021"},
		"action.0.code": {"01"}, "action.0.title": {"Scuola"}, "action.1.code": {""}}
	bad := url.Values{}
	for k, v := range project {
		bad[k] = v
	}
	bad.Set("budget_cents", "novanta")
	res, page := a.do("POST", "/progetti", bad)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-budget_cents-err">Indica un importo valido`) || !strings.Contains(page, `value="novanta"`) {
		t.Errorf("bad amount: status %d; want 422 with the error at the budget, input kept", res.StatusCode)
	}
	if res, _ = a.do("POST", "/progetti", project); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create project: status %d", res.StatusCode)
	}
	_, page = a.do("GET", "/progetti?q=impact", nil)
	if !strings.Contains(page, "92.500,50\u00a0€") || !strings.Contains(page, "01/09/2018") {
		t.Errorf("project list does not show the budget as an Italian amount and dates as dd/mm/yyyy")
	}
	_, page = a.do("GET", "/progetti/lab-impact", nil)
	etag := page[strings.Index(page, `name="etag" value="`)+len(`name="etag" value="`):]
	etag = etag[:strings.IndexByte(etag, '"')]
	res, _ = a.do("POST", "/progetti/lab-impact/proroga", url.Values{"csrf": {a.csrf("/progetti/lab-impact")}, "etag": {etag},
		"ext_end_date": {"30/06/2023"}, "ext_act_reference": {"Decreto di proroga"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("extend: status %d", res.StatusCode)
	}
	_, page = a.do("GET", "/progetti/lab-impact", nil)
	if !strings.Contains(page, "Dal 31/12/2021 al 30/06/2023 (Decreto di proroga)") {
		t.Errorf("the extension is not shown")
	}
	// The extension form posts to an address of its own, POST only: once
	// stale, its reload link opens the project's page.
	res, page = a.do("POST", "/progetti/lab-impact/proroga", url.Values{"csrf": {a.csrf("/progetti/lab-impact")}, "etag": {etag},
		"ext_end_date": {"31/12/2023"}, "ext_act_reference": {"Secondo decreto di proroga"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `<a href="/progetti/lab-impact">Ricarica la versione attuale</a>`) {
		t.Errorf("stale extension: status %d; want 422 with a link reloading the project's page", res.StatusCode)
	}

	network := url.Values{"csrf": {a.csrf("/reti/nuova")}, "network_id": {"rete-bergamo"}, "display_name": {"Rete Bergamo"},
		"member.0.partner": {udp}, "member.0.role": {"MEMBER_ROLE_PARTNER"}, "member.1.partner": {cpia}, "member.1.role": {"MEMBER_ROLE_PARTNER"},
		"projects": {"regions/lombardia/projects/lab-impact"}}
	res, page = a.do("POST", "/reti", network)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-members-err"`) {
		t.Errorf("a network without a lead: status %d; want 422 with the error at the members", res.StatusCode)
	}
	network.Set("member.0.role", "MEMBER_ROLE_LEAD")
	if res, _ = a.do("POST", "/reti", network); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create network: status %d", res.StatusCode)
	}
	_, page = a.do("GET", "/reti", nil)
	if !strings.Contains(page, "Ufficio di Piano di Bergamo (Capofila)") || !strings.Contains(page, "CPIA Bergamo (Partner)") {
		t.Errorf("the network list does not show the members and the capofila")
	}
	if _, page = a.do("GET", "/reti?q=padova", nil); strings.Contains(page, "Rete Bergamo") {
		t.Errorf("the network search does not filter")
	}
}
