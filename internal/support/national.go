package support

import (
	"context"
	"maps"
	"slices"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
)

// summarizeNationally answers a summary of regions/-: every region's
// summary, under the same rules as when asked region by region, one after
// the other in region id order, each group naming its region, and the
// national totals, their sum. Networks belong to one region, so distinct
// networks add up. A region whose data cannot be read now is left out and
// named unreachable (aip.Skip): the totals are those of the regions read.
func (s *Service) summarizeNationally(ctx context.Context, req *famiv1.SummarizeSupportEntriesRequest) (*famiv1.SummarizeSupportEntriesResponse, error) {
	regions := aip.RegionIDs()
	if n := req.GetNetwork(); n != "" {
		// A network is in one region: the others count nothing.
		region, err := aip.RegionOfName("network", n, resource.Networks)
		if err != nil {
			return nil, err
		}
		regions = []string{region}
	}
	out := &famiv1.SummarizeSupportEntriesResponse{Totals: &famiv1.SupportSummaryGroup{}}
	byRole := map[famiv1.SupportOperatorRole]int64{}
	unreachable, err := aip.AskEachRegion(ctx, regions, req, s.SummarizeSupportEntries, func(parent string, res *famiv1.SummarizeSupportEntriesResponse) {
		for _, g := range res.GetGroups() {
			g.Region = parent
			out.Groups = append(out.Groups, g)
		}
		t, sum := res.GetTotals(), out.Totals
		sum.TotalMinutes += t.GetTotalMinutes()
		sum.Entries += t.GetEntries()
		sum.DistinctNetworks += t.GetDistinctNetworks()
		sum.OperatorsReached += t.GetOperatorsReached()
		// Contacts are each region's own: distinct across regions too.
		sum.DistinctContacts += t.GetDistinctContacts()
		sum.EntriesNamingContacts += t.GetEntriesNamingContacts()
		for _, o := range t.GetOperatorsByRole() {
			byRole[o.GetRole()] += int64(o.GetCount())
		}
	})
	if err != nil {
		return nil, err
	}
	out.Unreachable = unreachable
	for _, role := range slices.Sorted(maps.Keys(byRole)) {
		out.Totals.OperatorsByRole = append(out.Totals.OperatorsByRole, &famiv1.OperatorsReached{Role: role, Count: int32(min(byRole[role], 1<<31-1))})
	}
	return out, nil
}
