package support

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// entryFilter selects entries for lists and exports.
type entryFilter struct {
	// consultant is a subject; "" means every consultant.
	consultant string
	// network is a network id; "" means every network.
	network  string
	activity string
	// states are enum numbers; empty means every state.
	states     []string
	start, end string
}

// newEntryFilter validates the filters of a list or an export and applies
// the caller's view: consultants see only their own entries; the ministry
// and network members see none (they get summaries).
func newEntryFilter(p principal.Principal, region, consultant, network string, activity famiv1.SupportActivity, states []famiv1.SupportEntryState, start, end string) (entryFilter, error) {
	switch p.Role {
	case principal.Ministry, principal.NetworkMember:
		return entryFilter{}, summariesOnly(p)
	case principal.Consultant:
		if consultant != "" && consultant != p.Subject {
			return entryFilter{}, errs.NotOwnEntry.New("consultants may only list their own support entries: leave consultant empty or set it to %q", p.Subject)
		}
		consultant = p.Subject
	}
	f := entryFilter{consultant: consultant, start: start, end: end}
	var v errs.Violations
	check.Text(&v, "consultant", consultant, false, 256, false)
	if network != "" {
		f.network, _ = ref(&v, "network", network, resource.Networks, region)
	}
	check.Enum(&v, "activity", activity, false)
	if activity != 0 {
		f.activity = strconv.Itoa(int(activity))
	}
	f.states = stateKeys(check.Enums(&v, "states", states))
	dateRange(&v, start, end, false)
	return f, v.Err()
}

// stateKeys writes states as the enum numbers that entries' index
// attributes and aggregate cells hold (attrs, cellPrefix).
func stateKeys(states []famiv1.SupportEntryState) []string {
	keys := make([]string, len(states))
	for i, st := range states {
		keys[i] = strconv.Itoa(int(st))
	}
	return keys
}

// match applies the filter to an entry's index attributes (see attrs).
func (f *entryFilter) match(a string) bool {
	parts, ok := store.SplitKey(a, 4)
	if !ok {
		return false
	}
	if len(f.states) > 0 && !slices.Contains(f.states, parts[0]) {
		return false
	}
	return (f.activity == "" || parts[1] == f.activity) &&
		(f.network == "" || parts[2] == f.network) &&
		(f.consultant == "" || unescape(parts[3]) == f.consultant)
}

// listEntries pages through the entries f selects, by date then id, for
// req (a list or an export): page is bound to req, so its token resumes
// req only (aip.Page.Resume). The list indexes are read a month at a time (a prefix per month), so a page
// token skips at most one month's keys, and only matching entries are
// decoded.
func (s *Service) listEntries(ctx context.Context, region string, f entryFilter, page *aip.Page, req aip.ListRequest) ([]*famiv1.SupportEntry, string, int64, error) {
	after, err := page.Resume(req)
	if err != nil {
		return nil, "", 0, err
	}
	if after != "" && (len(after) < 12 || after[10] != 0) {
		return nil, "", 0, aip.ErrForeignToken()
	}
	from := max(f.start, firstDate)
	if after != "" {
		from = max(from, after[:10])
	}
	to := s.cal.Today()
	if f.end != "" {
		to = min(to, f.end)
	}
	index, base := indexByDate, ""
	if f.consultant != "" {
		index, base = indexByConsultant, store.KeyPrefix(escape(f.consultant))
	}
	var (
		out []*famiv1.SupportEntry
		rev int64
	)
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		rev = tx.Revision()
		if from > to {
			return nil
		}
		for month := from[:7]; month <= to[:7]; month = nextMonth(month) {
			var ferr error
			done := false
			// The month of the position resumed after is read from it,
			// not again from its first day.
			tx.IndexScanAfter(index, base+month+"-", base+after, func(k, v string) bool {
				pos := k[len(base):]
				date := pos[:10]
				switch {
				case date > to:
					done = true
					return false
				case date < from:
					return true
				case !f.match(v):
					// Left out: read on, within the page's scan budget.
					done = !page.Skip(pos)
					return !done
				}
				e := &famiv1.SupportEntry{}
				if ferr = tx.Get(aip.Name(region, resource.SupportEntries, pos[11:]), e); ferr != nil {
					return false
				}
				if !page.Add(e, pos) {
					done = true
					return false
				}
				out = append(out, e)
				return true
			})
			if ferr != nil {
				return fmt.Errorf("support: list index points at a missing entry: %w", ferr)
			}
			if done {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", 0, err
	}
	return out, page.Next(), rev, nil
}

// nextMonth returns the month after a YYYY-MM month.
func nextMonth(m string) string {
	y, _ := strconv.Atoi(m[:4])
	mo, _ := strconv.Atoi(m[5:7])
	if mo == 12 {
		y, mo = y+1, 1
	} else {
		mo++
	}
	return fmt.Sprintf("%04d-%02d", y, mo)
}

// ListSupportEntries implements fami.v1.SupportService.
func (s *Service) ListSupportEntries(ctx context.Context, req *famiv1.ListSupportEntriesRequest) (*famiv1.ListSupportEntriesResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	f, err := newEntryFilter(principal.From(ctx), region, req.GetConsultant(), req.GetNetwork(), req.GetActivity(), req.GetStates(), req.GetStartDate(), req.GetEndDate())
	if err != nil {
		return nil, err
	}
	page, err := aip.NewPage(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	items, next, rev, err := s.listEntries(ctx, region, f, page, req)
	if err != nil {
		return nil, err
	}
	return &famiv1.ListSupportEntriesResponse{SupportEntries: items, NextPageToken: next, Revision: rev}, nil
}
