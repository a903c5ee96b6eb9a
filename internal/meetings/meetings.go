// Package meetings implements fami.v1.MeetingService: the coordination
// meetings of the networks (agenda, invited partners, attendance counted by
// partner and role, minutes, action items), their iCalendar feeds and the
// revocable feed tokens calendar clients read them with.
//
// The rules live here, below every transport. The policy table
// (internal/auth) admits callers by role and region; this package checks
// what depends on the data: a network member writes only the meetings whose
// every network has its partner as a member, and sees attendance summaries
// of those networks only.
//
// Lists never sort in memory: every write keeps, in the same transaction,
// an index of the meetings by start time and of the action items by due
// date (index.go), partitioned by month so that a page resumes within one
// month's keys.
package meetings

import (
	"context"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
)

// mutable lists the fields UpdateMeeting may change. Attendance, minutes,
// action items and the state change only through their own methods.
var mutable = []string{
	"networks", "protocol", "kind", "title", "description", "start_time", "end_time", "mode",
	"place", "link", "agenda", "invited_partners", "facilitator", "facilitator_display_name",
}

// outputOnly are the fields of a Meeting the server owns besides the
// standard ones (name, etag, times). aip.ApplyMask ignores them in an
// update mask, as grpc-gateway derives it from a PATCH body copied from a
// GET (AIP-203); a mask naming only them changes nothing and writes nothing.
var outputOnly = []string{"attendance", "minutes", "action_items", "state", "cancellation", "sequence", "attendance_time", "minutes_time"}

// Options configure the service.
type Options struct {
	// Now is the clock: whether a meeting has started, "today" for overdue
	// action items, the time of cancellations and status changes, the
	// expiry of feed tokens. Defaults to time.Now.
	Now func() time.Time
	// Location is where dates (due dates, "today", summary periods) are
	// calendar days. Defaults to Europe/Rome. Feeds always write local
	// times in Europe/Rome, the zone their VTIMEZONE describes.
	Location *time.Location
	// Revocations tells whether an owner's credentials were revoked (an
	// account deleted, a password replaced) since a feed token was issued;
	// nil checks nothing.
	Revocations Revocations
}

// Revocations is what the service needs of the platform's credentials:
// whether a token or credential was revoked, and whether a subject is an
// account of a region (read from the store, with the store's error when
// it cannot be).
type Revocations interface {
	Revoked(jti, subject, region string, generation int64) bool
	IsAccount(ctx context.Context, subject, region string) (bool, error)
}

// Service implements fami.v1.MeetingService.
type Service struct {
	famiv1.UnimplementedMeetingServiceServer
	store   store.Store
	cal     territory.Calendar
	revoked Revocations
}

// New returns the service over a region store.
func New(s store.Store, opts Options) *Service {
	return &Service{store: s, cal: territory.NewCalendar(opts.Now, opts.Location), revoked: opts.Revocations}
}

// CreateMeeting implements fami.v1.MeetingService.
func (s *Service) CreateMeeting(ctx context.Context, req *famiv1.CreateMeetingRequest) (*famiv1.Meeting, error) {
	who := principal.From(ctx)
	return resource.Create(ctx, s.store, req, "meeting", req.GetMeeting(), req.GetMeetingId(), func(tx store.WriteTx, id string) (*famiv1.Meeting, error) {
		region := tx.Region()
		mt := &famiv1.Meeting{}
		if err := aip.ApplyMask(mt, req.GetMeeting(), nil, mutable); err != nil {
			return nil, err
		}
		mt.Name = aip.Name(region, resource.Meetings, id)
		mt.State = famiv1.MeetingState_MEETING_STATE_SCHEDULED
		if mt.GetFacilitator() == "" {
			mt.Facilitator = who.Subject
		}
		nameFacilitator(mt, who)
		err := resource.Validate("meeting", nil, mt, func(v *errs.Violations, mt *famiv1.Meeting) { validate(tx, v, s.cal, mt, region) })
		if err != nil {
			return nil, err
		}
		if err := mayWrite(tx, who, mt, "schedule"); err != nil {
			return nil, err
		}
		if err := resource.Absent(tx, mt, "meeting_id"); err != nil {
			return nil, err
		}
		return mt, write(tx, nil, mt)
	})
}

