package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

var (
	partnerLink = regexp.MustCompile(`href="/partner/([^"/]+)"`)
	pagerText   = regexp.MustCompile(`<nav class="pager"[^>]*>\s*<p>([^<]*)</p>`)
	relLink     = regexp.MustCompile(`href="([^"]*)" rel="(next|prev)"`)
	firstLink   = regexp.MustCompile(`<a href="([^"]*)">Prima pagina</a>`)
)

// listed is what a page of the partners list shows: its partners' ids,
// the pager's sentence, and its links.
type listed struct {
	ids              []string
	says             string
	next, prev, frst string
}

func readListed(t *testing.T, b *browserless, path string) listed {
	t.Helper()
	res, page := b.do("GET", path, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, res.StatusCode)
	}
	var l listed
	for _, m := range partnerLink.FindAllStringSubmatch(page, -1) {
		if m[1] != "nuovo" {
			l.ids = append(l.ids, m[1])
		}
	}
	if m := pagerText.FindStringSubmatch(page); m != nil {
		l.says = html.UnescapeString(m[1])
	}
	for _, m := range relLink.FindAllStringSubmatch(page, -1) {
		if m[2] == "next" {
			l.next = html.UnescapeString(m[1])
		} else {
			l.prev = html.UnescapeString(m[1])
		}
	}
	if m := firstLink.FindStringSubmatch(page); m != nil {
		l.frst = html.UnescapeString(m[1])
	}
	return l
}

