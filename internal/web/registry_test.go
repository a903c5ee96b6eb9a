package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

func TestProjectsAndNetworks(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	a := f.adminIn(t)

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
		"ext_end_date": {"30/06/2023"}, "ext_act_reference": {"Decreto di proroga"}, "conferma": {"1"}})
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
		"ext_end_date": {"31/12/2023"}, "ext_act_reference": {"Secondo decreto di proroga"}, "conferma": {"1"}})
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

// TestNetworkEditKeepsProjectActions: the network form picks projects, not
// the actions the network runs of each; saving it kept the projects and
// wiped their actions, at every save of the page.
func TestNetworkEditKeepsProjectActions(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	if _, err := famiv1.NewProjectServiceClient(f.conn).CreateProject(f.admin("lombardia"), &famiv1.CreateProjectRequest{Parent: "regions/lombardia",
		ProjectId: "lab-impact", Project: &famiv1.Project{Code: "PROG-2463", Title: "Lab Impact", Fund: famiv1.Fund_FUND_FAMI_2021_2027,
			StartDate: "2023-01-01", EndDate: "2025-12-31", Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Lavoro"}}}}); err != nil {
		t.Fatal(err)
	}
	networks := famiv1.NewNetworkServiceClient(f.conn)
	project := &famiv1.NetworkProject{Project: "regions/lombardia/projects/lab-impact", Actions: []string{"01", "02"}}
	if _, err := networks.CreateNetwork(f.admin("lombardia"), &famiv1.CreateNetworkRequest{Parent: "regions/lombardia", NetworkId: "rete-bergamo",
		Network: &famiv1.Network{DisplayName: "Rete Bergamo", LeadPartner: udp, Projects: []*famiv1.NetworkProject{project},
			Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: cpia, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}}); err != nil {
		t.Fatal(err)
	}
	a := f.adminIn(t)
	_, page := a.do("GET", "/reti/rete-bergamo", nil)
	res, _ := a.do("POST", "/reti/rete-bergamo", url.Values{"csrf": {a.csrf("/reti/rete-bergamo")}, "etag": {formEtag(t, page)},
		"display_name": {"Rete Bergamo Sud"}, "member.0.partner": {udp}, "member.0.role": {"MEMBER_ROLE_LEAD"},
		"member.1.partner": {cpia}, "member.1.role": {"MEMBER_ROLE_PARTNER"}, "projects": {project.GetProject()}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the network: status %d", res.StatusCode)
	}
	n, err := networks.GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: "regions/lombardia/networks/rete-bergamo"})
	if err != nil {
		t.Fatal(err)
	}
	if n.GetDisplayName() != "Rete Bergamo Sud" || len(n.GetProjects()) != 1 || !proto.Equal(n.GetProjects()[0], project) {
		t.Errorf("after saving the form: %q, projects %v; want the new name and %v", n.GetDisplayName(), n.GetProjects(), project)
	}

	// A project that does not exist is refused on the projects' fieldset,
	// which its words describe.
	_, page = a.do("GET", "/reti/rete-bergamo", nil)
	res, page = a.do("POST", "/reti/rete-bergamo", url.Values{"csrf": {a.csrf("/reti/rete-bergamo")}, "etag": {formEtag(t, page)},
		"display_name": {"Rete Bergamo Sud"}, "member.0.partner": {udp}, "member.0.role": {"MEMBER_ROLE_LEAD"},
		"member.1.partner": {cpia}, "member.1.role": {"MEMBER_ROLE_PARTNER"}, "projects": {"regions/lombardia/projects/nessuno"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `<fieldset aria-describedby="f-projects-err"><legend>`) ||
		!strings.Contains(page, `<span class="error-text" id="f-projects-err">`) {
		t.Errorf("a project that does not exist: status %d; want 422, the projects' fieldset described by its error:\n%s", res.StatusCode, page)
	}
}

// TestBrowserStaleEditWithABadValue submits, in Chromium, a partner's form
// loaded before another admin's save, with a fiscal code that is not one.
// The page, which passes axe-core, says both at once: that someone saved
// meanwhile (what changed, the typed values kept) and what is wrong with
// the fiscal code. The service checked the etag first and said only the
// first; the bad value surfaced on the next submit, after the user had
// been told the form was ready to save again.
func TestBrowserStaleEditWithABadValue(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	name := f.partner("lombardia", "udp-bergamo", "Ufficio di Piano di Bergamo")
	partners := famiv1.NewPartnerServiceClient(f.conn)

	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open("/partner/udp-bergamo", "partner-modifica")
	if _, err := partners.UpdatePartner(f.admin("lombardia"), &famiv1.UpdatePartnerRequest{
		Partner:    &famiv1.Partner{Name: name, Description: "Capofila dell'ambito"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}},
	}); err != nil {
		t.Fatal(err)
	}
	code := chromedp.CSS("#f-fiscal_code")
	b.run("a stale edit with a bad fiscal code", chromedp.SetValue(code, "ABC123"), chromedp.Submit(code), chromedp.WaitVisible(chromedp.CSS("#form-error")))
	b.check("partner-conflitto-e-campo")
	b.wantText("#form-error", "Nel frattempo")
	b.wantText("#form-error", "Controlla i campi evidenziati")
	b.wantText("#form-error tbody", "Descrizione\tCapofila dell'ambito")
	b.wantText("#f-fiscal_code-err", "Codice fiscale non valido")
	typed, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("f-fiscal_code").value`))
	if err != nil || typed != "ABC123" {
		t.Errorf("the fiscal code field holds %q (%v), want the typed ABC123", typed, err)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("f-fiscal_code").value = ""`)); err != nil {
		t.Fatal(err)
	}
	b.run("corrected", chromedp.Submit(code), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
}

// TestCreatePagesOnlyForWriters opens the registry's create pages as a
// consultant, whom the rights table does not let create partners,
// projects or networks: each is 403, as its submit would be. The partner
// and project pages were an empty 200, and the network page a form whose
// submit was refused.
func TestCreatePagesOnlyForWriters(t *testing.T) {
	t.Parallel()
	_, c, _ := inLombardia(t)
	c.signIn("mrossi@lombardia")
	for _, path := range []string{"/partner/nuovo", "/progetti/nuovo", "/reti/nuova"} {
		if res, page := c.do("GET", path, nil); res.StatusCode != http.StatusForbidden || !strings.Contains(page, "Accesso negato") {
			t.Errorf("%s as a consultant: status %d, want 403", path, res.StatusCode)
		}
	}
}

// TestNetworkMembersSharingAName: two partners of the region share a
// display name. The network form's shared list offers each with its id in
// brackets; the bare name is refused as naming several partners, which the
// error lists with their ids (the row named, nothing saved), the name
// with the id picks that partner; a partner of another region, sent by
// its resource name, names none here.
func TestNetworkMembersSharingAName(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, _ := f.bergamoPartners()
	f.partner("lombardia", "comune-1", "Comune")
	comune2 := f.partner("lombardia", "comune-2", "Comune")
	padova := f.partner("veneto", "udp-padova", "Ufficio di Piano di Padova")
	a := f.adminIn(t)

	_, page := a.do("GET", "/reti/nuova", nil)
	for _, want := range []string{`<option value="Comune (comune-1)">`, `<option value="Comune (comune-2)">`, `<option value="CPIA Bergamo">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the partners' list lacks %s", want)
		}
	}
	network := url.Values{"csrf": {a.csrf("/reti/nuova")}, "network_id": {"rete-comuni"}, "display_name": {"Rete dei Comuni"},
		"member.0.partner": {"Ufficio di Piano di Bergamo"}, "member.0.role": {"MEMBER_ROLE_LEAD"}, "member.1.partner": {" comune "}, "member.1.role": {"MEMBER_ROLE_PARTNER"}}
	for typed, want := range map[string]string{
		" comune ": "Membro 2: più partner si chiamano «comune»: «Comune (comune-1)», «Comune (comune-2)»; scrivi quello che intendi come è scritto qui",
		padova:     "Membro 2: nessun partner della regione si chiama «" + padova + "»",
	} {
		network.Set("member.1.partner", typed)
		res, page := a.do("POST", "/reti", network)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, want) || !strings.Contains(page, `id="m1-partner" name="member.1.partner" value="`+typed+`"`) {
			t.Errorf("member %q: status %d; want 422 with %q and the row as typed", typed, res.StatusCode, want)
		}
	}
	if _, err := famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: "regions/lombardia/networks/rete-comuni"}); err == nil {
		t.Errorf("a refused form saved the network")
	}
	network.Set("member.1.partner", "COMUNE (comune-2)")
	if res, _ := a.do("POST", "/reti", network); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create the network: status %d", res.StatusCode)
	}
	n, err := famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: "regions/lombardia/networks/rete-comuni"})
	if err != nil || len(n.GetMembers()) != 2 || n.GetLeadPartner() != udp || n.GetMembers()[1].GetPartner() != comune2 {
		t.Errorf("the network saved is %v, %v; want the UdP leading and comune-2", n, err)
	}
}

// TestExtensionLimitOnTheForm: the service refuses a project's 51st
// extension as the project's state (LIMIT_REACHED), naming no field of the
// extend form. The form says so in Italian, with the most a project may
// have and what to do instead (it said "check the fields", none marked),
// keeps what was typed, and nothing is saved.
func TestExtensionLimitOnTheForm(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	projects, ctx := famiv1.NewProjectServiceClient(f.conn), f.admin("lombardia")
	p, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "prog", Project: &famiv1.Project{
		Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2025-01-01", EndDate: "2025-12-31"}})
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	for i := range 50 {
		end := fmt.Sprintf("2026-%02d-%02d", 1+i/28, 1+i%28)
		if p, err = projects.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: p.GetName(), Extension: &famiv1.Extension{EndDate: end}}); err != nil {
			t.Fatalf("extension to %s: %v", end, err)
		}
	}
	a := f.client(t)
	a.signIn("admin@lombardia")
	_, page := a.do("GET", "/progetti/prog", nil)
	ext := formValues(t, page, "/progetti/prog/proroga")
	ext.Set("ext_end_date", "31/12/2030")
	ext.Set("ext_act_reference", "Decreto 99/2026")
	ext.Set("conferma", "1")
	res, page := a.do("POST", "/progetti/prog/proroga", ext)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("the 51st extension: status %d, want 422 with the form again", res.StatusCode)
	}
	for _, want := range []string{"Questo progetto ha già 50 proroghe, il massimo che un progetto può avere", "registrale come un nuovo progetto",
		`value="31/12/2030"`, `value="Decreto 99/2026"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused extension's page lacks %q", want)
		}
	}
	if strings.Contains(page, "Controlla i campi") || strings.Contains(page, `class="error-text"`) {
		t.Error("the refused extension's page asks to check fields: no field is wrong")
	}
	if got, err := projects.GetProject(ctx, &famiv1.GetProjectRequest{Name: p.GetName()}); err != nil || got.GetEtag() != p.GetEtag() {
		t.Errorf("after the refused extension: %v, etag %s; want the project unchanged, etag %s", err, got.GetEtag(), p.GetEtag())
	}
}