// GetMeeting implements fami.v1.MeetingService.
func (s *Service) GetMeeting(ctx context.Context, req *famiv1.GetMeetingRequest) (*famiv1.Meeting, error) {
	return resource.Get[*famiv1.Meeting](ctx, s.store, resource.Meetings, req.GetName())
}

// UpdateMeeting implements fami.v1.MeetingService.
func (s *Service) UpdateMeeting(ctx context.Context, req *famiv1.UpdateMeetingRequest) (*famiv1.Meeting, error) {
	in := req.GetMeeting()
	who := principal.From(ctx)
	return resource.Update(ctx, s.store, req, "meeting", in, resource.Meetings, func(tx store.WriteTx, cur *famiv1.Meeting) (*famiv1.Meeting, error) {
		if err := mayWrite(tx, who, cur, "edit"); err != nil {
			return nil, err
		}
		if isCancelled(cur) {
			return nil, errCancelled(cur, "edited")
		}
		next := proto.CloneOf(cur)
		if _, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), mutable, outputOnly...); err != nil {
			return nil, err
		}
		// The name follows the facilitator: a new facilitator sent without
		// a new name (a mask of "facilitator" only, or a PATCH body copied
		// from a GET) kept the former facilitator's name, shown in the feeds.
		if next.GetFacilitator() != cur.GetFacilitator() && next.GetFacilitatorDisplayName() == cur.GetFacilitatorDisplayName() {
			next.FacilitatorDisplayName = ""
			nameFacilitator(next, who)
		}
		err := resource.Validate("meeting", cur, next, func(v *errs.Violations, mt *famiv1.Meeting) { validate(tx, v, s.cal, mt, tx.Region()) })
		if err != nil {
			return nil, err
		}
		if err := mayWrite(tx, who, next, "edit"); err != nil {
			return nil, err
		}
		if next.GetState() == famiv1.MeetingState_MEETING_STATE_HELD && next.GetStartTime().AsTime().After(s.cal.Now()) {
			return nil, errs.MeetingHeld.With(errs.Error{
				Message: errs.Sprintf("%s was held (attendance or minutes are recorded): its start_time cannot move into the future", cur.GetName()),
				Violations: []errs.Violation{{Field: "meeting.start_time",
					Description: errs.Sprintf("%s is in the future, but the meeting already took place", s.local(next.GetStartTime()))}},
			})
		}
		next.Sequence++
		return next, write(tx, cur, next)
	})
}

// DeleteMeeting implements fami.v1.MeetingService.
func (s *Service) DeleteMeeting(ctx context.Context, req *famiv1.DeleteMeetingRequest) (*emptypb.Empty, error) {
	who := principal.From(ctx)
	return resource.Change(ctx, s.store, resource.Meetings, req, func(tx store.WriteTx, cur *famiv1.Meeting) (*emptypb.Empty, error) {
		if err := mayWrite(tx, who, cur, "delete"); err != nil {
			return nil, err
		}
		if cur.GetState() != famiv1.MeetingState_MEETING_STATE_SCHEDULED {
			return nil, errs.MeetingNotScheduled.New(
				"%s is %s: only a SCHEDULED meeting can be deleted; held and cancelled meetings stay on record", cur.GetName(), aip.EnumName(cur.GetState()))
		}
		if err := registry.InUse(tx, cur.GetName(), errs.MeetingInUse); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, write(tx, cur, nil)
	})
}

