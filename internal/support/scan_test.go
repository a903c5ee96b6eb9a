package support_test

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/store/storetest"
	"github.com/raccordo/raccordo/internal/support"
)

// TestFilteredListStopsAtTheScanBudget: ListSupportEntries filtered by an
// activity that one entry among more than a page's scan budget has, the
// latest, counts the entries its filter passes over against the budget
// (aip.Page.Skip), as docs/limits.md says every List does: its first page
// reads aip.MinScan entries and ends empty with a next page token (it read
// the whole region and answered the entry at once before), and paging on
// reaches the entry exactly once.
func TestFilteredListStopsAtTheScanBudget(t *testing.T) {
	const n = aip.MinScan + 200
	e := newEnv(t, 1)
	var entries []*famiv1.SupportEntry
	for i := range n {
		se := benchEntry(i)
		se.Network = networkName(1)
		se.Activity = famiv1.SupportActivity_SUPPORT_ACTIVITY_COMMUNICATION
		if i == n-1 {
			se.Activity = famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP
		}
		entries = append(entries, se)
	}
	if err := e.svc.Load(t.Context(), region, entries); err != nil {
		t.Fatal(err)
	}
	req := &famiv1.ListSupportEntriesRequest{Parent: parent, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP}
	var pages [][]string
	for {
		res := ok(e.svc.ListSupportEntries(e.as(adminP), req))(t, "list")
		var ids []string
		for _, se := range res.GetSupportEntries() {
			ids = append(ids, se.GetName()[len(entryName("")):])
		}
		pages = append(pages, ids)
		if req.PageToken = res.GetNextPageToken(); req.PageToken == "" || len(pages) > n {
			break
		}
	}
	if want := fmt.Sprintf("e%07d", n-1); len(pages) != 2 || len(pages[0]) != 0 || !slices.Equal(pages[1], []string{want}) {
		t.Errorf("pages of %v; want two, the first empty with a next page token, the second [%s]", pages, want)
	}
}

// TestListPageReadsFromItsPosition: a page of ListSupportEntries that
// resumes within a month reads as much late in a month of 600 entries as
// early in it: it reads the month's keys from its page token's position,
// where it read them again from the month's first day, skipping those
// before it (a month's pages cost its entries squared).
func TestListPageReadsFromItsPosition(t *testing.T) {
	e := monthOfEntries(t, 600)
	st := &storetest.ReadCounter{Store: e.st}
	svc := support.New(st, support.Options{Now: func() time.Time { return now }})
	req := &famiv1.ListSupportEntriesRequest{Parent: parent, PageSize: 10}
	var reads []int64
	for page := 1; page <= 50; page++ {
		res := ok(svc.ListSupportEntries(e.as(adminP), req))(t, "list")
		if len(res.GetSupportEntries()) != 10 || res.GetNextPageToken() == "" {
			t.Fatalf("page %d: %d entries, next %q; want 10 and a next page", page, len(res.GetSupportEntries()), res.GetNextPageToken())
		}
		reads = append(reads, st.Since())
		req.PageToken = res.GetNextPageToken()
	}
	if reads[1] != reads[49] {
		t.Errorf("reads of the second page and of the fiftieth, in one month: %d and %d; want them equal", reads[1], reads[49])
	}
}

// BenchmarkListAMonth pages through the 3,000 entries of one month, 50 a
// page, on a real bbolt file: each page reading the month's keys from its
// position (now), and, as the baseline in the same run, from the month's
// first day (before). Both answer the same pages.
//
//	go test -run '^$' -bench BenchmarkListAMonth -benchtime 5x ./internal/support/
func BenchmarkListAMonth(b *testing.B) {
	e := monthOfEntries(b, 3000)
	opts := support.Options{Now: func() time.Time { return now }}
	listAll := func(svc *support.Service) (names []string) {
		req := &famiv1.ListSupportEntriesRequest{Parent: parent, PageSize: 50}
		for {
			res := ok(svc.ListSupportEntries(e.as(adminP), req))(b, "list")
			for _, se := range res.GetSupportEntries() {
				names = append(names, se.GetName())
			}
			if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
				return names
			}
		}
	}
	now, before := support.New(e.st, opts), support.New(storetest.ScanFromStart{Store: e.st}, opts)
	if got, want := listAll(now), listAll(before); !slices.Equal(got, want) || len(got) != 3000 {
		b.Fatalf("%d entries, want the baseline's %d (3,000)", len(got), len(want))
	}
	for _, bc := range []struct {
		name string
		svc  *support.Service
	}{{"before", before}, {"now", now}} {
		b.Run(bc.name, func(b *testing.B) {
			runtime.GC() // not the load's garbage
			for b.Loop() {
				listAll(bc.svc)
			}
		})
	}
}

// monthOfEntries is a region whose first network has n entries, all in
// May 2022, spread over its 30 first days.
func monthOfEntries(tb testing.TB, n int) *env {
	tb.Helper()
	e := newEnv(tb, 1)
	var entries []*famiv1.SupportEntry
	for i := range n {
		se := benchEntry(i)
		se.Network, se.Date = networkName(1), fmt.Sprintf("2022-05-%02d", 1+i*30/n)
		entries = append(entries, se)
	}
	if err := e.svc.Load(tb.Context(), region, entries); err != nil {
		tb.Fatal(err)
	}
	return e
}
