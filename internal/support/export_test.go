package support

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Hooks for the external tests and benchmarks of this package.

// WithoutAggregates turns the aggregate cells off, so a benchmark can
// measure what keeping them costs. Summaries are then empty.
func (s *Service) WithoutAggregates() *Service {
	c := *s
	c.noAggregates = true
	return &c
}

// Load writes entries into region in one transaction, through the same
// bookkeeping as CreateSupportEntry (aggregates, day minutes, list
// indexes, references) but without its validation: the caller generates
// valid entries. Each entry's name, consultant and state must be set.
func (s *Service) Load(ctx context.Context, region string, entries []*famiv1.SupportEntry) error {
	_, err := s.store.Update(ctx, region, store.Mutation{Principal: "test:loader"}, func(tx store.WriteTx) (proto.Message, error) {
		for _, e := range entries {
			if err := s.insert(tx, proto.CloneOf(e)); err != nil {
				return nil, err
			}
		}
		return &famiv1.SupportEntry{}, nil
	})
	return err
}

// ScanSummary computes what SummarizeSupportEntries returns (groups'
// keys, minutes, entries, distinct networks and operators) by reading
// every entry of region: the reference the aggregates are checked and
// benchmarked against.
func (s *Service) ScanSummary(ctx context.Context, region string, req *famiv1.SummarizeSupportEntriesRequest) (*famiv1.SummarizeSupportEntriesResponse, error) {
	states := map[famiv1.SupportEntryState]bool{}
	for _, st := range req.GetStates() {
		states[st] = true
	}
	if len(states) == 0 {
		states[stateSubmitted], states[stateApproved] = true, true
	}
	q := &summaryQuery{groupBy: req.GetGroupBy()}
	groups := map[string]*group{}
	var total group
	contacts := map[string]bool{}
	var naming int64
	res := &famiv1.SummarizeSupportEntriesResponse{}
	err := s.store.View(ctx, region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		return tx.List(resource.SupportEntries, "", func(_ string, raw []byte) (bool, error) {
			e := &famiv1.SupportEntry{}
			if err := proto.Unmarshal(raw, e); err != nil {
				return false, err
			}
			if e.GetDate() < req.GetStartDate() || e.GetDate() > req.GetEndDate() || !states[e.GetState()] ||
				(req.GetConsultant() != "" && e.GetConsultant() != req.GetConsultant()) ||
				(req.GetNetwork() != "" && e.GetNetwork() != req.GetNetwork()) {
				return true, nil
			}
			// The entry's figures, computed here rather than with the
			// aggregates' own code, so the comparison checks it too.
			c := figures{entries: 1, minutes: int64(e.GetDurationMinutes())}
			for _, o := range e.GetOperatorsReached() {
				c.ops[o.GetRole()-1] += int64(o.GetCount())
			}
			network := e.GetNetwork()[strings.LastIndexByte(e.GetNetwork(), '/')+1:]
			total.add(&c, network)
			for _, ct := range e.GetContacts() {
				contacts[ct] = true
			}
			if len(e.GetContacts()) > 0 {
				naming++
			}
			key := ""
			switch q.groupBy {
			case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_UNSPECIFIED:
				return true, nil
			case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY:
				key = strconv.Itoa(int(e.GetActivity()))
			case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT:
				key = e.GetConsultant()
			case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK:
				key = network
			case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH:
				key = e.GetDate()[:7]
			case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_QUARTER:
				m, _ := strconv.Atoi(e.GetDate()[5:7])
				key = fmt.Sprintf("%s-Q%d", e.GetDate()[:4], (m+2)/3)
			}
			g := groups[key]
			if g == nil {
				g = &group{}
				groups[key] = g
			}
			g.add(&c, network)
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	res.Totals = line(&total)
	res.Totals.DistinctContacts, res.Totals.EntriesNamingContacts = int32(len(contacts)), naming
	for k, g := range groups {
		out := line(g)
		out.Key = k
		switch q.groupBy {
		case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY:
			n, _ := strconv.Atoi(k)
			out.Activity = famiv1.SupportActivity(n)
			out.Key = out.Activity.String()
		case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK:
			out.Key = aip.Name(region, resource.Networks, k)
		}
		res.Groups = append(res.Groups, out)
	}
	return res, nil
}

// MonthSpans exposes monthSpans to the tests as "YYYY-MM first-last".
func MonthSpans(start, end, today string) []string {
	var out []string
	for _, s := range monthSpans(start, end, today) {
		out = append(out, fmt.Sprintf("%s %d-%d", s.month, s.first, s.last))
	}
	return out
}
