package meetings

import (
	"context"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// meetingFilter selects meetings from byStart's attributes.
type meetingFilter struct {
	// from and to bound the start time keys: from <= key < to ("" is no
	// bound).
	from, to    string
	network     string // network id
	kind, state int
	facilitator string
	// partner, when set, keeps the meetings of the networks it is a
	// member of (their ids in networks, read in the page's snapshot).
	partner  string
	networks map[string]bool
}

func (f *meetingFilter) match(a meetingAttrs) bool {
	return (f.state == 0 || a.state == f.state) &&
		(f.kind == 0 || a.kind == f.kind) &&
		(f.network == "" || slices.Contains(a.networks, f.network)) &&
		(f.facilitator == "" || a.facilitator == f.facilitator) &&
		ofMembers(f.partner, f.networks, a.networks)
}

// ofMembers reports whether a meeting or an item of networks passes a
// filter by partner, whose networks are members (every one passes when
// partner is empty).
func ofMembers(partner string, members map[string]bool, networks []string) bool {
	return partner == "" || slices.ContainsFunc(networks, func(n string) bool { return members[n] })
}

// timeBound turns an optional timestamp filter into a key bound; ok is
// false (with a violation) when it is not a valid timestamp.
func timeBound(v *errs.Violations, field string, ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	if ts.CheckValid() != nil {
		v.Add(field, "is not a valid timestamp")
		return ""
	}
	t := ts.AsTime().UTC()
	switch {
	case t.Year() < 2000:
		return "2000"
	case t.Year() > 9999:
		return "9999"
	}
	return timeKey(ts)
}

// ListMeetings implements fami.v1.MeetingService.
func (s *Service) ListMeetings(ctx context.Context, req *famiv1.ListMeetingsRequest) (*famiv1.ListMeetingsResponse, error) {
	var v errs.Violations
	// The default order is start_time's too, oldest first. Across regions
	// the pages merge the regions' meetings into that one order: the
	// ministry's latest meetings are Italy's, not Abruzzo's first.
	req, _, newestFirst := aip.OrderByTime(&v, req, aip.TimeOrder{Field: "start_time", Default: true})
	byTime := aip.Merge{Position: func(m proto.Message) string { return startKey(m.(*famiv1.Meeting)) }, Desc: newestFirst}
	region, res, done, err := aip.OpenMergedList(ctx, req, s.ListMeetings, byTime, aip.Narrow{Field: "network", Name: req.GetNetwork(), Collection: resource.Networks},
		aip.Narrow{Field: "partner", Name: req.GetPartner(), Collection: resource.Partners})
	if done {
		return res, err
	}
	f := meetingFilter{
		network:     resource.RefID(&v, "network", req.GetNetwork(), region, resource.Networks),
		kind:        int(req.GetKind()),
		state:       int(req.GetState()),
		facilitator: req.GetFacilitator(),
		partner:     req.GetPartner(),
		from:        timeBound(&v, "start_from", req.GetStartFrom()),
		to:          timeBound(&v, "start_before", req.GetStartBefore()),
	}
	check.Enum(&v, "kind", req.GetKind(), false)
	check.Enum(&v, "state", req.GetState(), false)
	check.Text(&v, "facilitator", req.GetFacilitator(), false, maxSubject, false)
	resource.RefID(&v, "partner", req.GetPartner(), region, resource.Partners)
	if err := v.Err(); err != nil {
		return nil, err
	}
	page, after, err := aip.StartPage(ctx, req)
	if err != nil {
		return nil, err
	}
	res = &famiv1.ListMeetingsResponse{}
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		f.networks = registry.MemberNetworks(tx, f.partner)
		var ferr error
		scan := byStart.scan
		if newestFirst {
			scan = byStart.scanDesc
		}
		scan(tx, f.from, f.to, after, func(k, val string) bool {
			if !f.match(decodeMeetingAttrs(val)) {
				return page.Skip(k)
			}
			mt := &famiv1.Meeting{}
			if ferr = tx.Get(aip.Name(region, resource.Meetings, keyID(k)), mt); ferr != nil {
				return false
			}
			if !page.Add(mt, k) {
				return false
			}
			res.Meetings = append(res.Meetings, mt)
			return true
		})
		res.NextPageToken = page.Next()
		return ferr
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// keyID is the meeting id in a byStart key.
func keyID(k string) string {
	parts, _ := store.SplitKey(k, 2)
	return parts[1]
}

// itemFilter selects action items from allItems' attributes.
type itemFilter struct {
	status         int    // 0 is any
	owner, network string // partner and network ids
	// partner and networks filter as meetingFilter's do.
	partner  string
	networks map[string]bool
}

func (f *itemFilter) match(a itemAttrs) bool {
	return (f.status == 0 || a.status == f.status) &&
		(f.owner == "" || a.owner == f.owner) &&
		(f.network == "" || slices.Contains(a.networks, f.network)) &&
		ofMembers(f.partner, f.networks, a.networks)
}

// ListActionItems implements fami.v1.MeetingService.
func (s *Service) ListActionItems(ctx context.Context, req *famiv1.ListActionItemsRequest) (*famiv1.ListActionItemsResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	f := itemFilter{
		owner:   resource.RefID(&v, "owner", req.GetOwner(), region, resource.Partners),
		network: resource.RefID(&v, "network", req.GetNetwork(), region, resource.Networks),
		status:  int(req.GetStatus()),
		partner: req.GetPartner(),
	}
	resource.RefID(&v, "partner", req.GetPartner(), region, resource.Partners)
	check.Enum(&v, "status", req.GetStatus(), false)
	if req.GetOverdueOnly() && req.GetStatus() != 0 && req.GetStatus() != famiv1.ActionItemStatus_ACTION_ITEM_STATUS_OPEN {
		v.Add("status", "%s contradicts overdue_only: overdue items are OPEN", req.GetStatus())
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	page, after, err := aip.StartPage(ctx, req)
	if err != nil {
		return nil, err
	}
	today := s.cal.Today()
	ix, to := allItems, ""
	if req.GetOverdueOnly() {
		ix, to = openItems, today
	}
	res := &famiv1.ListActionItemsResponse{}
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		f.networks = registry.MemberNetworks(tx, f.partner)
		p := itemPage{tx: tx, region: region, today: today, page: page, res: res, meetings: map[string]*famiv1.Meeting{}}
		ix.scan(tx, "", to, after, func(k, val string) bool {
			due, meetingID, itemID, ok := splitItemKey(k)
			if !ok {
				return page.Skip(k)
			}
			if ix == openItems {
				// The open index has no attributes: read them from the
				// full one.
				val, _ = tx.IndexGet(allItems.keys, k)
			}
			if !f.match(decodeItemAttrs(val)) {
				return page.Skip(k)
			}
			return p.add(k, due, meetingID, itemID)
		})
		res.NextPageToken = page.Next()
		return p.err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// itemPage fills a page of ListActionItems from the keys of an item index,
// reading each meeting once.
type itemPage struct {
	tx       store.ReadTx
	region   string
	today    string
	page     *aip.Page
	res      *famiv1.ListActionItemsResponse
	meetings map[string]*famiv1.Meeting // by id
	err      error
}

// add adds the item itemID of meeting meetingID, due on due, at key k of
// the index. It reports whether the page reads on (false on an error, kept
// in err): an entry naming no item of its meeting is passed over against
// the page's scan budget (aip.Page.Skip), as a filtered one is.
func (p *itemPage) add(k, due, meetingID, itemID string) bool {
	mt, ok := p.meetings[meetingID]
	if !ok {
		mt = &famiv1.Meeting{}
		if p.err = p.tx.Get(aip.Name(p.region, resource.Meetings, meetingID), mt); p.err != nil {
			return false
		}
		p.meetings[meetingID] = mt
	}
	for _, it := range mt.GetActionItems() {
		if it.GetId() != itemID {
			continue
		}
		item := &famiv1.MeetingActionItem{
			Meeting:          mt.GetName(),
			MeetingTitle:     mt.GetTitle(),
			MeetingStartTime: mt.GetStartTime(),
			Networks:         mt.GetNetworks(),
			ActionItem:       it,
			Overdue:          it.GetStatus() == famiv1.ActionItemStatus_ACTION_ITEM_STATUS_OPEN && due < p.today,
		}
		if !p.page.Add(item, k) {
			return false
		}
		p.res.ActionItems = append(p.res.ActionItems, item)
		return true
	}
	return p.page.Skip(k)
}

// splitItemKey splits "{due}\x00{meeting id}\x00{item id}".
func splitItemKey(k string) (due, meetingID, itemID string, ok bool) {
	parts, ok := store.SplitKey(k, 3)
	return parts[0], parts[1], parts[2], ok
}

// CountMeetings counts the meetings of region (an id) in state, any state
// when unspecified, from the meetings' index, which every write keeps in
// step with them: it decodes no meeting, where counting through
// ListMeetings read every one of them (the dashboard's meetings held, all
// the past ones). It is no RPC: its callers must hold the rights of a
// ListMeetings of region (the dashboard's readers do).
//
// Errors: as store.Store's View (errs.NotFound for an unknown region).
func (s *Service) CountMeetings(ctx context.Context, region string, state famiv1.MeetingState) (int32, error) {
	f := meetingFilter{state: int(state)}
	var n int32
	err := s.store.View(ctx, region, func(tx store.ReadTx) error {
		byStart.scan(tx, "", "", "", func(_, v string) bool {
			if f.match(decodeMeetingAttrs(v)) {
				n++
			}
			return true
		})
		return nil
	})
	return n, err
}
