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
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/territory"
)

// Sources are the services the dashboard reads; the generated service
// types satisfy them.
type Sources struct {
	// The counts of a region's (an id) partners by kind, networks, and
	// protocols and meetings in a state are what their lists would list
	// (partners without the archived), each counted in one read without
	// building a page (the services' Count methods).
	Partners interface {
		CountPartners(ctx context.Context, region string) (map[famiv1.PartnerKind]int32, error)
	}
	Networks interface {
		CountNetworks(ctx context.Context, region string) (int32, error)
	}
	Protocols interface {
		CountProtocols(ctx context.Context, region string, state famiv1.ProtocolState) (int32, error)
	}
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
	// Refused before any read: a region's row reads its counts before its
	// monitoring summary, and a national dashboard leaves out a region
	// that cannot be read, so the summary alone would refuse it late, or
	// never when no region answers.
	if err := monitoring.CheckPeriod(period); err != nil {
		return nil, err
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

// empty reports whether a region's row holds no figure at all, so that a
// national dashboard may leave it out. Indicators count: a quarter's
// achievements may come from projects no longer monitored in it (shortened
// after reporting), and a row dropped would take them out of the totals.
func empty(r *famiv1.RegionSummary) bool {
	return r.Networks == 0 && r.Partners == 0 && r.ProtocolsInForce == 0 && r.MeetingsHeld == 0 && r.ApprovedSupportEntries == 0 && r.MonitoredProjects == 0 &&
		len(r.Indicators) == 0
}

func byKind(kinds map[famiv1.PartnerKind]int32) []*famiv1.PartnerKindCount {
	var out []*famiv1.PartnerKindCount
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		out = append(out, &famiv1.PartnerKindCount{Kind: k, Count: kinds[k]})
	}
	return out
}

// summarize reads one region's figures.
func (s *Service) summarize(ctx context.Context, region, period string) (*famiv1.RegionSummary, error) {
	parent := "regions/" + region
	row := &famiv1.RegionSummary{Region: parent, MonitoringPeriod: period}
	kinds, err := s.src.Partners.CountPartners(ctx, region)
	if err != nil {
		return nil, err
	}
	for _, n := range kinds {
		row.Partners += n
	}
	row.PartnersByKind = byKind(kinds)
	if row.Networks, err = s.src.Networks.CountNetworks(ctx, region); err != nil {
		return nil, err
	}
	if row.ProtocolsInForce, err = s.src.Protocols.CountProtocols(ctx, region, famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE); err != nil {
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