// TestListPagesWalkForwardAndBack: a list longer than a page shows 50 rows
// a page, says which and whether more follow, and its links walk forward
// to the end and back to the start over the same rows, each partner once;
// the search box's query stays in every link, and its pages hold only
// matches (at least 50, fewer than 100) until the last.
func TestListPagesWalkForwardAndBack(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	const n = 130
	partners, ctx := famiv1.NewPartnerServiceClient(f.seed), f.admin("lombardia")
	var schools []string
	bulk(t, n, func(i int) error {
		name := fmt.Sprintf("Comune %03d", i)
		if i%3 == 0 {
			name = fmt.Sprintf("Scuola %03d", i)
		}
		_, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: fmt.Sprintf("p%03d", i),
			Partner: &famiv1.Partner{DisplayName: name, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
		return err
	})
	for i := 0; i < n; i += 3 {
		schools = append(schools, fmt.Sprintf("p%03d", i))
	}
	admin := f.client(t)
	admin.signIn("admin@lombardia")

	// Forward: 50, 50, 30, and back.
	var pages []listed
	path := "/partner"
	for path != "" {
		l := readListed(t, admin, path)
		pages = append(pages, l)
		path = l.next
		if len(pages) > 5 {
			t.Fatal("more than 5 pages for 130 partners")
		}
	}
	want := []struct {
		rows int
		says string
	}{
		{50, "Risultati da 1 a 50; ce ne sono altri nelle pagine successive."},
		{50, "Risultati da 51 a 100; ce ne sono altri nelle pagine successive."},
		{30, "Risultati da 101 a 130, su 130 in tutto."},
	}
	if len(pages) != len(want) {
		t.Fatalf("%d pages, want %d", len(pages), len(want))
	}
	var seen []string
	for i, p := range pages {
		if len(p.ids) != want[i].rows || p.says != want[i].says {
			t.Errorf("page %d: %d rows saying %q, want %d saying %q", i+1, len(p.ids), p.says, want[i].rows, want[i].says)
		}
		if (i == 0) != (p.prev == "" && p.frst == "") {
			t.Errorf("page %d: previous %q, first %q", i+1, p.prev, p.frst)
		}
		seen = append(seen, p.ids...)
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != n {
		t.Errorf("the pages showed %d partners once, want each of %d", len(slices.Compact(seen)), n)
	}
	back := readListed(t, admin, pages[2].prev)
	if !slices.Equal(back.ids, pages[1].ids) || back.says != pages[1].says {
		t.Errorf("back from page 3: %q saying %q, want page 2's rows", back.ids, back.says)
	}
	back = readListed(t, admin, back.prev)
	if !slices.Equal(back.ids, pages[0].ids) || back.says != pages[0].says || back.prev != "" {
		t.Errorf("back from page 2: %q saying %q (previous %q), want page 1's rows", back.ids, back.says, back.prev)
	}
	if first := readListed(t, admin, pages[2].frst); !slices.Equal(first.ids, pages[0].ids) {
		t.Errorf("Prima pagina from page 3 shows %q, want page 1's rows", first.ids)
	}

	// A search keeps its query across pages, and each page holds matches.
	var found []string
	path = "/partner?q=scuola"
	for i := 0; path != ""; i++ {
		l := readListed(t, admin, path)
		if i > 3 {
			t.Fatal("more than 3 pages of 44 schools")
		}
		if l.next != "" {
			if u, _ := url.Parse(l.next); u.Query().Get("q") != "scuola" {
				t.Errorf("the next page's link %q drops the query", l.next)
			}
			if len(l.ids) < 50 || len(l.ids) >= 100 {
				t.Errorf("a page of the search before the last holds %d rows, want 50-99", len(l.ids))
			}
		}
		found = append(found, l.ids...)
		path = l.next
	}
	slices.Sort(found)
	if !slices.Equal(found, schools) {
		t.Errorf("the search's pages show %q, want the %d schools", found, len(schools))
	}
}

// TestHostilePageTokens: every paged list refuses a page token it did not
// issue for that list and those filters, an overlong one and markup, with
// a 400 that says so and links to the list's first page, filters kept;
// never a 500. A forged trail or position is ignored.
func TestHostilePageTokens(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	manyProtocols(t, f, 51)
	admin := f.client(t)
	admin.signIn("admin@lombardia")

	// A real token, of the protocols of one network, is another request's
	// on every other list, and on the protocols of another network.
	_, page := admin.do("GET", "/protocolli?rete=rete-bergamo", nil)
	m := relLink.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the protocols page offers no next page")
	}
	next, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	real := next.Query().Get("pagina")
	if real == "" {
		t.Fatalf("the next page's link %q carries no token", m[1])
	}

	lists := []struct{ path, param string }{
		{"/partner", "pagina"}, {"/progetti", "pagina"}, {"/reti", "pagina"}, {"/protocolli", "pagina"}, {"/protocolli?rete=altra", "pagina"},
		{"/periodi", "pagina"}, {"/account", "pagina"}, {"/account", "tok_pagina"}, {"/incontri", "pagina"}, {"/incontri?passati=tutti", "pas_pagina"},
		{"/incontri", "az_pagina"}, {"/incontri/calendario", "cal_pagina"}, {"/approvazioni", "pagina"}, {"/monitoraggio", "pagina"}, {"/storia?nome=regions/lombardia/protocols/r000", "pagina"},
		{"/ore", "inc_pagina"},
	}
	tokens := map[string]string{
		"another request's": real,
		"garbage":           "xyz!!",
		"forged base64":     "cUFBQUFBQUFBQWJvZ3Vz",
		"overlong":          strings.Repeat("A", 4096),
		"markup":            `"><script>alert(1)</script>`,
	}
	for _, l := range lists {
		for what, token := range tokens {
			t.Run(l.path+"/"+l.param+"/"+what, func(t *testing.T) {
				u, _ := url.Parse(l.path)
				q := u.Query()
				q.Set(l.param, token)
				q.Set(strings.TrimSuffix(l.param, "pagina")+"da", "50")
				u.RawQuery = q.Encode()
				res, page := admin.do("GET", u.String(), nil)
				if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Pagina dell&#39;elenco non valida") {
					t.Fatalf("GET %s: status %d, want 400 saying the page is not valid", u, res.StatusCode)
				}
				if strings.Contains(page, "<script>alert") {
					t.Error("the error page shows the token's markup")
				}
				m := regexp.MustCompile(`<a href="([^"]*)">Torna alla prima pagina`).FindStringSubmatch(page)
				if m == nil {
					t.Fatal("the error page offers no way back to the list")
				}
				back, err := url.Parse(html.UnescapeString(m[1]))
				if err != nil || back.Path != u.Path || back.Query().Encode() != must(url.Parse(l.path)).Query().Encode() {
					t.Errorf("the way back is %q, want the list's first page %q", m[1], l.path)
				}
			})
		}
	}
	if real == "" || t.Failed() {
		return
	}
	// The genuine token on its own list is a page, not an error.
	if res, _ := admin.do("GET", next.String(), nil); res.StatusCode != http.StatusOK {
		t.Errorf("GET %s: status %d", next, res.StatusCode)
	}
	for _, q := range []string{"indietro=" + url.QueryEscape(`"><script>alert(1)</script>`), "indietro=5~" + strings.Repeat("A", 600),
		"indietro=" + strings.Repeat("0~.", 50), "da=-5", "da=99999999999", "da=" + url.QueryEscape("<b>")} {
		path := next.String() + "&" + q
		res, page := admin.do("GET", path, nil)
		if res.StatusCode != http.StatusOK || strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>") {
			t.Errorf("GET %s: status %d (want 200, nothing of the address shown as markup)", path, res.StatusCode)
		}
		if !strings.Contains(page, "Risultati da ") {
			t.Errorf("GET %s: the page does not say which rows it shows", path)
		}
	}
}

