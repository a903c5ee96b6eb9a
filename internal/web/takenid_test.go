package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestTakenIDMarksItsField: each form that creates a resource with an id
// the user chose (a partner, a project, a network, an account, a quarter's
// report) and sends one that is taken comes back, 422, with that field
// marked in its own words: the service names the field (resource.Taken)
// and the form marks it as it marks any other, with no case of its own.
// Before, only the report's form marked its quarter; the others said
// only, above the form, that an identifier was taken.
func TestTakenIDMarksItsField(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	udp := f.partner("lombardia", "udp-bergamo", "Ufficio di Piano di Bergamo")
	f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp)
	f.account("lombardia", "mrossi", "Mario Rossi", famiv1.Role_ROLE_CONSULTANT, "")
	if _, err := famiv1.NewMonitoringServiceClient(f.conn).CreateMonitoringReport(f.admin("lombardia"), &famiv1.CreateMonitoringReportRequest{
		Parent: "regions/lombardia/projects/lab-impact", MonitoringReportId: "2021-q3", MonitoringReport: &famiv1.MonitoringReport{}}); err != nil {
		t.Fatal(err)
	}
	a := f.client(t)
	a.signIn("admin@lombardia")
	for _, c := range []struct {
		name, path, page string
		form             url.Values
		want             string
	}{
		{"partner", "/partner", "/partner/nuovo", url.Values{"partner_id": {"udp-bergamo"}, "display_name": {"Altro"}, "kind": {"PARTNER_KIND_OTHER"}},
			`id="f-partner_id-err">Questo identificativo è già in uso`},
		{"project", "/progetti", "/progetti/nuovo", url.Values{"project_id": {"lab-impact"}, "code": {"PROG-1"}, "title": {"Altro"},
			"fund": {"FUND_FAMI_2021_2027"}, "start_date": {"01/01/2024"}, "end_date": {"31/12/2025"}},
			`id="f-project_id-err">Questo identificativo è già in uso`},
		{"network", "/reti", "/reti/nuova", url.Values{"network_id": {"rete-bergamo"}, "display_name": {"Altra"},
			"member.0.partner": {udp}, "member.0.role": {"MEMBER_ROLE_LEAD"}},
			`id="f-network_id-err">Questo identificativo è già in uso`},
		{"account", "/account", "/account", url.Values{"account_id": {"mrossi"}, "display_name": {"Mario Rossi"}, "role": {"ROLE_CONSULTANT"},
			"password": {"una password abbastanza lunga"}},
			`id="f-account_id-err">Questo nome utente è già in uso`},
		{"report", "/progetti/lab-impact/monitoraggio", "/progetti/lab-impact/monitoraggio", url.Values{"new_period": {"2021-q3"}},
			`id="f-new_period-err">Il rapporto di questo trimestre esiste già`},
	} {
		c.form.Set("csrf", a.csrf(c.page))
		res, page := a.do("POST", c.path, c.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, c.want) || !strings.Contains(page, `id="form-error"`) {
			t.Errorf("a %s with a taken id: status %d; want 422 with %s and the form's message", c.name, res.StatusCode, c.want)
		}
	}
}
