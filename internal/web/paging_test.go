package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// bulk calls create for 0..n-1, 16 at a time, so that the store commits
// them in batches; it stops the test at the first failure.
func bulk(t testing.TB, n int, create func(i int) error) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && !t.Failed(); i = int(next.Add(1) - 1) {
				if err := create(i); err != nil {
					t.Errorf("item %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// TestPagesReadPastOnePage: the pages that show or use every item of a
// listing read every page of it, where they read one page of 1000 (200
// for an entry's meetings) and dropped the rest unsaid. The list pages
// now show a page at a time: every item is on one of the pages their
// "Pagina successiva" links lead through (walkPages). The region holds
// one item more than a page of each: closed periods (the periods page,
// and the lock of an entry dated in the last one), meetings (the meetings
// page, and the choices of the entry form), overdue action items,
// protocols and service tokens. The entry form's meetings are a page at a
// time too, newest first: every one is on a page its pager leads to.
func TestPagesReadPastOnePage(t *testing.T) {
	t.Parallel()
	f, consultant, network := withLoggedHours(t)
	ctx := f.admin("lombardia")
	const n = 1001 // one more than the largest page a List gives
	entry := f.entries("lombardia")[0]

	// Closed periods p0000..p1000 are listed in id order: the last, past
	// the first page, holds the consultant's entry.
	support := famiv1.NewSupportServiceClient(f.seed)
	bulk(t, n, func(i int) error {
		day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
		req := &famiv1.ClosePeriodRequest{Parent: "regions/lombardia", ClosedPeriodId: fmt.Sprintf("p%04d", i), ClosedPeriod: &famiv1.ClosedPeriod{StartDate: day, EndDate: day}}
		if i == n-1 {
			req.ClosedPeriod.StartDate, req.ClosedPeriod.EndDate = entry.GetDate(), entry.GetDate()
			req.ClosedPeriod.Reason, req.Force = "Rendicontazione inviata", true
		}
		_, err := support.ClosePeriod(ctx, req)
		return err
	})

	// Meetings m0000..m1000, two hours apart from 100 days ago, are listed
	// in start order: the last starts after the first page (and after
	// the first 200); the first six carry 200 overdue action items each.
	meetings := famiv1.NewMeetingServiceClient(f.seed)
	first := f.Clock.Now().AddDate(0, 0, -100).Truncate(time.Hour)
	bulk(t, n, func(i int) error {
		start := first.Add(time.Duration(i) * 2 * time.Hour)
		_, err := meetings.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: "regions/lombardia", MeetingId: fmt.Sprintf("m%04d", i),
			Meeting: &famiv1.Meeting{Networks: []string{network}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: fmt.Sprintf("Tavolo %d", i),
				StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE, Link: "https://meet.example.org/t"}})
		return err
	})
	lead := "regions/lombardia/partners/udp-bergamo"
	const withItems, perMeeting = 6, 200
	bulk(t, withItems, func(i int) error {
		var items []*famiv1.ActionItem
		due := first.AddDate(0, 0, 1).In(rome()).Format(time.DateOnly)
		for j := range perMeeting {
			items = append(items, &famiv1.ActionItem{Description: fmt.Sprintf("Azione %d.%d", i, j), Owner: lead, DueDate: due})
		}
		_, err := meetings.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: fmt.Sprintf("regions/lombardia/meetings/m%04d", i), Minutes: "Verbale", ActionItems: items})
		return err
	})

	// Service tokens sys0000..sys1000.
	auth := famiv1.NewAuthServiceClient(f.seed)
	bulk(t, n, func(i int) error {
		_, err := auth.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: fmt.Sprintf("sys%04d", i)})
		return err
	})

	// Protocols r0000..r1000, listed in id order.
	protocols := famiv1.NewProtocolServiceClient(f.seed)
	bulk(t, n, func(i int) error {
		_, err := protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: fmt.Sprintf("r%04d", i), Protocol: &famiv1.Protocol{
			Network: network, Title: fmt.Sprintf("Protocollo %d", i), Body: "Art. 1 - Le parti collaborano.", ValidFrom: "2025-01-01",
			Parties: []*famiv1.Party{{Partner: lead, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}}}})
		return err
	})

	admin := f.client(t)
	admin.signIn("admin@lombardia")
	get := func(b *browserless, path string) string {
		t.Helper()
		res, page := b.do("GET", path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		return page
	}

	t.Run("periods page", func(t *testing.T) {
		// Each reopen form's address carries its page's query past the
		// first page (keptQuery): "/riapri?pagina=…".
		if got := len(regexp.MustCompile(`/riapri(\?[^"]*)?"`).FindAllString(walkPages(t, admin, "/periodi", ""), -1)); got != n {
			t.Errorf("the periods page offers to reopen %d periods, want %d", got, n)
		}
	})
	t.Run("periods page back from the last", func(t *testing.T) {
		// 1001 periods are 21 pages: the last page's trail reaches back
		// to the first (maxBack is 20), one page at a time.
		page := get(admin, lastPage(t, admin, "/periodi"))
		for i := 20; i > 0; i-- {
			if want := fmt.Sprintf("Risultati da %d a ", (i)*50+1); !strings.Contains(page, want) {
				t.Fatalf("%d pages back from the last: the page does not say %q", 20-i, want)
			}
			m := regexp.MustCompile(`href="([^"]*)" rel="prev"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("page %d offers no previous page", i+1)
			}
			link := html.UnescapeString(m[1])
			if back := must(url.Parse(link)).Query().Get("indietro"); strings.Count(back, "~") > 20 {
				t.Fatalf("the previous page's link carries a trail of %d pages, want at most 20", strings.Count(back, "~"))
			}
			page = get(admin, link)
		}
		if !strings.Contains(page, "Risultati da 1 a 50;") {
			t.Error("20 pages back from the last is not the first page")
		}
	})
	t.Run("entry locked by the last period", func(t *testing.T) {
		if page := get(consultant, "/ore/"+lastID(entry.GetName())); !strings.Contains(page, "Il trimestre è chiuso") {
			t.Errorf("the entry dated %s, in the closed period p%04d, is not shown locked", entry.GetDate(), n-1)
		}
	})
	t.Run("meetings page", func(t *testing.T) {
		page := walkPages(t, admin, "/incontri?passati=tutti", "pas_")
		for i := range n {
			if !strings.Contains(page, fmt.Sprintf(`href="/incontri/m%04d"`, i)) {
				t.Errorf("the meetings page does not list meeting m%04d", i)
				break
			}
		}
		if got := strings.Count(walkPages(t, admin, "/incontri", "az_"), `class="overdue"`); got != withItems*perMeeting {
			t.Errorf("the meetings page lists %d overdue action items, want %d", got, withItems*perMeeting)
		}
	})
	t.Run("entry form meetings", func(t *testing.T) {
		// The form offers its meetings newest first, a page at a time.
		page := walkPages(t, consultant, "/ore", "inc_")
		for _, id := range []string{"m0000", fmt.Sprintf("m%04d", n-1)} {
			if !strings.Contains(page, `value="regions/lombardia/meetings/`+id+`"`) {
				t.Errorf("the entry form does not offer meeting %s", id)
			}
		}
	})
	t.Run("protocols page", func(t *testing.T) {
		page := walkPages(t, admin, "/protocolli", "")
		for i := range n {
			if !strings.Contains(page, fmt.Sprintf(`href="/protocolli/r%04d"`, i)) {
				t.Fatalf("the protocols page does not list protocol r%04d", i)
			}
		}
	})
	t.Run("service tokens", func(t *testing.T) {
		page := walkPages(t, admin, "/account", "tok_")
		for i := range n {
			if !strings.Contains(page, fmt.Sprintf(`<td data-label="Sistema">sys%04d</td>`, i)) {
				t.Fatalf("the accounts page does not list the token of sys%04d", i)
			}
		}
	})
}

// nextLink finds a page's "Pagina successiva": a link, or the button of a
// form's choices (formpager) that sends the form to the same address.
var nextLink = regexp.MustCompile(`(?:href|formaction)="([^"]*)"(?: rel="next"|>Pagina successiva<)`)

// walkPages reads the list page at path and every page after it, following
// the "Pagina successiva" links of the list of prefix, and returns the
// pages read, one after the other. It fails the test on a page that is not
// 200, on a page of more than 300 rows (a page holds at most three lists
// of fewer than 2*50 rows each: a list page is bounded), and past 100
// pages.
func walkPages(t *testing.T, b *browserless, path, prefix string) string {
	t.Helper()
	var all strings.Builder
	for range 100 {
		res, page := b.do("GET", path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		if rows := strings.Count(page, "<tr>") + strings.Count(page, "<li class=\"overdue\">"); rows > 300 {
			t.Fatalf("GET %s: %d rows on one page, want a bounded page", path, rows)
		}
		all.WriteString(page)
		if path = nextPageOf(page, prefix, path); path == "" {
			return all.String()
		}
	}
	t.Fatalf("more than 100 pages after %s", path)
	return ""
}

// nextPageOf is the address of the next page of the list of prefix on page,
// read at path, or "" when page shows its last: the list's next link is
// the one that moves its token, the other lists' links keep it as it is.
func nextPageOf(page, prefix, path string) string {
	at := must(url.Parse(path)).Query().Get(prefix + "pagina")
	next := ""
	for _, m := range nextLink.FindAllStringSubmatch(page, -1) {
		link := html.UnescapeString(m[1])
		if to := must(url.Parse(link)).Query().Get(prefix + "pagina"); to != "" && to != at {
			next = link
		}
	}
	return next
}

// lastPage is the address of the last page of the list at path, reached
// through its "Pagina successiva" links.
func lastPage(t *testing.T, b *browserless, path string) string {
	t.Helper()
	for range 100 {
		_, page := b.do("GET", path, nil)
		m := nextLink.FindStringSubmatch(page)
		if m == nil {
			return path
		}
		path = html.UnescapeString(m[1])
	}
	t.Fatalf("more than 100 pages after %s", path)
	return ""
}
