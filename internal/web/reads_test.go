package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// The pages below once read a whole collection for one page. Each test
// seeds more than a page (listPageSize, 50 rows) and counts the calls the
// page makes of the services (countedApp): a page that reads the whole
// collection again makes more than one, or shows every row.

// nextOf is the address of the page's "Pagina successiva" (nextLink),
// or "".
func nextOf(page string) string {
	m := nextLink.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// adminApp is famid with a region admin of Lombardia (Anna Admin), the
// web application over a counted connection to it (countedApp), and her
// session token.
func adminApp(t *testing.T) (f *famid, base string, reads *apiReads, token string) {
	t.Helper()
	f = startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	base, reads = countedApp(t, f)
	return f, base, reads, f.signedIn("admin@lombardia")
}

// onePage fetches u and checks that the page shows want rows (as rows
// counts them), read in one call of method; what names the page in the
// errors. It returns the page.
func (c *apiReads) onePage(t *testing.T, u, token, method string, rows func(page string) int, want int, what string) string {
	t.Helper()
	c.reset()
	page := fetch(t, u, token)
	if n := rows(page); n != want {
		t.Errorf("%s shows %d rows, want %d", what, n, want)
	}
	if n := c.of(method); n != 1 {
		t.Errorf("%s called %s %d times, want once", what, method, n)
	}
	return page
}

// signedIn is the session token of username, as the sign-in form sets it.
func (f *famid) signedIn(username string) string {
	f.t.Helper()
	res, err := famiv1.NewAuthServiceClient(f.conn).Login(f.t.Context(), &famiv1.LoginRequest{Username: username, Password: password})
	if err != nil {
		f.t.Fatalf("login %s: %v", username, err)
	}
	return res.GetToken()
}

// asAccount is the context of a call as the account username, signed in:
// a token signed as famictl signs one, with no generation, is refused for
// an account, whose first generation is above 0 (ADR 27).
func (f *famid) asAccount(username string) context.Context {
	f.t.Helper()
	return metadata.AppendToOutgoingContext(f.t.Context(), "authorization", "Bearer "+f.signedIn(username))
}

// TestHoursMonthIsPaged logs 60 entries in a month and shows its hours:
// one page of 50 rows read in one call, the month's total over all 60
// (the service's sum, not the page's), and the last 10 on the next page.
func TestHoursMonthIsPaged(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	network := setupLombardia(f)
	base, reads := countedApp(t, f)
	consultant := f.asAccount("mrossi@lombardia")
	today := f.Clock.Now().In(rome())
	month := time.Date(today.Year(), today.Month()-1, 1, 0, 0, 0, 0, rome())
	support := famiv1.NewSupportServiceClient(f.conn)
	for i := range 60 {
		if _, err := support.CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia", SupportEntry: &famiv1.SupportEntry{
			Network: network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
			Date: month.AddDate(0, 0, i/3).Format(time.DateOnly), DurationMinutes: 15,
		}}); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	token := f.signedIn("mrossi@lombardia")

	entries := func(page string) int { return strings.Count(page, `<span class="badge `) }
	page := reads.onePage(t, base+"/ore?vista=mese&data="+month.Format(time.DateOnly), token, "ListSupportEntries", entries, 50, "the month's first page")
	// 60 entries of 15 minutes: the caption says the month's 15 hours.
	if want := "Totale del periodo: 15 h"; !strings.Contains(page, want) {
		t.Errorf("the month's first page has no %q", want)
	}
	next := nextOf(page)
	if next == "" {
		t.Fatal("the month's first page has no link to the next")
	}
	if nextOf(reads.onePage(t, base+next, token, "ListSupportEntries", entries, 10, "the month's second page")) != "" {
		t.Error("the month's last page links to a next one")
	}
}