// CancelMeeting implements fami.v1.MeetingService.
func (s *Service) CancelMeeting(ctx context.Context, req *famiv1.CancelMeetingRequest) (*famiv1.Meeting, error) {
	who := principal.From(ctx)
	return resource.ChangeChecked(ctx, s.store, resource.Meetings, req, func(v *errs.Violations) {
		check.Reason(v, "reason", req.GetReason(), true)
	}, func(tx store.WriteTx, cur *famiv1.Meeting) (*famiv1.Meeting, error) {
		if err := mayWrite(tx, who, cur, "cancel"); err != nil {
			return nil, err
		}
		switch cur.GetState() {
		case famiv1.MeetingState_MEETING_STATE_CANCELLED:
			return nil, errCancelled(cur, "cancelled again")
		case famiv1.MeetingState_MEETING_STATE_HELD:
			return nil, errs.MeetingHeld.New(
				"%s was held (attendance or minutes are recorded): it can no longer be cancelled", cur.GetName())
		}
		next := proto.CloneOf(cur)
		next.State = famiv1.MeetingState_MEETING_STATE_CANCELLED
		next.Cancellation = &famiv1.Cancellation{Reason: req.GetReason(), Time: timestamppb.New(s.cal.Now()), By: who.Subject}
		next.Sequence++
		return next, write(tx, cur, next)
	})
}

// write stores next (nil: deletes old) and keeps the indexes and the
// registry references in step, in the caller's transaction.
func write(tx store.WriteTx, old, next *famiv1.Meeting) error {
	if err := unindex(tx, old); err != nil {
		return err
	}
	name := old.GetName()
	if next != nil {
		name = next.GetName()
	}
	if err := registry.SetRefs(tx, name, refs(old), refs(next)); err != nil {
		return err
	}
	if next == nil {
		return tx.Delete(name)
	}
	if err := index(tx, next); err != nil {
		return err
	}
	return tx.Put(next)
}

// refs lists the registry resources a meeting references: its networks,
// its invited partners, the partners of its attendance and the owners of
// its action items (so none of them can be deleted while it does). The
// protocol is not a registry resource: a DRAFT protocol it names can still
// be deleted.
func refs(mt *famiv1.Meeting) []string {
	if mt == nil {
		return nil
	}
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, n := range mt.GetNetworks() {
		add(n)
	}
	for _, p := range mt.GetInvitedPartners() {
		add(p)
	}
	for _, a := range mt.GetAttendance() {
		add(a.GetPartner())
	}
	for _, it := range mt.GetActionItems() {
		add(it.GetOwner())
	}
	add(mt.GetProtocol())
	return out
}

// nameFacilitator gives mt's facilitator the caller's display name when
// the caller is the facilitator and no name was sent. Any other
// facilitator's name is not the caller's to know: it stays as sent, or
// empty, and the calendar then leaves it out.
func nameFacilitator(mt *famiv1.Meeting, who principal.Principal) {
	if mt.GetFacilitatorDisplayName() == "" && mt.GetFacilitator() == who.Subject {
		mt.FacilitatorDisplayName = who.Name()
	}
}

func isCancelled(mt *famiv1.Meeting) bool {
	return mt.GetState() == famiv1.MeetingState_MEETING_STATE_CANCELLED
}

// errCancelled is the refusal of a change to a cancelled meeting; fields,
// when given, are the request fields that cannot be recorded.
func errCancelled(mt *famiv1.Meeting, verb string, fields ...string) error {
	e := errs.MeetingCancelled.With(errs.Error{
		Message:  errs.Sprintf("%s was cancelled (%q): it can no longer be %s", mt.GetName(), errs.Clip(mt.GetCancellation().GetReason(), errs.MaxEcho), verb),
		Metadata: map[string]string{"meeting": mt.GetName()},
	})
	for _, f := range fields {
		e.Violations = append(e.Violations, errs.Violation{Field: f, Description: "cannot be recorded for a cancelled meeting"})
	}
	return e
}

// local formats a time where the service reads dates, for messages.
func (s *Service) local(ts *timestamppb.Timestamp) string {
	return ts.AsTime().In(s.cal.Location()).Format("2006-01-02 15:04 MST")
}
