package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
)

// datalist is the <datalist> of id in page, "" if none.
func datalist(page, id string) string {
	start := strings.Index(page, `<datalist id="`+id+`">`)
	if start < 0 {
		return ""
	}
	end := strings.Index(page[start:], "</datalist>")
	return page[start : start+end]
}

// beneficiaryRegion creates 130 partners "Partner NNN", "Cooperativa
// Sole" and two "Comune di Bergamo" (comune-a, comune-b) in Lombardia,
// and a project lab-impact whose beneficiary, typed in another case and
// spacing, is Cooperativa Sole. It returns the project form as posted, a
// client signed in as the region's admin and the project's beneficiary.
func beneficiaryRegion(t *testing.T, f *famid) (project url.Values, a *browserless, beneficiary func() string) {
	t.Helper()
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	f.partners("lombardia", 130, func(i int) (string, string) { return fmt.Sprintf("p%03d", i), fmt.Sprintf("Partner %03d", i) })
	sole := f.partner("lombardia", "sole", "Cooperativa Sole")
	f.partner("lombardia", "comune-a", "Comune di Bergamo")
	f.partner("lombardia", "comune-b", "Comune di Bergamo")
	a = f.client(t)
	a.signIn("admin@lombardia")
	projects := famiv1.NewProjectServiceClient(f.conn)
	beneficiary = func() string {
		t.Helper()
		p, err := projects.GetProject(f.admin("lombardia"), &famiv1.GetProjectRequest{Name: "regions/lombardia/projects/lab-impact"})
		if err != nil {
			t.Fatal(err)
		}
		return p.GetBeneficiary()
	}
	project = url.Values{"csrf": {a.csrf("/progetti/nuovo")}, "project_id": {"lab-impact"}, "code": {"PROG-2463"}, "title": {"Lab Impact"},
		"fund": {"FUND_FAMI_2014_2020"}, "start_date": {"01/09/2018"}, "end_date": {"31/12/2021"}, "beneficiary": {"  cooperativa   SOLE "}}
	if res, page := a.do("POST", "/progetti", project); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create with a beneficiary typed in another case: status %d\n%s", res.StatusCode, page)
	}
	if got := beneficiary(); got != sole {
		t.Errorf("the beneficiary typed is %q, want %q", got, sole)
	}
	return project, a, beneficiary
}

// beneficiaryEdit posts lab-impact's form as beneficiaryRegion created
// it, as a, with the beneficiary typed.
func beneficiaryEdit(a *browserless, project url.Values) func(typed string) (*http.Response, string) {
	return func(typed string) (*http.Response, string) {
		_, page := a.do("GET", "/progetti/lab-impact", nil)
		etag := page[strings.Index(page, `name="etag" value="`)+len(`name="etag" value="`):]
		etag = etag[:strings.IndexByte(etag, '"')]
		v := url.Values{}
		for k, vs := range project {
			v[k] = vs
		}
		v.Del("project_id")
		v.Set("csrf", a.csrf("/progetti/lab-impact"))
		v.Set("etag", etag)
		v.Set("beneficiary", typed)
		return a.do("POST", "/progetti/lab-impact", v)
	}
}

// TestBeneficiaryNamedAmongManyIsCertain: a name that more than a page of
// partners' names contain (here 150 "Caritas NNN") resolves only when no
// second partner of that name is left unread. The second "Caritas",
// listed after the 150, used to go unnoticed: the first was taken.
func TestBeneficiaryNamedAmongManyIsCertain(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	project, a, beneficiary := beneficiaryRegion(t, f)
	first := f.partner("lombardia", "caritas", "Caritas")
	f.partners("lombardia", 150, func(i int) (string, string) { return fmt.Sprintf("caritas-%03d", i), fmt.Sprintf("Caritas %03d", i) })
	edit := beneficiaryEdit(a, project)
	if res, page := edit("caritas"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the one Caritas among 151 names containing it: status %d\n%s", res.StatusCode, page)
	}
	if got := beneficiary(); got != first {
		t.Fatalf("the beneficiary typed is %q, want %q", got, first)
	}
	f.partner("lombardia", "caritas-zz", "Caritas")
	res, page := edit("Caritas")
	if want := `id="f-beneficiary-err">Beneficiario: più partner si chiamano «Caritas»`; res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
		t.Errorf("a second Caritas after 150 longer names: status %d, want 422 with %q at the field", res.StatusCode, want)
	}
	if got := beneficiary(); got != first {
		t.Errorf("refused, yet the project's beneficiary is now %q", got)
	}
}