// TestEntryFormOffersItsNetworksMeetings: an entry's edit page offers the
// meetings of the entry's network only (the service refuses another
// network's), asking the service for them rather than reading the
// region's.
func TestEntryFormOffersItsNetworksMeetings(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	network := setupLombardia(f)
	udp2 := f.partner("lombardia", "udp-brescia", "Ufficio di Piano di Brescia")
	other := f.network("lombardia", "rete-brescia", "Rete Brescia", udp2)
	base, reads := countedApp(t, f)
	at := f.Clock.Now().AddDate(0, 0, -7).Truncate(time.Hour)
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	for _, m := range []struct{ id, network, title string }{{"m-bergamo", network, "Tavolo di Bergamo"}, {"m-brescia", other, "Tavolo di Brescia"}} {
		if _, err := meetings.CreateMeeting(f.admin("lombardia"), &famiv1.CreateMeetingRequest{Parent: "regions/lombardia", MeetingId: m.id,
			Meeting: &famiv1.Meeting{Networks: []string{m.network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: m.title,
				StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE,
				Link: "https://meet.example.org/t"}}); err != nil {
			t.Fatal(err)
		}
	}
	consultant := f.asAccount("mrossi@lombardia")
	e, err := famiv1.NewSupportServiceClient(f.conn).CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
		SupportEntry: &famiv1.SupportEntry{Network: network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
			Date: at.Format(time.DateOnly), DurationMinutes: 60}})
	if err != nil {
		t.Fatal(err)
	}
	token := f.signedIn("mrossi@lombardia")

	reads.reset()
	page := fetch(t, base+"/ore/"+e.GetName()[len("regions/lombardia/supportEntries/"):], token)
	if !strings.Contains(page, "Tavolo di Bergamo") || strings.Contains(page, "Tavolo di Brescia") {
		t.Errorf("the entry of Rete Bergamo offers meetings: Bergamo's %v, Brescia's %v; want only Bergamo's",
			strings.Contains(page, "Tavolo di Bergamo"), strings.Contains(page, "Tavolo di Brescia"))
	}
	if n := reads.of("ListMeetings"); n != 1 {
		t.Errorf("the entry page listed meetings %d times, want once", n)
	}
	// The hours page's new entry has no network yet: every network's
	// meetings are offered.
	page = fetch(t, base+"/ore", token)
	if !strings.Contains(page, "Tavolo di Bergamo") || !strings.Contains(page, "Tavolo di Brescia") {
		t.Error("the new entry's form does not offer every network's meetings")
	}
}

// TestProjectReportsArePaged gives a project 55 quarterly reports: its
// monitoring page shows 50, read in one call, and the other 5 next.
func TestProjectReportsArePaged(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	ctx := f.admin("lombardia")
	pr, err := famiv1.NewProjectServiceClient(f.conn).CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "lungo",
		Project: &famiv1.Project{Code: "PROG-1", Title: "Progetto lungo", Fund: famiv1.Fund_FUND_FAMI_2014_2020, StartDate: "2010-01-01", EndDate: "2025-12-31",
			Municipalities: []string{"015146"}}})
	if err != nil {
		t.Fatal(err)
	}
	reports := famiv1.NewMonitoringServiceClient(f.conn)
	for i := range 55 {
		if _, err := reports.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: pr.GetName(),
			MonitoringReportId: fmt.Sprintf("%d-q%d", 2010+i/4, 1+i%4), MonitoringReport: &famiv1.MonitoringReport{Notes: "Trimestre"}}); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}

	rows := func(page string) int {
		return strings.Count(page, `<tr><td data-label="Trimestre"><a href="/progetti/lungo/monitoraggio/`)
	}
	page := reads.onePage(t, base+"/progetti/lungo/monitoraggio?trimestre=2012-q1", token, "ListMonitoringReports", rows, 50, "the project's first page of reports")
	next := nextOf(page)
	if !strings.Contains(next, "trimestre=2012-q1") {
		t.Fatalf("the next page's link %q does not keep the quarter", next)
	}
	reads.onePage(t, base+next, token, "ListMonitoringReports", rows, 5, "the project's second page of reports")
}