// TestFormsOfNamesStoredUnderOlderRules: a partner and a network whose
// names, of accents alone, were stored before names were checked for them
// (straight to the region's file) show their forms with the name marked,
// saying that it must change and that the rest saves anyway; the forms,
// posted with the name as it is, save their other fields; a new name of
// accents alone is refused at the field, in words of its own; and a
// proper name is saved. Before, every save of such a form was refused.
func TestFormsOfNamesStoredUnderOlderRules(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	network := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	f = f.storedDirectly(func(tx store.WriteTx) error {
		p, n := &famiv1.Partner{}, &famiv1.Network{}
		if err := tx.Get(udp, p); err != nil {
			return err
		}
		if err := tx.Get(network, n); err != nil {
			return err
		}
		p.DisplayName, n.DisplayName = "´", "\u0301\u0301"
		if err := tx.Put(p); err != nil {
			return err
		}
		return tx.Put(n)
	})
	a := f.adminIn(t)
	const olderName, noLetters = "salvato con regole precedenti", "che le ricerche ignorano"
	save := func(path string, form url.Values, want int) string {
		t.Helper()
		_, page := a.do("GET", path, nil)
		if !strings.Contains(page, olderName) {
			t.Errorf("%s: the form does not say the stored name must change", path)
		}
		form.Set("csrf", a.csrf(path))
		form.Set("etag", formEtag(t, page))
		res, answer := a.do("POST", path, form)
		if res.StatusCode != want {
			t.Errorf("%s with display name %+q: status %d, want %d", path, form.Get("display_name"), res.StatusCode, want)
		}
		return answer
	}

	partnerPage := "/partner/" + resource.ID(udp)
	partnerForm := func(name string) url.Values {
		return url.Values{"display_name": {name}, "kind": {"PARTNER_KIND_OTHER"}, "description": {"Descritto"}}
	}
	save(partnerPage, partnerForm("´"), http.StatusSeeOther)
	p, err := famiv1.NewPartnerServiceClient(f.conn).GetPartner(f.admin("lombardia"), &famiv1.GetPartnerRequest{Name: udp})
	if err != nil || p.GetDescription() != "Descritto" || p.GetDisplayName() != "´" {
		t.Errorf("the partner after its form: %v, %v; want its description saved, its name kept", p, err)
	}
	if answer := save(partnerPage, partnerForm("\u0308"), http.StatusUnprocessableEntity); !strings.Contains(answer, noLetters) {
		t.Errorf("a new name of accents alone: the answer does not say what is wrong with it")
	}
	save(partnerPage, partnerForm("Ufficio di Piano"), http.StatusSeeOther)
	if _, page := a.do("GET", partnerPage, nil); strings.Contains(page, olderName) {
		t.Errorf("renamed, the partner's form still says its name must change")
	}

	networkPage := "/reti/" + resource.ID(network)
	save(networkPage, url.Values{"display_name": {"\u0301\u0301"}, "ats": {"ATS Bergamo"}, "member.0.partner": {udp}, "member.0.role": {"MEMBER_ROLE_LEAD"},
		"member.1.partner": {cpia}, "member.1.role": {"MEMBER_ROLE_PARTNER"}}, http.StatusSeeOther)
	n, err := famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: network})
	if err != nil || n.GetAts() != "ATS Bergamo" || n.GetDisplayName() != "\u0301\u0301" {
		t.Errorf("the network after its form: %v, %v; want its ATS saved, its name kept", n, err)
	}
}