// TestBeneficiaryNamedAmongThousandTakesTwoCalls: a name that a thousand
// other partners' names contain (here "Bottega NNNN") resolves through the
// service's exact display_name filter, in as many ListPartners calls as
// the region's 1,135 partners take at the filter's scan budget of
// aip.MinScan records a call: two, each bounded (it was one call reading
// the whole region, and before that ten pages of the web's own, then
// refused as too many to verify). A second
// "Bottega" makes the name shared, and the refusal lists both with their
// ids; past five, the first five and "e altri". The choice with the id
// still picks one.
func TestBeneficiaryNamedAmongThousandTakesTwoCalls(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, _, beneficiary := beneficiaryRegion(t, f)
	bottega := f.partner("lombardia", "bottega", "Bottega")
	f.partners("lombardia", 1000, func(i int) (string, string) { return fmt.Sprintf("bottega-%04d", i), fmt.Sprintf("Bottega %04d", i) })
	base, reads := countedApp(t, f)
	token := f.signedIn("admin@lombardia")
	edit := func(typed string) (int, string) {
		t.Helper()
		page := fetch(t, base+"/progetti/lab-impact", token)
		form := url.Values{"etag": {formEtag(t, page)}, "code": {"PROG-2463"}, "title": {"Lab Impact"}, "fund": {"FUND_FAMI_2014_2020"},
			"start_date": {"01/09/2018"}, "end_date": {"31/12/2021"}, "beneficiary": {typed}}
		reads.reset()
		return postCounted(t, base+"/progetti/lab-impact", token, page, form)
	}
	if code, page := edit("  bottega "); code != http.StatusSeeOther {
		t.Fatalf("Bottega among 1001 names containing it: status %d\n%s", code, page)
	}
	if n, want := reads.of("ListPartners"), (1135+aip.MinScan-1)/aip.MinScan; n != want {
		t.Errorf("the name was resolved in %d ListPartners calls, want %d", n, want)
	}
	if got := beneficiary(); got != bottega {
		t.Errorf("the beneficiary typed is %q, want %q", got, bottega)
	}

	f.partner("lombardia", "bottega-zz", "BOTTEGA")
	code, page := edit("Bottega")
	want := `id="f-beneficiary-err">Beneficiario: più partner si chiamano «Bottega»: «Bottega (bottega)», «BOTTEGA (bottega-zz)»; scrivi quello che intendi`
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
		t.Errorf("two partners called Bottega: status %d, want 422 with %q at the field", code, want)
	}
	for i := range 5 {
		f.partner("lombardia", fmt.Sprintf("bottega-z%d", i), "Bottega")
	}
	_, page = edit("Bottega")
	want = `Beneficiario: più partner si chiamano «Bottega»: «Bottega (bottega)», «Bottega (bottega-z0)», «Bottega (bottega-z1)», «Bottega (bottega-z2)», «Bottega (bottega-z3)» e altri;`
	if !strings.Contains(page, want) {
		t.Errorf("seven partners called Bottega: the refusal does not list the first five and say there are others (%q)", want)
	}
	if got := beneficiary(); got != bottega {
		t.Errorf("refused, yet the project's beneficiary is now %q", got)
	}
	if code, _ := edit("Bottega (bottega-z4)"); code != http.StatusSeeOther {
		t.Fatalf("the name with its id: status %d", code)
	}
	if got := beneficiary(); got != "regions/lombardia/partners/bottega-z4" {
		t.Errorf("the beneficiary named with its id is %q, want bottega-z4", got)
	}
}

