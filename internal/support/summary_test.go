package support_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/support"
)

var groupBys = []famiv1.SupportGroupBy{
	famiv1.SupportGroupBy_SUPPORT_GROUP_BY_UNSPECIFIED,
	famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY,
	famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK,
	famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT,
	famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH,
	famiv1.SupportGroupBy_SUPPORT_GROUP_BY_QUARTER,
}

// sameSummary compares a summary with the full scan's: totals and groups
// (in key order), display names aside.
func sameSummary(t *testing.T, what string, got, want *famiv1.SummarizeSupportEntriesResponse) {
	t.Helper()
	strip := func(r *famiv1.SummarizeSupportEntriesResponse) *famiv1.SummarizeSupportEntriesResponse {
		r = proto.CloneOf(r)
		r.Revision = 0
		for _, g := range r.Groups {
			g.DisplayName = ""
		}
		slices.SortFunc(r.Groups, func(a, b *famiv1.SupportSummaryGroup) int { return strings.Compare(a.GetKey(), b.GetKey()) })
		return r
	}
	if g, w := strip(got), strip(want); !proto.Equal(g, w) {
		t.Errorf("%s:\n got  %v\n want %v (full scan)", what, g, w)
	}
}

// randomEntry is a valid entry of a random network, activity, day in
// [first, now], duration and operators.
func randomEntry(rng *rand.Rand, networks int, first time.Time) *famiv1.SupportEntry {
	days := int(now.Sub(first).Hours() / 24)
	se := entry(1+rng.IntN(networks), first.AddDate(0, 0, rng.IntN(days+1)).Format("2006-01-02"), int32(15*(1+rng.IntN(16))))
	se.Activity = famiv1.SupportActivity(1 + rng.IntN(7))
	se.Mode = famiv1.SupportMode(1 + rng.IntN(3))
	for r := 1; r <= 7; r++ {
		if rng.IntN(3) == 0 {
			se.OperatorsReached = append(se.OperatorsReached, &famiv1.OperatorsReached{Role: famiv1.SupportOperatorRole(r), Count: int32(1 + rng.IntN(5))})
		}
	}
	return se
}

