package meetings

import (
	"context"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// RecordAttendance implements fami.v1.MeetingService. The attendance it
// records replaces the meeting's whole, and is checked as an update is
// (resource.Validate): a partner's line recorded before, sent again as it
// is, is not refused for what changed since (a contact now staff of
// another partner, a rule newer than the record), which its senders could
// not fix there.
func (s *Service) RecordAttendance(ctx context.Context, req *famiv1.RecordAttendanceRequest) (*famiv1.Meeting, error) {
	who := principal.From(ctx)
	return resource.Change(ctx, s.store, resource.Meetings, req, func(tx store.WriteTx, cur *famiv1.Meeting) (*famiv1.Meeting, error) {
		now, err := s.recordable(tx, who, cur, "attendance")
		if err != nil {
			return nil, err
		}
		var recorded *famiv1.RecordAttendanceRequest // nil: none yet
		if len(cur.GetAttendance()) > 0 {
			recorded = &famiv1.RecordAttendanceRequest{Attendance: cur.GetAttendance()}
		}
		err = resource.Validate("", recorded, req, func(v *errs.Violations, r *famiv1.RecordAttendanceRequest) {
			validateAttendance(tx, v, r.GetAttendance(), tx.Region())
		})
		if err != nil {
			return nil, err
		}
		next := proto.CloneOf(cur)
		next.Attendance = nil
		for _, a := range req.GetAttendance() {
			next.Attendance = append(next.Attendance, proto.CloneOf(a))
		}
		next.AttendanceTime = timestamppb.New(now)
		next.State = famiv1.MeetingState_MEETING_STATE_HELD
		next.Sequence++
		return next, write(tx, cur, next)
	})
}

// RecordMinutes implements fami.v1.MeetingService. Its action items
// replace the meeting's, checked as RecordAttendance checks the
// attendance: an item recorded before and sent again as it is is not
// refused for what changed since (a due date the meeting's start has
// moved past).
func (s *Service) RecordMinutes(ctx context.Context, req *famiv1.RecordMinutesRequest) (*famiv1.Meeting, error) {
	who := principal.From(ctx)
	return resource.ChangeChecked(ctx, s.store, resource.Meetings, req, func(v *errs.Violations) {
		check.Text(v, "minutes", req.GetMinutes(), true, maxMinutes, true)
	}, func(tx store.WriteTx, cur *famiv1.Meeting) (*famiv1.Meeting, error) {
		now, err := s.recordable(tx, who, cur, "minutes")
		if err != nil {
			return nil, err
		}
		var recorded *famiv1.RecordMinutesRequest // nil: none yet
		if len(cur.GetActionItems()) > 0 {
			recorded = &famiv1.RecordMinutesRequest{ActionItems: cur.GetActionItems()}
		}
		day := s.cal.Day(cur.GetStartTime().AsTime())
		err = resource.Validate("", recorded, req, func(v *errs.Violations, r *famiv1.RecordMinutesRequest) {
			validateActionItems(tx, v, r.GetActionItems(), tx.Region(), day)
		})
		if err != nil {
			return nil, err
		}
		next := proto.CloneOf(cur)
		next.Minutes = req.GetMinutes()
		next.ActionItems = mergeItems(cur.GetActionItems(), req.GetActionItems(), now, who.Subject)
		next.MinutesTime = timestamppb.New(now)
		next.State = famiv1.MeetingState_MEETING_STATE_HELD
		next.Sequence++
		return next, write(tx, cur, next)
	})
}

// recordable refuses to record attendance or minutes (field) of a meeting
// that who may not write, that was cancelled or that has not started by
// now, the time it answers for the record.
func (s *Service) recordable(tx store.ReadTx, who principal.Principal, mt *famiv1.Meeting, field string) (time.Time, error) {
	if err := mayWrite(tx, who, mt, "record the "+field+" of"); err != nil {
		return time.Time{}, err
	}
	now := s.cal.Now()
	if isCancelled(mt) {
		return time.Time{}, errCancelled(mt, "recorded", field)
	}
	if start := mt.GetStartTime(); start.AsTime().After(now) {
		return time.Time{}, errs.MeetingNotStarted.With(errs.Error{
			Message: errs.Sprintf("%s starts at %s: its %s can be recorded once it has started", mt.GetName(), s.local(start), field),
			Violations: []errs.Violation{{Field: field,
				Description: errs.Sprintf("cannot be recorded before the meeting starts (%s)", s.local(start))}},
			Metadata: map[string]string{"meeting": mt.GetName(), "start_time": timeKey(start)},
		})
	}
	return now, nil
}

// mergeItems builds the action items of minutes from the request: items
// without an id get the next item-N free in the request and among the
// recorded items, so a new item never takes over a recorded one's id and
// status (minutes sent again without an earlier item-1 gave a new item
// the id item-1 and its DONE status); an item with the id of a recorded
// one keeps its status (and when and by whom it was set) unless the
// request sets another; a new item is OPEN unless the request says
// otherwise.
func mergeItems(old, in []*famiv1.ActionItem, now time.Time, by string) []*famiv1.ActionItem {
	prev := map[string]*famiv1.ActionItem{}
	used := map[string]bool{}
	for _, it := range old {
		prev[it.GetId()] = it
		used[it.GetId()] = true
	}
	for _, it := range in {
		used[it.GetId()] = true
	}
	seq := 0
	nextID := func() string {
		for {
			seq++
			id := "item-" + strconv.Itoa(seq)
			if !used[id] {
				used[id] = true
				return id
			}
		}
	}
	out := make([]*famiv1.ActionItem, 0, len(in))
	for _, src := range in {
		it := &famiv1.ActionItem{
			Id:          src.GetId(),
			Description: src.GetDescription(),
			Owner:       src.GetOwner(),
			DueDate:     src.GetDueDate(),
			Status:      src.GetStatus(),
			StatusNote:  src.GetStatusNote(),
		}
		if it.Id == "" {
			it.Id = nextID()
		}
		p := prev[it.GetId()]
		switch {
		case p != nil && (it.Status == 0 || it.Status == p.GetStatus()):
			it.Status, it.StatusTime, it.StatusBy = p.GetStatus(), p.GetStatusTime(), p.GetStatusBy()
			if it.StatusNote == "" {
				it.StatusNote = p.GetStatusNote()
			}
		default:
			if it.Status == 0 {
				it.Status = famiv1.ActionItemStatus_ACTION_ITEM_STATUS_OPEN
			}
			it.StatusTime, it.StatusBy = timestamppb.New(now), by
		}
		out = append(out, it)
	}
	return out
}

// UpdateActionItem implements fami.v1.MeetingService.
func (s *Service) UpdateActionItem(ctx context.Context, req *famiv1.UpdateActionItemRequest) (*famiv1.Meeting, error) {
	who := principal.From(ctx)
	return resource.ChangeChecked(ctx, s.store, resource.Meetings, req, func(v *errs.Violations) {
		check.Text(v, "action_item_id", req.GetActionItemId(), true, 63, false)
		check.Enum(v, "status", req.GetStatus(), true)
		check.Reason(v, "note", req.GetNote(), false)
	}, func(tx store.WriteTx, cur *famiv1.Meeting) (*famiv1.Meeting, error) {
		if err := mayWrite(tx, who, cur, "update the action items of"); err != nil {
			return nil, err
		}
		next := proto.CloneOf(cur)
		var item *famiv1.ActionItem
		for _, it := range next.GetActionItems() {
			if it.GetId() == req.GetActionItemId() {
				item = it
			}
		}
		if item == nil {
			return nil, errs.ActionItemNotFound.With(errs.Error{
				Message:    errs.Sprintf("%s has no action item %q", cur.GetName(), errs.Clip(req.GetActionItemId(), errs.MaxEcho)),
				Violations: []errs.Violation{{Field: "action_item_id", Description: "is not an action item of " + cur.GetName()}},
			})
		}
		item.Status = req.GetStatus()
		item.StatusNote = req.GetNote()
		item.StatusTime = timestamppb.New(s.cal.Now())
		item.StatusBy = who.Subject
		next.Sequence++
		return next, write(tx, cur, next)
	})
}