// postCounted posts form to u, an application countedApp serves, as the
// session token's user, with the anti-forgery token of page (the form's
// page): the answer's status, redirects not followed, and body.
func postCounted(t *testing.T, u, token, page string, form url.Values) (int, string) {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page of %s", u)
	}
	form.Set("csrf", m[1])
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "raccordo_sessione="+token)
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestBeneficiaryRenamedMeanwhile saves a project's form loaded before its
// beneficiary was renamed and another partner took the old name: the
// input, left as loaded, keeps the beneficiary (it was refused as an
// unknown name, or taken as the other partner), which the page then shows
// by its new name. A name typed anew is what it names.
func TestBeneficiaryRenamedMeanwhile(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	project, a, beneficiary := beneficiaryRegion(t, f)
	sole := beneficiary()
	_, page := a.do("GET", "/progetti/lab-impact", nil)
	if !strings.Contains(page, `<input type="hidden" name="beneficiary_was" value="`+sole+`"><input type="hidden" name="beneficiary_shown" value="Cooperativa Sole">`) {
		t.Fatalf("the beneficiary's input does not carry the partner and the name it shows:\n%s", page)
	}
	if _, err := famiv1.NewPartnerServiceClient(f.conn).UpdatePartner(f.admin("lombardia"), &famiv1.UpdatePartnerRequest{
		Partner: &famiv1.Partner{Name: sole, DisplayName: "Cooperativa Sole Sociale"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}); err != nil {
		t.Fatal(err)
	}
	other := f.partner("lombardia", "sole-nuova", "Cooperativa Sole")
	form := url.Values{"csrf": {a.csrf("/progetti/lab-impact")}, "etag": {formEtag(t, page)}, "beneficiary_was": {sole}, "beneficiary_shown": {"Cooperativa Sole"}}
	for _, k := range []string{"code", "title", "fund", "start_date", "end_date"} {
		form[k] = project[k]
	}
	form.Set("title", "Lab Impact 2")
	form.Set("beneficiary", "Cooperativa Sole")
	if res, page := a.do("POST", "/progetti/lab-impact", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with the beneficiary as loaded: status %d\n%s", res.StatusCode, page)
	}
	if got := beneficiary(); got != sole {
		t.Fatalf("the beneficiary left as loaded is now %q, want %q", got, sole)
	}
	if _, page = a.do("GET", "/progetti/lab-impact", nil); !strings.Contains(page, `name="beneficiary" value="Cooperativa Sole Sociale"`) {
		t.Errorf("the project's page does not show its beneficiary by its new name")
	}

	form.Set("etag", formEtag(t, page))
	form.Set("beneficiary_shown", "Cooperativa Sole Sociale")
	if res, page := a.do("POST", "/progetti/lab-impact", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with the other partner's name typed: status %d\n%s", res.StatusCode, page)
	}
	if got := beneficiary(); got != other {
		t.Errorf("the beneficiary typed anew is %q, want %q", got, other)
	}
}

// TestBeneficiaryDeletedMeanwhile: a project form whose beneficiary was
// left as loaded, while another user gave the project another beneficiary
// and deleted the one the page showed, is refused at the field saying the
// partner was deleted since, not that no partner bears its name; nothing
// is saved.
func TestBeneficiaryDeletedMeanwhile(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	project, a, beneficiary := beneficiaryRegion(t, f)
	sole := beneficiary()
	_, page := a.do("GET", "/progetti/lab-impact", nil)
	other := f.partner("lombardia", "luna", "Cooperativa Luna")
	if _, err := famiv1.NewProjectServiceClient(f.conn).UpdateProject(f.admin("lombardia"), &famiv1.UpdateProjectRequest{
		Project: &famiv1.Project{Name: "regions/lombardia/projects/lab-impact", Beneficiary: other}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"beneficiary"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := famiv1.NewPartnerServiceClient(f.conn).DeletePartner(f.admin("lombardia"), &famiv1.DeletePartnerRequest{Name: sole}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"csrf": {a.csrf("/progetti/lab-impact")}, "etag": {formEtag(t, page)}, "beneficiary": {"Cooperativa Sole"},
		"beneficiary_was": {sole}, "beneficiary_shown": {"Cooperativa Sole"}}
	for _, k := range []string{"code", "title", "fund", "start_date", "end_date"} {
		form[k] = project[k]
	}
	res, page := a.do("POST", "/progetti/lab-impact", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "«Cooperativa Sole» non esiste più") {
		t.Errorf("save with a beneficiary deleted since: status %d, want 422 saying it was deleted\n%s", res.StatusCode, page)
	}
	if got := beneficiary(); got != other {
		t.Errorf("the beneficiary is now %q, want %q as the other user left it", got, other)
	}
}

// TestProjectPageReadsNoPartnerList: a project's page shows its
// beneficiary by name in a typed search whose datalist is a bounded page
// of partners, never the region's 133, read by itself.
func TestProjectPageReadsNoPartnerList(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	beneficiaryRegion(t, f)
	base, reads := countedApp(t, f)
	whole, err := famiv1.NewPartnerServiceClient(f.conn).ListPartners(f.admin("lombardia"), &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	reads.reset()
	page := fetch(t, base+"/progetti/lab-impact", f.signedIn("admin@lombardia"))
	if !strings.Contains(page, `name="beneficiary" value="Cooperativa Sole"`) {
		t.Error("the project's page does not show its beneficiary by name in the input")
	}
	list := datalist(page, "beneficiary-list")
	if n := strings.Count(list, "<option "); n == 0 || n > 50 {
		t.Errorf("the beneficiary's datalist offers %d partners, want 1 to 50 of the region's 133", n)
	}
	if _, bytes := reads.total(); bytes >= int64(proto.Size(whole))/2 {
		t.Errorf("the project's page read %d B of the services; the region's partners alone are %d B", bytes, proto.Size(whole))
	}
	if n := reads.of("ListPartners"); n > 1 {
		t.Errorf("the project's page listed partners %d times, want at most once", n)
	}

}

// TestProjectBeneficiaryIsATypedSearch: a project's typed beneficiary is
// resolved on submit, in any case and spacing, or by a shared name's
// choice with its id, and refused at the field when it names no partner
// (a part of 130 names, "partner", is none of them) or several.
func TestProjectBeneficiaryIsATypedSearch(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	project, a, beneficiary := beneficiaryRegion(t, f)
	sole, comuneB := "regions/lombardia/partners/sole", "regions/lombardia/partners/comune-b"
	edit := beneficiaryEdit(a, project)
	for _, c := range []struct{ typed, err string }{
		{"Comune di Bergamo", "Beneficiario: più partner si chiamano «Comune di Bergamo»"},
		{"Nessuno", "Beneficiario: nessun partner della regione si chiama «Nessuno»"},
		{"partner", "Beneficiario: nessun partner della regione si chiama «partner»"},
		{"Comune di Bergamo (p001)", "Beneficiario: nessun partner della regione si chiama «Comune di Bergamo (p001)»"},
		{"regions/veneto/partners/sole", "Beneficiario: nessun partner della regione si chiama «regions/veneto/partners/sole»"},
		{"regions/lombardia/partners/nessuno", "Beneficiario: nessun partner della regione si chiama «regions/lombardia/partners/nessuno»"},
	} {
		res, page := edit(c.typed)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="f-beneficiary-err">`+c.err) ||
			!strings.Contains(page, `value="`+c.typed+`"`) || !strings.Contains(page, `aria-invalid="true"`) {
			t.Errorf("beneficiary %q: status %d; want 422 with %q at the field, the text kept", c.typed, res.StatusCode, c.err)
		}
		if got := beneficiary(); got != sole {
			t.Errorf("beneficiary %q refused, yet the project's is now %q", c.typed, got)
		}
	}
	// Refused as ambiguous, the page offers the partners of that name, each
	// with its id: the choice that names one.
	_, page := edit("Comune di Bergamo")
	if list := datalist(page, "beneficiary-list"); !strings.Contains(list, `value="Comune di Bergamo (comune-a)"`) || !strings.Contains(list, `value="Comune di Bergamo (comune-b)"`) {
		t.Errorf("the ambiguous name's page does not offer both partners by id: %s", list)
	}
	if res, _ := edit("comune di bergamo (comune-b)"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a shared name with its id: status %d", res.StatusCode)
	}
	if got := beneficiary(); got != comuneB {
		t.Errorf("the beneficiary chosen by id is %q, want %q", got, comuneB)
	}
	// A partner's resource name, as a form posted without the page sends
	// it, is that partner.
	if res, _ := edit(sole); res.StatusCode != http.StatusSeeOther || beneficiary() != sole {
		t.Errorf("the beneficiary by its resource name: status %d, beneficiary %q; want 303 and %q", res.StatusCode, beneficiary(), sole)
	}
	if res, _ := edit(""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("clearing the beneficiary: status %d", res.StatusCode)
	}
	if got := beneficiary(); got != "" {
		t.Errorf("the cleared beneficiary is %q", got)
	}
}

// TestBrowserBeneficiaryTyped types a project's beneficiary in Chromium,
// axe checking each page: a name two partners share is refused at the
// field, which keeps the text and offers the two by id; the choice with
// the id is saved, and the page shows the partner by name.
func TestBrowserBeneficiaryTyped(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	beneficiaryRegion(t, f)
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open("/progetti/lab-impact", "progetto-beneficiario")
	if got := b.value("#f-beneficiary"); got != "Cooperativa Sole" {
		t.Errorf("the beneficiary's input shows %q, want its display name", got)
	}
	if got := b.count("#beneficiary-list option"); got == 0 || got > 50 {
		t.Errorf("the beneficiary's list offers %d partners, want 1 to 50", got)
	}
	b.run("a shared name", chromedp.Clear(chromedp.CSS("#f-beneficiary")), chromedp.SendKeys(chromedp.CSS("#f-beneficiary"), "Comune di Bergamo"),
		chromedp.Submit(chromedp.CSS("#f-beneficiary")), chromedp.WaitVisible(chromedp.CSS("#f-beneficiary-err")))
	b.check("progetto-beneficiario-ambiguo")
	b.wantText("#f-beneficiary-err", "Beneficiario: più partner si chiamano «Comune di Bergamo»")
	if got := b.value("#f-beneficiary"); got != "Comune di Bergamo" {
		t.Errorf("the refused beneficiary shows %q, want the name as typed", got)
	}
	if got := b.count(`#beneficiary-list option[value^="Comune di Bergamo ("]`); got != 2 {
		t.Errorf("the refused name's list offers %d partners by id, want 2", got)
	}
	b.run("the choice with its id", chromedp.Clear(chromedp.CSS("#f-beneficiary")), chromedp.SendKeys(chromedp.CSS("#f-beneficiary"), "Comune di Bergamo (comune-b)"),
		chromedp.Submit(chromedp.CSS("#f-beneficiary")), chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	if got := b.value("#f-beneficiary"); got != "Comune di Bergamo" {
		t.Errorf("the saved beneficiary shows %q, want its display name", got)
	}
}

// TestNetworkFormReadsNoPartnerList: a network's form names its members
// by display name, each read by itself, with a shared list of a bounded
// page of partners, never the region's 135; its save resolves the rows
// by name.
func TestNetworkFormReadsNoPartnerList(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	beneficiaryRegion(t, f)
	udp, cpia := f.bergamoPartners()
	f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	base, reads := countedApp(t, f)
	whole, err := famiv1.NewPartnerServiceClient(f.conn).ListPartners(f.admin("lombardia"), &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	token := f.signedIn("admin@lombardia")

	reads.reset()
	page := fetch(t, base+"/reti/rete-bergamo", token)
	if !strings.Contains(page, `value="Ufficio di Piano di Bergamo" list="partner-list"`) || !strings.Contains(page, `value="CPIA Bergamo" list="partner-list"`) {
		t.Error("the network's form does not name its members by display name")
	}
	if n := strings.Count(datalist(page, "partner-list"), "<option "); n == 0 || n > 50 {
		t.Errorf("the members' list offers %d partners, want 1 to 50 of the region's 135", n)
	}
	if _, bytes := reads.total(); bytes >= int64(proto.Size(whole))/2 {
		t.Errorf("the network's form read %d B of the services; the region's partners alone are %d B", bytes, proto.Size(whole))
	}

	// A save naming a third member by name, lower case: the rows are
	// resolved (the first two by the partner they showed) and saved.
	c := f.client(t)
	c.signIn("admin@lombardia")
	_, page = c.do("GET", "/reti/rete-bergamo", nil)
	form := url.Values{"csrf": {c.csrf("/reti/rete-bergamo")}, "etag": {formEtag(t, page)}, "display_name": {"Rete Bergamo"},
		"member.0.partner": {"Ufficio di Piano di Bergamo"}, "member.0.role": {"MEMBER_ROLE_LEAD"}, "member.0.was": {udp},
		"member.1.partner": {"CPIA Bergamo"}, "member.1.role": {"MEMBER_ROLE_PARTNER"}, "member.1.was": {cpia},
		"member.2.partner": {"cooperativa sole"}, "member.2.role": {"MEMBER_ROLE_PARTNER"}}
	if res, page := c.do("POST", "/reti/rete-bergamo", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the network with a member by name: status %d\n%s", res.StatusCode, page)
	}
	n, err := famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: "regions/lombardia/networks/rete-bergamo"})
	if err != nil || len(n.GetMembers()) != 3 || n.GetMembers()[2].GetPartner() != "regions/lombardia/partners/sole" {
		t.Errorf("the network saved has members %v (%v), want the Cooperativa Sole third", n.GetMembers(), err)
	}
}

// TestNetworkMembersTypedOneCallEach saves a network's form with three
// new member rows typed by name, one of them ("caritas") contained in 150
// other names: each typed name costs one ListPartners call, the service's
// exact display_name filter, and the rows the page showed none. The
// "caritas" row cost two calls (100 names a page) and could cost ten.
func TestNetworkMembersTypedOneCallEach(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	beneficiaryRegion(t, f)
	caritas := f.partner("lombardia", "caritas", "Caritas")
	f.partners("lombardia", 150, func(i int) (string, string) { return fmt.Sprintf("caritas-%03d", i), fmt.Sprintf("Caritas %03d", i) })
	udp, cpia := f.bergamoPartners()
	name := f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia)
	base, reads := countedApp(t, f)
	token := f.signedIn("admin@lombardia")
	page := fetch(t, base+"/reti/rete-bergamo", token)
	form := url.Values{"etag": {formEtag(t, page)}, "display_name": {"Rete Bergamo"},
		"member.0.partner": {"Ufficio di Piano di Bergamo"}, "member.0.role": {"MEMBER_ROLE_LEAD"}, "member.0.was": {udp},
		"member.1.partner": {"CPIA Bergamo"}, "member.1.role": {"MEMBER_ROLE_PARTNER"}, "member.1.was": {cpia},
		"member.2.partner": {"caritas"}, "member.2.role": {"MEMBER_ROLE_PARTNER"},
		"member.3.partner": {"Cooperativa  Sole"}, "member.3.role": {"MEMBER_ROLE_PARTNER"},
		"member.4.partner": {"partner 001"}, "member.4.role": {"MEMBER_ROLE_PARTNER"}}
	reads.reset()
	if code, page := postCounted(t, base+"/reti/rete-bergamo", token, page, form); code != http.StatusSeeOther {
		t.Fatalf("save the network with three members typed: status %d\n%s", code, page)
	}
	if n := reads.of("ListPartners"); n != 3 {
		t.Errorf("three typed members were resolved in %d ListPartners calls, want 3", n)
	}
	n, err := famiv1.NewNetworkServiceClient(f.conn).GetNetwork(f.admin("lombardia"), &famiv1.GetNetworkRequest{Name: name})
	var got []string
	for _, m := range n.GetMembers() {
		got = append(got, m.GetPartner())
	}
	if want := []string{udp, cpia, caritas, "regions/lombardia/partners/sole", "regions/lombardia/partners/p001"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("the network saved has members %q (%v), want %q", got, err, want)
	}
}

// TestBrowserListSearchRefusedAtItsBox: a list's search the service
// refuses (a name pasted with a zero-width space, a bidi mark, text past
// the query's length) is the search box's error, the text kept in the box
// and the list shown unfiltered, on the 400 that TestSearchAsksTheService
// wants; for each list with a search box. It was the page "Operazione non
// eseguita: I dati inviati non sono validi", with no list and no box to
// mend the search in.
func TestBrowserListSearchRefusedAtItsBox(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupMonitoring(f)
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	for path, shown := range map[string]string{"/partner": "Ufficio di Piano di Milano", "/progetti": "Lab'Impact", "/reti": "Rete Milano"} {
		for _, typed := range []string{"Milano\u200b", "\u202eMilano", strings.Repeat("Milano ", 20)} {
			b.open(path+"?q="+url.QueryEscape(typed), "ricerca-rifiutata")
			b.wantText("#q-err", "Ricerca non valida")
			b.wantText("main", shown)
			if got := b.value("#q"); got != strings.TrimSpace(typed) {
				t.Errorf("%s: the search box holds %q, want %q as typed", path, got, strings.TrimSpace(typed))
			}
			if got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#q").getAttribute("aria-invalid")`)); err != nil || got != "true" {
				t.Errorf("%s: the search box's aria-invalid is %q (%v), want true", path, got, err)
			}
		}
	}
}

// TestBeneficiarySuggestionsPastTheScanBudget: a refused beneficiary's
// page offers the partners whose names contain what was typed, even when
// they come after more partners than a filtered List reads for a page
// (aip.MinScan): the first page then ends empty, with a next page token,
// and the datalist, read from that page alone, offered none.
func TestBeneficiarySuggestionsPastTheScanBudget(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	project, a, _ := beneficiaryRegion(t, f)
	f.partners("lombardia", aip.MinScan, func(i int) (string, string) { return fmt.Sprintf("q%04d", i), fmt.Sprintf("Altro %04d", i) })
	f.partner("lombardia", "zeta", "Cooperativa Zeta")
	res, page := beneficiaryEdit(a, project)("Zet")
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a part of a name: status %d, want 422", res.StatusCode)
	}
	if list := datalist(page, "beneficiary-list"); !strings.Contains(list, `value="Cooperativa Zeta"`) {
		t.Errorf("the page does not offer Cooperativa Zeta, listed after %d others: %s", 133+aip.MinScan, list)
	}
}