// TestBrowserListPaging walks the protocols list in Chromium: 51 protocols
// are two pages, each checked with axe-core; "Pagina successiva" and
// "Pagina precedente" move between them. The accounts page pages its
// service tokens beside its accounts, and a hostile page token in the
// address is an error page (axe-checked) whose link starts the list over.
func TestBrowserListPaging(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	manyProtocols(t, f, 51)
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open("/protocolli", "protocolli-1")
	b.wantText("nav.pager p", "Risultati da 1 a 50; ce ne sono altri")
	b.wantText("tbody", "Protocollo 0")
	b.run("next page", chromedp.Click(chromedp.CSS(`nav.pager a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`nav.pager a[rel="prev"]`)))
	b.check("protocolli-2")
	b.wantText("nav.pager p", "Risultati da 51 a 51, su 51 in tutto.")
	if got := b.text("tbody"); strings.Contains(got, "Protocollo 0\n") || !strings.Contains(got, "Protocollo 50") {
		t.Errorf("the second page shows %q, want protocol 50 alone", got)
	}
	b.run("previous page", chromedp.Click(chromedp.CSS(`nav.pager a[rel="prev"]`)), chromedp.WaitVisible(chromedp.CSS(`nav.pager a[rel="next"]`)))
	b.wantText("nav.pager p", "Risultati da 1 a 50")

	// Two paged lists on one page: the accounts and the service tokens,
	// each with its own navigation.
	auth := famiv1.NewAuthServiceClient(f.conn)
	for i := range 51 {
		if _, err := auth.CreateServiceToken(f.admin("lombardia"), &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: fmt.Sprintf("sys%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b.open("/account", "account-1")
	b.wantText(`nav.pager[aria-label*="Token di servizio"] p`, "Risultati da 1 a 50")
	b.run("next page of tokens", chromedp.Click(chromedp.CSS(`a[rel="next"][href*="tok_pagina="]`)), chromedp.WaitVisible(chromedp.CSS(`nav.pager[aria-label*="Token di servizio"] a[rel="prev"]`)))
	b.check("account-2")
	b.wantText(`nav.pager[aria-label*="Token di servizio"] p`, "Risultati da 51 a 51, su 51 in tutto.")

	b.open("/protocolli?rete=rete-bergamo&pagina=non-un-token", "pagina-non-valida")
	b.wantText("h1", "Pagina dell'elenco non valida")
	b.run("start over", chromedp.Click(chromedp.CSS(`main a[href^="/protocolli"]`)), chromedp.WaitVisible(chromedp.CSS(`nav.pager`)))
	b.wantText("nav.pager p", "Risultati da 1 a 50")
}

// onlineMeeting creates, as Lombardia's admin, an online coordination
// table of network, an hour from start (id empty: the service's choice).
func (f *famid) onlineMeeting(id, network, title string, start time.Time) (*famiv1.Meeting, error) {
	return famiv1.NewMeetingServiceClient(f.seed).CreateMeeting(f.admin("lombardia"), &famiv1.CreateMeetingRequest{Parent: "regions/lombardia", MeetingId: id, Meeting: &famiv1.Meeting{
		Networks: []string{network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: title,
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE, Link: "https://meet.example.org/t"}})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestMeetingsPageLatestPastFirst: the meetings page pages the meetings
// from today on in start order, shows the latest 50 past meetings of the
// last three months newest first, and links to the archive of every past
// meeting, paged from the oldest.
func TestMeetingsPageLatestPastFirst(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	network := setupLombardia(f)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	noon := f.Clock.Now().In(rome()).Truncate(24 * time.Hour).Add(12 * time.Hour)
	const past, upcoming = 60, 55
	bulk(t, past+upcoming, func(i int) error {
		title, start := fmt.Sprintf("Passato %02d", i+1), noon.AddDate(0, 0, -(i+1)) // i+1 days ago
		if i >= past {
			title, start = fmt.Sprintf("Futuro %02d", i-past+1), noon.AddDate(0, 0, i-past+1)
		}
		_, err := f.onlineMeeting("", network, title, start)
		return err
	})
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	titles := regexp.MustCompile(`>((?:Passato|Futuro) \d\d)</a>`)
	shown := func(page string) (up, down []string) {
		before, after, _ := strings.Cut(page, "Incontri passati</h2>")
		for _, m := range titles.FindAllStringSubmatch(before, -1) {
			up = append(up, m[1])
		}
		for _, m := range titles.FindAllStringSubmatch(after, -1) {
			down = append(down, m[1])
		}
		return up, down
	}
	res, page := admin.do("GET", "/incontri", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /incontri: status %d", res.StatusCode)
	}
	up, down := shown(page)
	if len(up) != 50 || up[0] != "Futuro 01" || up[49] != "Futuro 50" {
		t.Errorf("upcoming: %q, want Futuro 01..50", up)
	}
	if len(down) != 50 || down[0] != "Passato 01" || down[49] != "Passato 50" {
		t.Errorf("past: %q, want Passato 01..50, the latest first", down)
	}
	if !strings.Contains(page, "gli altri sono nell&#39;elenco completo") {
		t.Error("the past does not say that it leaves meetings out")
	}
	var next string
	for _, m := range relLink.FindAllStringSubmatch(page, -1) {
		next = html.UnescapeString(m[1])
	}
	if _, page = admin.do("GET", next, nil); !strings.Contains(page, ">Futuro 55</a>") || strings.Contains(page, ">Futuro 50</a>") {
		t.Errorf("the next page of the upcoming meetings (%s) does not hold Futuro 51..55 alone", next)
	}

	_, page = admin.do("GET", "/incontri?passati=tutti&ok=x", nil)
	if m := regexp.MustCompile(`<a href="([^"]*)">Solo gli incontri recenti</a>`).FindStringSubmatch(page); m == nil || html.UnescapeString(m[1]) != "/incontri" {
		t.Errorf("the archive's way back to the recent meetings is %q, want /incontri", m)
	}
	down = nil
	for _, m := range regexp.MustCompile(`>(Passato \d\d)</a>`).FindAllStringSubmatch(walkPages(t, admin, "/incontri?passati=tutti", "pas_"), -1) {
		down = append(down, m[1])
	}
	if len(down) != past || down[0] != "Passato 60" || down[past-1] != "Passato 01" {
		t.Errorf("the archive's pages show %d past meetings from %q, want all %d from the oldest", len(down), down[:1], past)
	}
}