// TestProjectOverlapsArePaged puts 52 projects on one municipality at the
// same time: the first one's page counts 51 overlaps and shows 50 of them,
// read in one call, and the last one next.
func TestProjectOverlapsArePaged(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	projects := famiv1.NewProjectServiceClient(f.conn)
	for i := range 52 {
		if _, err := projects.CreateProject(f.admin("lombardia"), &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: fmt.Sprintf("p%02d", i),
			Project: &famiv1.Project{Code: fmt.Sprintf("PROG-%d", i), Title: fmt.Sprintf("Progetto %d", i), Fund: famiv1.Fund_FUND_FAMI_2021_2027,
				StartDate: "2022-01-01", EndDate: "2024-12-31", Municipalities: []string{"015146"}}}); err != nil {
			t.Fatalf("project %d: %v", i, err)
		}
	}

	rows := func(page string) int {
		return strings.Count(page, `<tr><td data-label="Progetto"><a href="/progetti/p`)
	}
	page := reads.onePage(t, base+"/progetti/p00", token, "ListOverlaps", rows, 50, "the project's page of overlaps")
	if !strings.Contains(page, "nello stesso periodo: 51.") {
		t.Error("the project's page does not count its 51 overlaps")
	}
	next := nextOf(page)
	if next == "" {
		t.Fatal("the project's page has no link to its next overlaps")
	}
	reads.onePage(t, base+next, token, "ListOverlaps", rows, 1, "the project's next page of overlaps")
}

// TestSearchAsksTheService searches 60 of 120 partners, then 60 of 120
// networks: the service filters (its query filter), so each page of the
// results is one call, 50 rows and then 10, where the page filtering on
// its own read every page of the region's partners or networks.
func TestSearchAsksTheService(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	f.partners("lombardia", 120, func(i int) (string, string) {
		return fmt.Sprintf("p%03d", i), fmt.Sprintf("%s %03d", []string{"Comune di Bergamo", "Comune di Brescia"}[i%2], i)
	})

	rows := func(page string) int {
		return strings.Count(page, `<tr><td data-label="Denominazione"><a href="/partner/`)
	}
	page := reads.onePage(t, base+"/partner?q=bergamo", token, "ListPartners", rows, 50, "the first page of partners matching bergamo")
	if strings.Contains(page, "Brescia") {
		t.Error("the first page of partners matching bergamo shows Brescia's")
	}
	next := nextOf(page)
	if !strings.Contains(next, "q=bergamo") {
		t.Fatalf("the next page's link %q does not keep the query", next)
	}
	if page = reads.onePage(t, base+next, token, "ListPartners", rows, 10, "the second page of partners matching bergamo"); strings.Contains(page, "Brescia") {
		t.Error("the second page of partners matching bergamo shows Brescia's")
	}
	// The networks' search matches a lead partner's name too, on the
	// service's side: 60 of 120 networks are led by a Bergamo partner.
	for i := range 120 {
		f.network("lombardia", fmt.Sprintf("rete%03d", i), fmt.Sprintf("Rete %03d", i), fmt.Sprintf("regions/lombardia/partners/p%03d", i))
	}
	networks := func(page string) int { return strings.Count(page, `<section class="card" aria-labelledby="n-`) }
	page = reads.onePage(t, base+"/reti?q=bergamo", token, "ListNetworks", networks, 50, "the first page of networks matching bergamo")
	reads.onePage(t, base+nextOf(page), token, "ListNetworks", networks, 10, "the second page of networks matching bergamo")

	// A query the service refuses is the page's 400, saying why.
	if status, _ := getPage(t, base+"/partner?q="+strings.Repeat("a", 101), token); status != http.StatusBadRequest {
		t.Errorf("a search of 101 characters: status %d, want 400", status)
	}
}

