package support_test

import (
	"fmt"
	"slices"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
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
