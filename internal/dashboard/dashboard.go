// Package dashboard implements fami.v1.DashboardService: each region's
// governance figures and the national totals. It holds no rule of its own:
// it reads through the registry, protocols, meetings and support services,
// so a figure means what the lists and summaries of those services mean
// (a protocol "in force" is the protocols service's derived state).
package dashboard

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/indicators"
	"github.com/raccordo/raccordo/internal/territory"
)

// Sources are the services the dashboard reads; the generated service
// types satisfy them.
type Sources struct {
	Partners interface {
		ListPartners(context.Context, *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error)
	}
	Networks interface {
		ListNetworks(context.Context, *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error)
	}
	Protocols interface {
		ListProtocols(context.Context, *famiv1.ListProtocolsRequest) (*famiv1.ListProtocolsResponse, error)
	}
	// Meetings counts a region's (id) meetings in a state from their index
	// (the meetings service's CountMeetings), not by listing every past one.
	Meetings interface {
		CountMeetings(ctx context.Context, region string, state famiv1.MeetingState) (int32, error)
	}
	Support interface {
		SummarizeSupportEntries(context.Context, *famiv1.SummarizeSupportEntriesRequest) (*famiv1.SummarizeSupportEntriesResponse, error)
	}
	Monitoring interface {
		SummarizeMonitoring(context.Context, *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error)
	}
	// Now is the clock that picks the default quarter (time.Now when nil).
	Now func() time.Time
}

// Approved support hours are counted over every date of the programming
// periods the platform serves (the support summary's range is bounded).
const (
	supportFrom = "2000-01-01"
	supportTo   = "2049-12-31"
)

// Service implements fami.v1.DashboardService.
type Service struct {
	famiv1.UnimplementedDashboardServiceServer
	src Sources
}

// New returns the dashboard over its sources.
func New(src Sources) *Service {
	if src.Now == nil {
		src.Now = time.Now
	}
	return &Service{src: src}
}

// rome is the time zone of the quarters.
var rome = territory.Rome

// lastQuarter is the last quarter that ended before now, in Italy:
// "YYYY-qN".
func lastQuarter(now time.Time) string {
	t := now.In(rome)
	year, q := t.Year(), (int(t.Month())-1)/3
	if q == 0 {
		year, q = year-1, 4
	}
	return fmt.Sprintf("%d-q%d", year, q)
}

// SummarizeRegions implements fami.v1.DashboardService.
func (s *Service) SummarizeRegions(ctx context.Context, req *famiv1.SummarizeRegionsRequest) (*famiv1.SummarizeRegionsResponse, error) {
	var regions []string
	if req.GetName() == aip.AllRegions {
		regions = aip.RegionIDs()
	} else {
		r, err := aip.ParseRegion("name", req.GetName())
		if err != nil {
			return nil, err
		}
		if _, err := aip.Region(r); err != nil {
			return nil, err
		}
		regions = []string{r}
	}
	period := req.GetPeriod()
	if period == "" {
		period = lastQuarter(s.src.Now())
	}
	out := &famiv1.SummarizeRegionsResponse{Totals: &famiv1.RegionSummary{MonitoringPeriod: period}}
	kinds := map[famiv1.PartnerKind]int32{}
	progress := indicators.Progress{}
	// A national dashboard leaves out a region whose data cannot be read
	// now (AIP-217); one region's fails as it is.
	unreachable, err := aip.EachRegion(ctx, regions, func(region string) error {
		row, err := s.summarize(ctx, region, period)
		if err != nil {
			return err
		}
		if len(regions) > 1 && empty(row) {
			return nil
		}
		out.Regions = append(out.Regions, row)
		t := out.Totals
		t.Networks += row.Networks
		t.Partners += row.Partners
		t.ProtocolsInForce += row.ProtocolsInForce
		t.MeetingsHeld += row.MeetingsHeld
		t.ApprovedSupportMinutes += row.ApprovedSupportMinutes
		t.ApprovedSupportEntries += row.ApprovedSupportEntries
		t.MonitoredProjects += row.MonitoredProjects
		for _, k := range row.PartnersByKind {
			kinds[k.Kind] += k.Count
		}
		progress.Add(row.Indicators)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Unreachable = unreachable
	out.Totals.PartnersByKind = byKind(kinds)
	out.Totals.Indicators = progress.Sorted()
	return out, nil
}

func empty(r *famiv1.RegionSummary) bool {
	return r.Networks == 0 && r.Partners == 0 && r.ProtocolsInForce == 0 && r.MeetingsHeld == 0 && r.ApprovedSupportEntries == 0 && r.MonitoredProjects == 0
}

func byKind(kinds map[famiv1.PartnerKind]int32) []*famiv1.PartnerKindCount {
	var out []*famiv1.PartnerKindCount
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		out = append(out, &famiv1.PartnerKindCount{Kind: k, Count: kinds[k]})
	}
	return out
}

// countAll counts the items req lists over all its pages, one page at a
// time (aip.Each); items picks a page's items out of its answer.
func countAll[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T any](ctx context.Context,
	list func(context.Context, Req) (Resp, error), req Req, items func(Resp) []T) (int32, error) {
	var total int32
	err := aip.Each(ctx, list, req, func(res Resp) error {
		total += int32(len(items(res)))
		return nil
	})
	return total, err
}

// summarize reads one region's figures. Its partners are counted by kind a
// page at a time: a region's partners are never all held.
func (s *Service) summarize(ctx context.Context, region, period string) (*famiv1.RegionSummary, error) {
	parent := "regions/" + region
	row := &famiv1.RegionSummary{Region: parent, MonitoringPeriod: period}
	kinds := map[famiv1.PartnerKind]int32{}
	err := aip.Each(ctx, s.src.Partners.ListPartners, &famiv1.ListPartnersRequest{Parent: parent}, func(res *famiv1.ListPartnersResponse) error {
		for _, p := range res.GetPartners() {
			kinds[p.GetKind()]++
		}
		row.Partners += int32(len(res.GetPartners()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	row.PartnersByKind = byKind(kinds)
	if row.Networks, err = countAll(ctx, s.src.Networks.ListNetworks, &famiv1.ListNetworksRequest{Parent: parent},
		(*famiv1.ListNetworksResponse).GetNetworks); err != nil {
		return nil, err
	}
	if row.ProtocolsInForce, err = countAll(ctx, s.src.Protocols.ListProtocols,
		&famiv1.ListProtocolsRequest{Parent: parent, State: famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE},
		(*famiv1.ListProtocolsResponse).GetProtocols); err != nil {
		return nil, err
	}
	if row.MeetingsHeld, err = s.src.Meetings.CountMeetings(ctx, region, famiv1.MeetingState_MEETING_STATE_HELD); err != nil {
		return nil, err
	}
	sum, err := s.src.Support.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: parent,
		StartDate: supportFrom, EndDate: supportTo, States: []famiv1.SupportEntryState{famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED}})
	if err != nil {
		return nil, err
	}
	row.ApprovedSupportMinutes = sum.GetTotals().GetTotalMinutes()
	row.ApprovedSupportEntries = sum.GetTotals().GetEntries()
	mon, err := s.src.Monitoring.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: parent, Period: period})
	if err != nil {
		return nil, err
	}
	row.MonitoredProjects, row.Indicators = mon.GetProjects(), mon.GetIndicators()
	return row, nil
}