// TestMeetingsOfSeveralNetworksAskTheService: network staff whose partner
// is in two networks of three get their upcoming meetings a page of 50 in
// one call (the List's partner filter), where the page filtering on its
// own read on through the third network's meetings.
func TestMeetingsOfSeveralNetworksAskTheService(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	udp, cpia := f.bergamoPartners()
	nets := []string{f.network("lombardia", "rete-bergamo", "Rete Bergamo", udp, cpia), f.network("lombardia", "rete-dalmine", "Rete Dalmine", cpia, udp),
		f.network("lombardia", "rete-milano", "Rete Milano", f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano"))}
	f.account("lombardia", "anna", "Anna Bianchi", famiv1.Role_ROLE_NETWORK_MEMBER, udp)
	base, reads := countedApp(t, f)
	noon := f.Clock.Now().In(rome()).Truncate(24 * time.Hour).Add(12 * time.Hour)
	bulk(t, 120, func(i int) error {
		start := noon.AddDate(0, 0, 1+i/3)
		_, err := f.onlineMeeting(fmt.Sprintf("m%03d", i), nets[i%3], fmt.Sprintf("Tavolo %s %03d", lastID(nets[i%3]), i), start)
		return err
	})
	token := f.signedIn("anna@lombardia")

	reads.reset()
	page := fetch(t, base+"/incontri", token)
	if n, milano := strings.Count(page, ">Tavolo rete-"), strings.Count(page, ">Tavolo rete-milano"); n != 50 || milano != 0 {
		t.Errorf("Anna's first page of meetings shows %d (%d of Milano's), want 50 of Bergamo's and Dalmine's", n, milano)
	}
	// One call for the upcoming meetings, one for the latest past ones.
	if n := reads.of("ListMeetings"); n != 2 {
		t.Errorf("Anna's meetings page listed meetings %d times, want twice", n)
	}
	if n := reads.of("ListActionItems"); n != 1 {
		t.Errorf("Anna's meetings page listed action items %d times, want once", n)
	}
}

// TestLatestPastMeetingsAreOnePage: with 120 meetings in the last two
// months, "Incontri passati" shows the latest 50, newest first, read in
// one call (ListMeetings' order_by "start_time desc"), and says the
// archive holds the others. It read every meeting of its three months in
// start order and kept the last 50 in a ring.
func TestLatestPastMeetingsAreOnePage(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	network := setupLombardia(f)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	base, reads := countedApp(t, f)
	yesterday := f.Clock.Now().In(rome()).Truncate(24*time.Hour).Add(12*time.Hour).AddDate(0, 0, -1)
	bulk(t, 120, func(i int) error {
		_, err := f.onlineMeeting("", network, fmt.Sprintf("Passato %03d", i), yesterday.Add(-time.Duration(i)*12*time.Hour))
		return err
	})
	token := f.signedIn("admin@lombardia")

	reads.reset()
	page := fetch(t, base+"/incontri", token)
	_, past, _ := strings.Cut(page, "Incontri passati</h2>")
	shown := regexp.MustCompile(`>(Passato \d{3})</a>`).FindAllStringSubmatch(past, -1)
	if len(shown) != 50 || shown[0][1] != "Passato 000" || shown[49][1] != "Passato 049" {
		t.Errorf("the past meetings shown are %d from %q, want the latest 50 (Passato 000 to 049), newest first", len(shown), shown[:min(1, len(shown))])
	}
	if !strings.Contains(past, "gli altri sono nell&#39;elenco completo") || !strings.Contains(past, `href="/incontri?passati=tutti"`) {
		t.Error("the past meetings do not lead to the archive, which holds the other 70")
	}
	// One call for the upcoming meetings, one for the latest past ones.
	if n := reads.of("ListMeetings"); n != 2 {
		t.Errorf("the meetings page listed meetings %d times, want twice", n)
	}
	// A call per list is not enough: the old read was one call too,
	// pages of 1,000 (aip.Each). The page's answers, every call of it,
	// must hold less than half of all 120 meetings (50 of them are 42%).
	all, err := famiv1.NewMeetingServiceClient(f.conn).ListMeetings(f.admin("lombardia"), &famiv1.ListMeetingsRequest{Parent: "regions/lombardia", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, b := reads.total(); 2*b >= int64(proto.Size(all)) {
		t.Errorf("the meetings page was answered %d bytes, the 120 meetings are %d: it read more than the 50 it shows", b, proto.Size(all))
	}
}

// TestHistoryReadsItsTypesChanges: a partner's history, in a region whose
// log then holds 150 changes of projects, asks the log for partners'
// changes (ListChanges' type filter) and finds its two in one call, where
// it walked the region's whole log 50 changes at a time.
func TestHistoryReadsItsTypesChanges(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	udp := f.partner("lombardia", "udp", "Ufficio di Piano")
	projects, ctx := famiv1.NewProjectServiceClient(f.seed), f.admin("lombardia")
	bulk(t, 150, func(i int) error {
		_, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: fmt.Sprintf("p%03d", i),
			Project: &famiv1.Project{Code: fmt.Sprintf("PROG-%d", i), Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2022-01-01", EndDate: "2024-12-31"}})
		return err
	})
	if _, err := famiv1.NewPartnerServiceClient(f.conn).UpdatePartner(f.admin("lombardia"), &famiv1.UpdatePartnerRequest{
		Partner: &famiv1.Partner{Name: udp, DisplayName: "Ufficio di Piano di Bergamo"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}); err != nil {
		t.Fatal(err)
	}

	changes := func(page string) int { return strings.Count(page, `<tr><td data-label="Quando">`) }
	reads.onePage(t, base+"/storia?nome="+udp, token, "ListChanges", changes, 2, "the partner's history")
}

// TestEntryNetworksAreAPage: in a region of 121 networks, the hours page's
// network select offers a page of them (50, read in one call) where it
// offered, and read, every one; the hours table still names an entry's
// network past that page (read by name: TestHoursTableReadsItsNetworksInOneCall
// counts those reads), a search beside the select
// finds any network in one call, the entry page offers its own network,
// and a hostile search is refused at its field, the page still served.
func TestEntryNetworksAreAPage(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	setupLombardia(f)
	udp := f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano")
	f.milanoNetworks(t, 120, udp)
	base, reads := countedApp(t, f)
	consultant := f.asAccount("mrossi@lombardia")
	e, err := famiv1.NewSupportServiceClient(f.conn).CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
		SupportEntry: &famiv1.SupportEntry{Network: "regions/lombardia/networks/rete119", Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP,
			Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE, Date: f.Clock.Now().In(rome()).Format(time.DateOnly), DurationMinutes: 60}})
	if err != nil {
		t.Fatal(err)
	}
	token := f.signedIn("mrossi@lombardia")
	choices := func(page string) int {
		_, sel, _ := strings.Cut(page, `<select id="f-network"`)
		sel, _, _ = strings.Cut(sel, "</select>")
		return strings.Count(sel, "<option value=\"regions/")
	}

	page := reads.onePage(t, base+"/ore", token, "ListNetworks", choices, 50, "the hours page's network select")
	if !strings.Contains(page, `<td data-label="Rete territoriale">Rete Milano 119</td>`) {
		t.Error("the hours table does not name the entry's network, Rete Milano 119")
	}
	if n := reads.of("GetNetwork"); n > 1 {
		t.Errorf("the hours page read %d networks by name, want at most the entry's one", n)
	}
	if !strings.Contains(page, `id="f-rete"`) {
		t.Fatal("the hours page offers no search of the networks past its page")
	}

	page = reads.onePage(t, base+"/ore?rete=milano+107", token, "ListNetworks", choices, 1, "the network search")
	if !strings.Contains(page, `<option value="regions/lombardia/networks/rete107">Rete Milano 107</option>`) {
		t.Error("the network search does not offer Rete Milano 107")
	}

	id := e.GetName()[len("regions/lombardia/supportEntries/"):]
	page = fetch(t, base+"/ore/"+id, token)
	if !strings.Contains(page, `<option value="regions/lombardia/networks/rete119" selected>Rete Milano 119</option>`) {
		t.Error("the entry page does not offer its own network, Rete Milano 119, chosen")
	}

	// A control character, and an accent alone (which no name contains),
	// are refused at the field.
	for _, hostile := range []string{"\x01", "\u0301", "<script>", strings.Repeat("rete ", 60)} {
		page = fetch(t, base+"/ore?"+url.Values{"rete": {hostile}}.Encode(), token)
		if strings.Contains(page, "<script>") {
			t.Errorf("the search %q is shown unescaped", hostile)
		}
		refused := hostile == "\x01" || hostile == "\u0301"
		if refused && !strings.Contains(page, `id="f-rete-err"`) {
			t.Errorf("the search %q is not refused at its field", hostile)
		}
		if choices(page) == 0 && refused {
			t.Errorf("a refused search %q leaves the select empty", hostile)
		}
	}
}

// TestNewEntryOffersTheLatestMeetings: with 120 meetings in the window
// the new entry's form offers (no network chosen yet), it offers the
// latest 50, newest first, read in one page (ListMeetings' order_by),
// where it read and offered all 120; an entry whose meeting is older than
// those offers its own meeting still, so that saving keeps it.
func TestNewEntryOffersTheLatestMeetings(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	network := setupLombardia(f)
	base, reads := countedApp(t, f)
	noon := f.Clock.Now().In(rome()).Truncate(24 * time.Hour).Add(12 * time.Hour)
	bulk(t, 120, func(i int) error {
		_, err := f.onlineMeeting(fmt.Sprintf("m%03d", i), network, fmt.Sprintf("Tavolo %03d", i), noon.AddDate(0, 0, -100+i))
		return err
	})
	consultant := f.asAccount("mrossi@lombardia")
	e, err := famiv1.NewSupportServiceClient(f.conn).CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
		SupportEntry: &famiv1.SupportEntry{Network: network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
			Date: noon.AddDate(0, 0, -95).Format(time.DateOnly), DurationMinutes: 60, Meeting: "regions/lombardia/meetings/m005"}})
	if err != nil {
		t.Fatal(err)
	}
	token := f.signedIn("mrossi@lombardia")
	meetings := func(page string) int {
		_, sel, _ := strings.Cut(page, `<select id="f-meeting"`)
		sel, _, _ = strings.Cut(sel, "</select>")
		return strings.Count(sel, `<option value="regions/`)
	}

	page := reads.onePage(t, base+"/ore", token, "ListMeetings", meetings, 50, "the new entry's meetings")
	newest, oldest := strings.Index(page, "· Tavolo 119<"), strings.Index(page, "· Tavolo 070<")
	if newest < 0 || oldest < 0 || newest > oldest || strings.Contains(page, "· Tavolo 069<") {
		t.Error("the new entry's form does not offer the latest 50 meetings (Tavolo 119 to 070), newest first")
	}
	page = fetch(t, base+"/ore/"+e.GetName()[len("regions/lombardia/supportEntries/"):], token)
	if !strings.Contains(page, `<option value="regions/lombardia/meetings/m005" selected>`) {
		t.Error("the entry page does not offer the entry's own meeting, older than the latest 50, chosen")
	}
}

// TestNetworkFormProjectsAreAPage: in a region of 120 projects, the
// network form's project checkboxes are a page of them (50, read in one
// call) and the network's own, ticked, where they were every project of
// the region (its own past the page read by name, in one batch); a search
// beside them finds any project in one call, and a
// hostile search is refused at its field, the form still served. Each
// read asks for the projects' labels alone (read_mask: name, code and
// title), never their plan or overlap count.
func TestNetworkFormProjectsAreAPage(t *testing.T) {
	t.Parallel()
	f, base, reads, token := adminApp(t)
	projects, ctx := famiv1.NewProjectServiceClient(f.seed), f.admin("lombardia")
	bulk(t, 120, func(i int) error {
		_, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: fmt.Sprintf("p%03d", i),
			Project: &famiv1.Project{Code: fmt.Sprintf("PROG-%03d", i), Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2022-01-01", EndDate: "2024-12-31"}})
		return err
	})
	udp := f.partner("lombardia", "udp", "Ufficio di Piano")
	if _, err := famiv1.NewNetworkServiceClient(f.conn).CreateNetwork(f.admin("lombardia"), &famiv1.CreateNetworkRequest{Parent: "regions/lombardia",
		NetworkId: "rete", Network: &famiv1.Network{DisplayName: "Rete", LeadPartner: udp, Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}},
			Projects: []*famiv1.NetworkProject{{Project: "regions/lombardia/projects/p005"}, {Project: "regions/lombardia/projects/p110"}}}}); err != nil {
		t.Fatal(err)
	}
	boxes := func(page string) int { return strings.Count(page, `<input type="checkbox" name="projects"`) }

	page := reads.onePage(t, base+"/reti/rete", token, "ListProjects", boxes, 51, "the network form's projects")
	for _, id := range []string{"p005", "p110"} {
		if !strings.Contains(page, `value="regions/lombardia/projects/`+id+`" checked>`) {
			t.Errorf("the network form does not tick its project %s", id)
		}
	}
	if get, batch := reads.of("GetProject"), reads.of("BatchGetProjects"); get != 0 || batch != 1 {
		t.Errorf("the network form read its project past the page in %d GetProject and %d BatchGetProjects calls, want one batch", get, batch)
	}
	projectsWhole := func(what string) {
		t.Helper()
		if list, batch := reads.whole["ListProjects"], reads.whole["BatchGetProjects"]; list+batch > 0 {
			t.Errorf("%s read projects whole: %d listed, %d by name; want their labels alone", what, list, batch)
		}
	}
	projectsWhole("the network form")
	if !strings.Contains(page, `id="f-progetti"`) {
		t.Fatal("the network form offers no search of the projects past its page")
	}
	page = reads.onePage(t, base+"/reti/rete?progetti=prog-117", token, "ListProjects", boxes, 3, "the project search")
	if !strings.Contains(page, `value="regions/lombardia/projects/p117">`) {
		t.Error("the project search does not offer PROG-117")
	}
	projectsWhole("the project search")
	page = fetch(t, base+"/reti/rete?progetti=%01", token)
	if !strings.Contains(page, `id="f-progetti-err"`) || boxes(page) != 51 {
		t.Errorf("a hostile project search: refused at its field %v, %d checkboxes; want refused, with the first page's",
			strings.Contains(page, `id="f-progetti-err"`), boxes(page))
	}
}

// manyNetworksAndMeetings is a famid whose Lombardia (setupLombardia) has
// 60 more networks, "Rete Milano 000" to "059", more than the entry form's
// select shows, and 60 online meetings of its first network, one a day up
// to today, more than the form's meetings' page; network is that first one.
func manyNetworksAndMeetings(t *testing.T) (f *famid, network string) {
	t.Helper()
	f = startFamid(t)
	network = setupLombardia(f)
	udp := f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano")
	f.milanoNetworks(t, 60, udp)
	noon := f.Clock.Now().In(rome()).Truncate(24 * time.Hour).Add(12 * time.Hour)
	bulk(t, 60, func(i int) error {
		_, err := f.onlineMeeting(fmt.Sprintf("m%03d", i), network, fmt.Sprintf("Tavolo %03d", i), noon.AddDate(0, 0, -60+i))
		return err
	})
	return f, network
}

// TestBrowserEntryNetworkSearch: in a region of 61 networks and 60
// meetings, a consultant in Chromium finds a network past the select's
// page with the search among the form's fields, which keeps what was
// typed before it, logs hours on it, and sees the table name it; the
// search, its hint and the meetings' pager pass axe.
func TestBrowserEntryNetworkSearch(t *testing.T) {
	t.Parallel()
	f, _ := manyNetworksAndMeetings(t)
	b := newBrowser(t, f)
	b.signIn("mrossi@lombardia")
	b.open("/ore", "ore-molte-reti")
	b.wantText("#f-rete-hint", "solo una parte")
	same, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector("#f-rete").form === document.querySelector("#f-duration_minutes").form`))
	if err != nil || !same {
		t.Fatalf("the network search is not a field of the entry's form (%v): searching loses what was typed", err)
	}
	b.run("type the entry, then search the network 057",
		chromedp.SetValue(chromedp.CSS("#f-activity"), "SUPPORT_ACTIVITY_WORKSHOP"),
		chromedp.SendKeys(chromedp.CSS("#f-duration_minutes"), "30"),
		chromedp.SendKeys(chromedp.CSS("#f-notes"), "Scritto prima della ricerca"),
		chromedp.SendKeys(chromedp.CSS("#f-rete"), "milano 057"),
		chromedp.Click(chromedp.CSS("#f-rete-cerca")),
		chromedp.WaitReady(chromedp.CSS(`#f-network option[value="regions/lombardia/networks/rete057"]`)))
	b.check("ore-rete-cercata")
	// The search sent the whole form, which came back as typed.
	for sel, want := range map[string]string{"#f-activity": "SUPPORT_ACTIVITY_WORKSHOP", "#f-duration_minutes": "30", "#f-notes": "Scritto prima della ricerca"} {
		if got := b.value(sel); got != want {
			t.Errorf("after the search %s holds %q, want %q as typed before it", sel, got, want)
		}
	}
	b.run("log the 30 minutes on it",
		chromedp.SetValue(chromedp.CSS("#f-network"), "regions/lombardia/networks/rete057"),
		chromedp.Click(chromedp.CSS(`#log-title ~ form button[name="salva"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert.success")))
	b.wantText("tbody", "Rete Milano 057")
	b.run("type a note, then the meetings' older page",
		chromedp.SendKeys(chromedp.CSS("#f-notes"), "Scritto prima di sfogliare"),
		chromedp.Click(chromedp.CSS(`nav.pager button[formaction*="inc_pagina"]`)),
		chromedp.WaitReady(chromedp.CSS(`#f-meeting option[value="regions/lombardia/meetings/m000"]`)))
	b.check("ore-incontri-precedenti")
	if got := b.value("#f-notes"); got != "Scritto prima di sfogliare" {
		t.Errorf("after the meetings' older page the notes hold %q, want them as typed before it", got)
	}
}