// TestRecordsWithAReservedIDHaveAPage: a partner stored with the id
// "nuovo" before the API reserved the word (aip.ReservedID; straight to
// the region's file) is listed with a link to its own page, which shows
// it, and its form saves and comes back to that page, saying so;
// /partner/nuovo is still the new partner's form. Its link led to the new
// partner's form, and nothing of the web reached the partner.
func TestRecordsWithAReservedIDHaveAPage(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp := f.partner("lombardia", "udp-bergamo", "Ufficio di Piano di Bergamo")
	f = f.storedDirectly(func(tx store.WriteTx) error {
		p := &famiv1.Partner{}
		if err := tx.Get(udp, p); err != nil {
			return err
		}
		p.Name, p.DisplayName = "regions/lombardia/partners/nuovo", "Partner di nome nuovo"
		return tx.Put(p)
	})
	a := f.adminIn(t)

	_, list := a.do("GET", "/partner", nil)
	link := regexp.MustCompile(`<a href="([^"]*)">Partner di nome nuovo</a>`).FindStringSubmatch(list)
	if link == nil {
		t.Fatalf("the partners' list has no link to the partner nuovo:\n%s", list)
	}
	page := html.UnescapeString(link[1])
	res, body := a.do("GET", page, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `value="Partner di nome nuovo"`) {
		t.Fatalf("%s, the partner nuovo's link: status %d, want its page:\n%s", page, res.StatusCode, body)
	}
	if _, form := a.do("GET", "/partner/nuovo", nil); strings.Contains(form, "Partner di nome nuovo") {
		t.Errorf("/partner/nuovo is no longer the new partner's form")
	}

	form := url.Values{"csrf": {a.csrf(page)}, "etag": {formEtag(t, body)}, "display_name": {"Partner rinominato"}, "kind": {"PARTNER_KIND_OTHER"}}
	res, _ = a.do("POST", "/partner/nuovo", form)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != page {
		t.Fatalf("save the partner nuovo: status %d to %q, want 303 to %s", res.StatusCode, loc, page)
	}
	if _, body := a.do("GET", page, nil); !strings.Contains(body, "Partner aggiornato") || !strings.Contains(body, `value="Partner rinominato"`) {
		t.Errorf("%s after the save does not show the partner saved, saying so:\n%s", page, body)
	}
}