// TestMeetingsPageOfAMemberInSeveralNetworks: network staff whose partner
// is in two networks page through the meetings and overdue action items of
// both, never of a third network of the region.
func TestMeetingsPageOfAMemberInSeveralNetworks(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, bergamo, udp, cpia := f.annaInBergamo(t)
	dalmine := f.network("lombardia", "rete-dalmine", "Rete Dalmine", cpia, udp)
	milano := f.network("lombardia", "rete-milano", "Rete Milano", f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano"))
	meetings := famiv1.NewMeetingServiceClient(f.conn)
	noon := f.Clock.Now().In(rome()).Truncate(24 * time.Hour).Add(12 * time.Hour)
	nets := []string{bergamo, dalmine, milano}
	const each = 40
	bulk(t, 3*each, func(i int) error {
		start := noon.AddDate(0, 0, 1+i/3)
		_, err := f.onlineMeeting(fmt.Sprintf("m%02d", i), nets[i%3], fmt.Sprintf("Tavolo %s %02d", lastID(nets[i%3]), i), start)
		return err
	})
	// One past meeting per network, with an overdue action item.
	for i, n := range nets {
		start := noon.AddDate(0, 0, -10)
		m, err := f.onlineMeeting(fmt.Sprintf("old%d", i), n, "Passato "+lastID(n), start)
		if err != nil {
			t.Fatal(err)
		}
		_, err = meetings.RecordMinutes(f.admin("lombardia"), &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Verbale",
			ActionItems: []*famiv1.ActionItem{{Description: "Azione di " + lastID(n), Owner: udp, DueDate: start.AddDate(0, 0, 1).Format(time.DateOnly)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	page := walkPages(t, anna, "/incontri", "")
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`>Tavolo (rete-\w+) \d+</a>`).FindAllStringSubmatch(page, -1) {
		got[m[1]]++
	}
	if got["rete-bergamo"] != each || got["rete-dalmine"] != each || got["rete-milano"] != 0 {
		t.Errorf("Anna's pages list the upcoming meetings %v, want %d of Bergamo's and Dalmine's each and none of Milano's", got, each)
	}
	_, first := anna.do("GET", "/incontri", nil)
	for _, want := range []string{"Azione di rete-bergamo", "Azione di rete-dalmine", "Passato rete-bergamo", "Passato rete-dalmine"} {
		if !strings.Contains(first, want) {
			t.Errorf("Anna's meetings page lacks %q", want)
		}
	}
	if strings.Contains(first, "rete-milano") {
		t.Error("Anna's meetings page shows Milano's network")
	}
	// The region's API pages of 50 hold about 33 of Anna's meetings each:
	// the first page reads on until it holds at least 50.
	m := regexp.MustCompile(`Risultati da 1 a (\d+); ce ne sono altri`).FindStringSubmatch(first)
	if m == nil {
		t.Fatal("Anna's first page of meetings does not say that more follow")
	}
	if n, _ := strconv.Atoi(m[1]); n < 50 || n >= 100 {
		t.Errorf("Anna's first page of meetings says %q, want 50 to 99 rows and more to follow", m)
	}
}

// TestMeetingsPageOpenedTheNextDay: the meetings page's tokens are bound to
// the day that splits the upcoming from the past, so a page 2 bookmarked
// (or left open) and opened the next day is refused. The user sees a page
// that says the list has changed since, and one link that starts every
// list of the page over: a page holding two stale tokens used to need two
// error pages, as the first's link kept the other list's token.
func TestMeetingsPageOpenedTheNextDay(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	network := setupLombardia(f)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	noon := f.Clock.Now().In(rome()).Truncate(24 * time.Hour).Add(12 * time.Hour)
	bulk(t, 110, func(i int) error {
		start := noon.AddDate(0, 0, i-54) // 54 past days, today and 55 days to come
		_, err := f.onlineMeeting("", network, fmt.Sprintf("Incontro %03d", i), start)
		return err
	})
	admin := f.client(t)
	admin.signIn("admin@lombardia")
	nextOf := func(path, prefix string) string {
		t.Helper()
		_, page := admin.do("GET", path, nil)
		for _, m := range nextLink.FindAllStringSubmatch(page, -1) {
			if link := html.UnescapeString(m[1]); must(url.Parse(link)).Query().Get(prefix+"pagina") != "" {
				return link
			}
		}
		t.Fatalf("%s offers no next page of its %q list", path, prefix)
		return ""
	}
	bookmark := nextOf(nextOf("/incontri?passati=tutti", ""), "pas_")
	if res, _ := admin.do("GET", bookmark, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s the same day: status %d, want 200", bookmark, res.StatusCode)
	}

	// The next day, a minute past midnight in Rome, signed in anew.
	now := f.Clock.Now().In(rome())
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 1, 0, 0, rome())
	f.Clock.Advance(midnight.Sub(now))
	admin = f.client(t)
	admin.signIn("admin@lombardia")
	res, page := admin.do("GET", bookmark, nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("GET %s the next day: status %d, want 400", bookmark, res.StatusCode)
	}
	if !strings.Contains(page, "L&#39;elenco è cambiato") {
		t.Error("the page does not say the list has changed since the link was made")
	}
	m := regexp.MustCompile(`<a href="([^"]*)">Torna alla prima pagina`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page offers no way back to the list")
	}
	first := html.UnescapeString(m[1])
	if first != "/incontri?passati=tutti" {
		t.Errorf("the way back is %q, want the first page of every list, the archive view kept: /incontri?passati=tutti", first)
	}
	if res, _ := admin.do("GET", first, nil); res.StatusCode != http.StatusOK {
		t.Errorf("GET %s: status %d, want 200", first, res.StatusCode)
	}
}
