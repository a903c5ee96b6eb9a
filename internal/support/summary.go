package support

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// summaryQuery is a validated summary request, with the caller's view
// applied.
type summaryQuery struct {
	region     string
	start, end string
	groupBy    famiv1.SupportGroupBy
	// states are enum numbers.
	states []string
	// consultant is a subject; "" means every consultant.
	consultant string
	// network is a network id; "" means every network.
	network string
	// members restricts the summary to the networks partner is a member
	// of (a network member's view; no partner, no networks).
	members bool
	partner string
}

// newSummaryQuery validates a summary's parameters and applies the
// caller's view (DESIGN.md section 6, reports): consultants get their own
// entries only; network members the networks their partner is a member
// of; the ministry and network members get no per-consultant figures.
// countedStates are the states a summary and an export of entries count
// when the request names none: the hours worked, approved yet or not, and
// never rejected ones, so a spreadsheet of the entries adds up to the
// summary of the same range.
var countedStates = []famiv1.SupportEntryState{stateSubmitted, stateApproved}

func newSummaryQuery(p principal.Principal, region, start, end string, groupBy famiv1.SupportGroupBy, states []famiv1.SupportEntryState, consultant, network string) (*summaryQuery, error) {
	q := &summaryQuery{region: region, start: start, end: end, groupBy: groupBy, consultant: consultant}
	switch p.Role {
	case principal.Consultant:
		if consultant != "" && consultant != p.Subject {
			return nil, errs.NotOwnEntry.New("consultants may only summarize their own support entries: leave consultant empty or set it to %q", p.Subject)
		}
		q.consultant = p.Subject
	case principal.Ministry, principal.NetworkMember:
		if consultant != "" || groupBy == famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT {
			return nil, errs.ConsultantDetailNotAllowed.New("the %s role gets support summaries without per-consultant figures: drop consultant and group by activity, network, month or quarter", p.Role)
		}
		if p.Role == principal.NetworkMember {
			q.members, q.partner = true, p.Partner
		}
	}
	var v errs.Violations
	dateRange(&v, start, end, true)
	if v.Len() == 0 {
		if s, _ := time.Parse(time.DateOnly, start); s.AddDate(maxSummaryYears, 0, 0).Format(time.DateOnly) < end {
			v.Add("end_date", "the range spans more than %d years", maxSummaryYears)
		}
	}
	check.Enum(&v, "group_by", groupBy, false)
	if len(states) == 0 {
		states = countedStates
	}
	q.states = stateKeys(check.Enums(&v, "states", states))
	check.Text(&v, "consultant", consultant, false, 256, false)
	if network != "" {
		q.network, _ = ref(&v, "network", network, resource.Networks, region)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return q, nil
}

// group accumulates one line of a summary.
type group struct {
	figures  figures
	networks map[string]bool
}

func (g *group) add(f *figures, network string) {
	g.figures.add(f, 1)
	if g.networks == nil {
		g.networks = map[string]bool{}
	}
	g.networks[network] = true
}

// summarize computes a summary from the aggregate cells in one snapshot.
func (s *Service) summarize(ctx context.Context, q *summaryQuery) (*famiv1.SummarizeSupportEntriesResponse, error) {
	res := &famiv1.SummarizeSupportEntriesResponse{}
	err := s.store.View(ctx, q.region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		c, err := q.cellsIn(tx, s.cal.Today())
		if err != nil {
			return err
		}
		t := totals{q: q, groups: map[string]*group{}}
		if err := c.scan(q.dim(), t.add); err != nil {
			return err
		}
		res.Totals = line(&t.total)
		// The contacts named: distinct people, and how many entries name
		// theirs (the rest count operators without telling who).
		contacts := map[string]bool{}
		if err := c.scan(dimContact, func(_, contact, _ string, _ *figures) { contacts[contact] = true }); err != nil {
			return err
		}
		if err := c.scan(dimNaming, func(_, _, _ string, f *figures) { res.Totals.EntriesNamingContacts += f.entries }); err != nil {
			return err
		}
		res.Totals.DistinctContacts = int32(len(contacts))
		res.Groups, err = s.groupLines(tx, q, t.groups)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// dim is the dimension of the cells a summary's groups are read from:
// the consultants', when grouping by consultant across consultants (a
// consultant's own cells are by activity, like the region's).
func (q *summaryQuery) dim() string {
	if q.consultant == "" && q.groupBy == famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT {
		return dimConsultant
	}
	return dimActivity
}

// cells reads, in one snapshot, the aggregate cells of a summary query:
// those of its scope (one consultant's or the region's), its states and
// its range's days, of the networks asked for and seen by the caller.
type cells struct {
	tx    store.ReadTx
	q     *summaryQuery
	scope string
	// spans are the months of the range that can hold entries, split
	// once for the summary's every scan.
	spans []monthSpan
	// allowed are the networks a network member's partner is a member
	// of; nil for the other callers, who see every network.
	allowed map[string]bool
}

// cellsIn returns the cells of q in tx on the day today, refusing a
// network member a network its partner is not a member of.
func (q *summaryQuery) cellsIn(tx store.ReadTx, today string) (*cells, error) {
	c := &cells{tx: tx, q: q, scope: scopeRegion, spans: monthSpans(q.start, q.end, today)}
	if q.consultant != "" {
		c.scope = scopeConsultant + escape(q.consultant)
	}
	if q.members {
		c.allowed = registry.MemberNetworks(tx, q.partner)
		if q.network != "" && !c.allowed[q.network] {
			return nil, errs.NotNetworkMember.New("your partner is not a member of network %q", q.network)
		}
	}
	return c, nil
}

// scan calls fn with the figures, on the range's days, of each cell of dim
// in the query's scope, states and networks, month by month.
func (c *cells) scan(dim string, fn func(month, value, network string, f *figures)) error {
	for _, span := range c.spans {
		kind := kindTotal
		if !span.whole() {
			kind = kindDays
		}
		for _, state := range c.q.states {
			if err := c.scanPrefix(cellPrefix(kind, span.month, c.scope, dim, state), span, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanPrefix is scan over the cells under prefix, of one month's span.
func (c *cells) scanPrefix(prefix string, span monthSpan, fn func(month, value, network string, f *figures)) error {
	var ferr error
	c.tx.IndexScan(indexCells, prefix, func(k, v string) bool {
		rest := k[len(prefix):]
		i := strings.LastIndexByte(rest, 0)
		if i < 0 {
			ferr = errCorruptCell
			return false
		}
		value, network := rest[:i], rest[i+1:]
		if (c.q.network != "" && network != c.q.network) || (c.allowed != nil && !c.allowed[network]) {
			return true
		}
		f, err := readCell(v, span.first, span.last)
		if err != nil {
			ferr = err
			return false
		}
		if f.entries > 0 { // else no entries on the days of the range
			fn(span.month, value, network, &f)
		}
		return true
	})
	return ferr
}

// totals accumulates the cells of a summary: into the total, and into
// the group each counts in.
type totals struct {
	q      *summaryQuery
	total  group
	groups map[string]*group // by group key
}

func (t *totals) add(month, value, network string, f *figures) {
	t.total.add(f, network)
	key, ok := t.q.groupKey(month, value, network)
	if !ok {
		return
	}
	g := t.groups[key]
	if g == nil {
		g = &group{}
		t.groups[key] = g
	}
	g.add(f, network)
}

// groupLines renders the groups in the order of their keys.
func (s *Service) groupLines(tx store.ReadTx, q *summaryQuery, groups map[string]*group) ([]*famiv1.SupportSummaryGroup, error) {
	var out []*famiv1.SupportSummaryGroup
	for _, k := range slices.SortedFunc(maps.Keys(groups), q.compareKeys) {
		g := line(groups[k])
		if err := s.describe(tx, q, g, k); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// groupKey returns the group a cell of month counts in.
func (q *summaryQuery) groupKey(month, value, network string) (string, bool) {
	switch q.groupBy {
	case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY:
		return value, true
	case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK:
		return network, true
	case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT:
		if q.consultant != "" {
			return q.consultant, true
		}
		return unescape(value), true
	case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH:
		return month, true
	case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_QUARTER:
		m, _ := strconv.Atoi(month[5:7])
		return month[:4] + "-Q" + strconv.Itoa((m+2)/3), true
	}
	return "", false
}

// compareKeys orders groups: activities by number, the rest as text
// (months and quarters are then chronological).
func (q *summaryQuery) compareKeys(a, b string) int {
	if q.groupBy == famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	}
	return strings.Compare(a, b)
}

// describe sets a group's key, as the API shows it, and display name. A
// network that no longer exists has none; one that cannot be read (a
// damaged record, DATA_LOSS) fails the summary.
func (s *Service) describe(tx store.ReadTx, q *summaryQuery, g *famiv1.SupportSummaryGroup, key string) error {
	g.Key = key
	switch q.groupBy {
	case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY:
		n, _ := strconv.Atoi(key)
		g.Activity = famiv1.SupportActivity(n)
		g.Key = g.Activity.String()
	case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK:
		g.Key = aip.Name(q.region, resource.Networks, key)
		n := &famiv1.Network{}
		if _, err := store.Find(tx, g.Key, n); err != nil {
			return err
		}
		g.DisplayName = n.GetDisplayName()
	case famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT:
		g.DisplayName, _ = tx.IndexGet(indexConsultantNames, escape(key))
	}
	return nil
}

// line renders an accumulated group.
func line(g *group) *famiv1.SupportSummaryGroup {
	out := &famiv1.SupportSummaryGroup{
		TotalMinutes:     g.figures.minutes,
		Entries:          g.figures.entries,
		DistinctNetworks: int32(len(g.networks)),
		OperatorsReached: g.figures.operators(),
	}
	for i, n := range g.figures.ops {
		if n > 0 {
			out.OperatorsByRole = append(out.OperatorsByRole, &famiv1.OperatorsReached{Role: famiv1.SupportOperatorRole(i + 1), Count: int32(min(n, 1<<31-1))})
		}
	}
	return out
}

// monthSpan is the part of a month a date range covers: days first to
// last (1 to 31 when it covers the whole month).
type monthSpan struct {
	month       string
	first, last int
}

// whole reports whether the span covers its month entirely.
func (s monthSpan) whole() bool { return s.first <= 1 && s.last >= 31 }

// monthSpans splits a date range into months, leaving out the months no
// entry can be dated in: before firstDate or after today (an entry's date
// is refused outside them, as a list reads them). The national dashboard
// asks for 2000 to 2049, 600 months, where at most the 150-odd since 2014
// can hold cells, and each month is a seek per state and dimension.
func monthSpans(start, end, today string) []monthSpan {
	var out []monthSpan
	for month := max(start[:7], firstDate[:7]); month <= min(end[:7], today[:7]); month = nextMonth(month) {
		span := monthSpan{month: month, first: 1, last: 31}
		if month == start[:7] {
			span.first, _ = strconv.Atoi(start[8:10])
		}
		if month == end[:7] {
			span.last, _ = strconv.Atoi(end[8:10])
			if span.last >= daysIn(month) {
				span.last = 31
			}
		}
		out = append(out, span)
	}
	return out
}

// daysIn returns the number of days of a YYYY-MM month.
func daysIn(month string) int {
	t, _ := time.Parse("2006-01", month)
	return t.AddDate(0, 1, -1).Day()
}

// SummarizeSupportEntries implements fami.v1.SupportService.
func (s *Service) SummarizeSupportEntries(ctx context.Context, req *famiv1.SummarizeSupportEntriesRequest) (*famiv1.SummarizeSupportEntriesResponse, error) {
	if aip.IsAllRegions(req.GetParent()) {
		return s.summarizeNationally(ctx, req)
	}
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	q, err := newSummaryQuery(principal.From(ctx), region, req.GetStartDate(), req.GetEndDate(), req.GetGroupBy(), req.GetStates(), req.GetConsultant(), req.GetNetwork())
	if err != nil {
		return nil, err
	}
	return s.summarize(ctx, q)
}