// TestSummaryMatchesFullScan runs a random history of creates, edits,
// deletes, approvals and rejections through the service, then checks that
// summaries, read from the aggregates, equal a full scan of the entries for
// every grouping over ranges that cut months at both ends, cross years or
// cover one day, with state, consultant and network filters.
func TestSummaryMatchesFullScan(t *testing.T) {
	e := newEnv(t, 6)
	rng := rand.New(rand.NewPCG(9, 2022))
	consultants := []principal.Principal{consultantP, otherP,
		{Subject: "acct:lombardia:100%00odd%25", Role: principal.Consultant, Region: region, DisplayName: "Odd Subject"}}
	first := time.Date(2021, 11, 20, 0, 0, 0, 0, time.UTC)
	type logged struct {
		name string
		by   principal.Principal
	}
	// Contacts, which some entries name (0 to 3 of them).
	var contacts []string
	for i := range 8 {
		c := ok(e.reg.Contacts().CreateContact(e.as(adminP), &famiv1.CreateContactRequest{Parent: parent, ContactId: fmt.Sprintf("op-%d", i),
			Contact: &famiv1.Contact{DisplayName: "Operatore", Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_TEACHER, Partner: partnerName("cpia")}}))(t, "create contact")
		contacts = append(contacts, c.GetName())
	}
	randomEntry := func(rng *rand.Rand, networks int, first time.Time) *famiv1.SupportEntry {
		se := randomEntry(rng, networks, first)
		for _, i := range rng.Perm(len(contacts))[:rng.IntN(4)] {
			se.Contacts = append(se.Contacts, contacts[i])
		}
		return se
	}
	var live []logged
	for i := 0; i < 400; i++ {
		switch op := rng.IntN(10); {
		case op < 5 || len(live) == 0:
			p := consultants[rng.IntN(len(consultants))]
			se, err := e.create(p, "", randomEntry(rng, 6, first))
			if err == nil {
				live = append(live, logged{se.GetName(), p})
			}
		case op < 7:
			l := live[rng.IntN(len(live))]
			next := randomEntry(rng, 6, first)
			next.Name = l.name
			mask := []string{"contacts", "network", "activity", "date", "duration_minutes", "operators_reached"}
			e.svc.UpdateSupportEntry(e.as(l.by), &famiv1.UpdateSupportEntryRequest{SupportEntry: next, UpdateMask: fieldMask(mask[rng.IntN(len(mask)):]...)})
		case op < 8:
			i := rng.IntN(len(live))
			if _, err := deleteEntry(e, live[i].by, live[i].name[len(entryName("")):], ""); err == nil {
				live = slices.Delete(live, i, i+1)
			}
		case op < 9:
			var names []string
			for _, l := range live[:min(len(live), 3)] {
				names = append(names, l.name)
			}
			if _, err := e.svc.BatchApproveSupportEntries(e.as(adminP), &famiv1.BatchApproveSupportEntriesRequest{Parent: parent, Names: names}); err == nil {
				live = live[len(names):]
			}
		default:
			i := rng.IntN(len(live))
			if _, err := e.svc.RejectSupportEntry(e.as(adminP), &famiv1.RejectSupportEntryRequest{Name: live[i].name, Reason: "no"}); err == nil {
				live = slices.Delete(live, i, i+1)
			}
		}
	}

	ranges := [][2]string{
		{"2021-11-20", "2022-06-30"}, // the whole history: edge days, whole months
		{"2021-12-01", "2022-05-31"}, // whole months only
		{"2021-12-17", "2022-02-03"}, // across a year, partial months at both ends
		{"2022-03-05", "2022-03-05"}, // one day
		{"2022-02-01", "2022-02-14"}, // the first half of a month
		{"2020-01-01", "2030-12-31"}, // wider than the data
	}
	states := [][]famiv1.SupportEntryState{
		nil,
		{famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED},
		{famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED, famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED, famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED},
	}
	checked := 0
	for _, r := range ranges {
		for _, gb := range groupBys {
			for _, st := range states {
				for _, filter := range []struct{ consultant, network string }{{}, {consultants[2].Subject, ""}, {"", networkName(3)}} {
					req := &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: r[0], EndDate: r[1], GroupBy: gb, States: st, Consultant: filter.consultant, Network: filter.network}
					got := ok(e.svc.SummarizeSupportEntries(e.as(adminP), req))(t, "summarize")
					want := ok(e.svc.ScanSummary(t.Context(), region, req))(t, "scan")
					sameSummary(t, fmt.Sprintf("%s..%s by %s, states %v, filter %q", r[0], r[1], gb, st, filter), got, want)
					if got.GetTotals().GetEntries() > 0 {
						checked++
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d non-empty summaries were compared: the random history is too thin", checked)
	}
}

// publishedFigure is ANCI Lombardia's support report: 736 hours of
// personalised support to the 33 networks, May 2019 - June 2022.
const (
	publishedMinutes  = 736 * 60
	publishedNetworks = 33
	publishedStart    = "2019-05-01"
	publishedEnd      = "2022-06-30"
)

// TestPublishedFigure logs a data set reproducing the published figure
// through the service (three consultants, every network, every activity),
// approves it, and summarises it back: exactly 736 hours (44,160 minutes)
// over 33 networks, by activity and by network, and a full scan agrees.
func TestPublishedFigure(t *testing.T) {
	e := newEnv(t, publishedNetworks)
	consultants := []principal.Principal{consultantP, otherP, {Subject: "acct:lombardia:gverdi", Role: principal.Consultant, Region: region, DisplayName: "Giulia Verdi"}}
	start, _ := time.Parse("2006-01-02", publishedStart)
	end, _ := time.Parse("2006-01-02", publishedEnd)
	days := int(end.Sub(start).Hours()/24) + 1
	durations := []int32{60, 90, 120, 150, 180, 240, 45, 75, 210}
	var names []string
	for i, left := 0, int32(publishedMinutes); left > 0; i++ {
		d := min(durations[i%len(durations)], left)
		left -= d
		// Entry i is on day 7i mod days: distinct days while i < days.
		se := entry(1+i%publishedNetworks, start.AddDate(0, 0, (7*i)%days).Format("2006-01-02"), d)
		se.Activity = famiv1.SupportActivity(1 + i%7)
		se.OperatorsReached = []*famiv1.OperatorsReached{{Role: famiv1.SupportOperatorRole(1 + i%7), Count: 1 + int32(i%3)}}
		names = append(names, e.mustCreate(consultants[i%3], fmt.Sprintf("e%04d", i), se).GetName())
	}
	if len(names) >= days {
		t.Fatalf("%d entries for %d days: the generator reuses days", len(names), days)
	}
	ok(e.svc.BatchApproveSupportEntries(e.as(adminP), &famiv1.BatchApproveSupportEntriesRequest{Parent: parent, Names: names}))(t, "approve all")

	approved := []famiv1.SupportEntryState{famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED}
	for _, gb := range []famiv1.SupportGroupBy{famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY, famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK} {
		req := &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: publishedStart, EndDate: publishedEnd, GroupBy: gb, States: approved}
		got := ok(e.svc.SummarizeSupportEntries(e.as(ministryP), req))(t, "summarize")
		if tot := got.GetTotals(); tot.GetTotalMinutes() != publishedMinutes || tot.GetDistinctNetworks() != publishedNetworks || tot.GetEntries() != int64(len(names)) {
			t.Errorf("by %s: totals %d minutes, %d networks, %d entries; want %d (736 hours), %d, %d", gb, tot.GetTotalMinutes(), tot.GetDistinctNetworks(), tot.GetEntries(), publishedMinutes, publishedNetworks, len(names))
		}
		var sum int64
		for _, g := range got.GetGroups() {
			sum += g.GetTotalMinutes()
		}
		wantGroups := map[famiv1.SupportGroupBy]int{famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY: 7, famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK: publishedNetworks}[gb]
		if sum != publishedMinutes || len(got.GetGroups()) != wantGroups {
			t.Errorf("by %s: %d groups adding up to %d minutes, want %d groups adding up to %d", gb, len(got.GetGroups()), sum, wantGroups, publishedMinutes)
		}
		sameSummary(t, "by "+gb.String(), got, ok(e.svc.ScanSummary(t.Context(), region, req))(t, "scan"))
	}
	// A day either side of the period adds nothing: the figure is the
	// period's.
	for _, r := range [][2]string{{"2019-04-01", "2019-04-30"}, {"2022-07-01", "2022-07-31"}} {
		got := ok(e.svc.SummarizeSupportEntries(e.as(adminP), &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: r[0], EndDate: r[1]}))(t, "summarize outside")
		if got.GetTotals().GetEntries() != 0 {
			t.Errorf("%s..%s: %v, want nothing", r[0], r[1], got.GetTotals())
		}
	}
	// The full scan through the public API agrees.
	var minutes int64
	networks := map[string]bool{}
	req := &famiv1.ListSupportEntriesRequest{Parent: parent, PageSize: 1000}
	for {
		page := ok(e.svc.ListSupportEntries(e.as(adminP), req))(t, "list")
		for _, se := range page.GetSupportEntries() {
			minutes += int64(se.GetDurationMinutes())
			networks[se.GetNetwork()] = true
		}
		if req.PageToken = page.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	if minutes != publishedMinutes || len(networks) != publishedNetworks {
		t.Errorf("listing every entry: %d minutes over %d networks, want %d over %d", minutes, len(networks), publishedMinutes, publishedNetworks)
	}
}

func TestMonthSpans(t *testing.T) {
	for _, tc := range []struct {
		start, end string
		want       []string
	}{
		{"2022-01-29", "2022-03-02", []string{"2022-01 29-31", "2022-02 1-31", "2022-03 1-2"}},
		{"2020-02-01", "2020-02-29", []string{"2020-02 1-31"}}, // a leap year's February, whole
		{"2020-02-01", "2020-02-28", []string{"2020-02 1-28"}},
		{"2021-12-01", "2022-01-31", []string{"2021-12 1-31", "2022-01 1-31"}},
		{"2022-04-01", "2022-04-30", []string{"2022-04 1-31"}},
		{"2022-05-03", "2022-05-03", []string{"2022-05 3-3"}},
		// Months before 2014 or after today hold no entries: left out,
		// the months around them kept as the range cuts them.
		{"2000-01-01", "2049-12-31", spansUntil("2014-01", "2022-06")},
		{"2013-12-20", "2014-01-10", []string{"2014-01 1-10"}},
		{"2022-06-03", "2022-07-05", []string{"2022-06 3-31"}},
		{"2022-07-01", "2022-07-31", nil},
	} {
		if got := support.MonthSpans(tc.start, tc.end, "2022-06-15"); !slices.Equal(got, tc.want) {
			t.Errorf("monthSpans(%s, %s) = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
}

// spansUntil is the whole months from first to last as MonthSpans shows them.
func spansUntil(first, last string) []string {
	var out []string
	for m, _ := time.Parse("2006-01", first); m.Format("2006-01") <= last; m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01")+" 1-31")
	}
	return out
}
