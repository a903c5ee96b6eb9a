package support

import (
	"context"
	"slices"
	"strconv"
	"strings"

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
)

// entryMutable lists the fields a consultant sets and may update; the rest
// (entryOutputOnly) are the server's.
var entryMutable = []string{"network", "activity", "date", "duration_minutes", "mode", "topics", "operators_reached", "meeting", "notes", "contacts"}

// entryOutputOnly are the fields of a SupportEntry the server owns besides
// the standard ones: aip.ApplyMask ignores them in an update mask, as in a
// PATCH body copied from a GET (AIP-203).
var entryOutputOnly = []string{"consultant", "consultant_display_name", "state", "review"}

const (
	stateSubmitted = famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED
	stateApproved  = famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED
	stateRejected  = famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED
)

// validate checks an entry's own fields and that its network exists in
// its region, one rule per field in the order of the fields. today bounds
// the date.
func (s *Service) validate(tx store.ReadTx, v *errs.Violations, e *famiv1.SupportEntry, region, today string) {
	entryNetwork(tx, v, e.GetNetwork(), region)
	check.Enum(v, "support_entry.activity", e.GetActivity(), true)
	entryDate(v, e.GetDate(), today)
	duration(v, e.GetDurationMinutes())
	check.Enum(v, "support_entry.mode", e.GetMode(), true)
	topics(v, e.GetTopics())
	operatorsReached(v, e.GetOperatorsReached())
	linkedMeeting(tx, v, e.GetMeeting(), e.GetNetwork(), region)
	check.Text(v, "support_entry.notes", e.GetNotes(), false, 4000, true)
}

// entryNetwork checks the network supported: required, an existing
// network of region.
func entryNetwork(tx store.ReadTx, v *errs.Violations, network, region string) {
	if network == "" {
		v.Add("support_entry.network", "is required")
	} else if _, ok := ref(v, "support_entry.network", network, resource.Networks, region); ok {
		resource.RefRead(tx, v, "support_entry.network", network, resource.Networks, &famiv1.Network{})
	}
}

// entryDate checks the day the support took place: required, within
// FAMI's span and not after today.
func entryDate(v *errs.Violations, date, today string) {
	if _, ok := check.Date(v, "support_entry.date", date, true); ok {
		switch {
		case date > today:
			v.Add("support_entry.date", "%s is in the future (today is %s)", date, today)
		case date < firstDate:
			v.Add("support_entry.date", "%s is before %s, the start of FAMI 2014-2020", date, firstDate)
		}
	}
}

// duration checks the minutes of support: positive, in steps of
// minuteStep, at most a working day.
func duration(v *errs.Violations, d int32) {
	switch {
	case d <= 0:
		v.Add("support_entry.duration_minutes", "must be positive, got %d", d)
	case d%minuteStep != 0:
		v.Add("support_entry.duration_minutes", "%d is not a multiple of %d minutes", d, minuteStep)
	case d > maxDayMinutes:
		v.AddReason("support_entry.duration_minutes", errs.DayLimit, "%d minutes is more than %d (12 hours), the most for one day", d, maxDayMinutes)
	}
}

// topics checks the topics of the support: each a topic, once.
func topics(v *errs.Violations, list []famiv1.SupportTopic) {
	seen := check.Set[famiv1.SupportTopic]{}
	for i, t := range list {
		f := errs.Indexed("support_entry.topics", i)
		check.Enum(v, f, t, true)
		if seen.Again(t) {
			v.Add(f, "%s is listed twice", t)
		}
	}
}

// operatorsReached checks the operators reached by role: each role once,
// each count in range.
func operatorsReached(v *errs.Violations, list []*famiv1.OperatorsReached) {
	roles := check.Set[famiv1.SupportOperatorRole]{}
	for i, o := range list {
		f := errs.Indexed("support_entry.operators_reached", i)
		check.Enum(v, f+".role", o.GetRole(), true)
		if roles.Again(o.GetRole()) && o.GetRole() != 0 {
			v.Add(f+".role", "%s is listed twice", o.GetRole())
		}
		if c := o.GetCount(); c < 1 || c > maxOperators {
			v.Add(f+".count", "must be between 1 and %d, got %d", maxOperators, c)
		}
	}
}

// linkedMeeting checks the meeting an entry links to (optional): an
// existing meeting of region, one of the entry's network.
func linkedMeeting(tx store.ReadTx, v *errs.Violations, meeting, network, region string) {
	if meeting == "" {
		return
	}
	if _, ok := ref(v, "support_entry.meeting", meeting, resource.Meetings, region); ok {
		mt := &famiv1.Meeting{}
		if resource.RefRead(tx, v, "support_entry.meeting", meeting, resource.Meetings, mt) && !slices.Contains(mt.GetNetworks(), network) {
			v.Add("support_entry.meeting", "meeting %q is not a meeting of network %q", meeting, network)
		}
	}
}

// checkContacts checks the contacts an entry names: contacts of its region,
// each once, that exist, or that the stored entry prev (nil for a new
// entry) already named: a contact deleted on request stays counted.
func checkContacts(tx store.ReadTx, v *errs.Violations, e, prev *famiv1.SupportEntry, region string) {
	if n := len(e.GetContacts()); n > maxContacts {
		v.Add("support_entry.contacts", "names %d contacts; at most %d are allowed", n, maxContacts)
		return
	}
	seen := map[string]bool{}
	for i, c := range e.GetContacts() {
		f := errs.Indexed("support_entry.contacts", i)
		if _, ok := ref(v, f, c, resource.Contacts, region); !ok {
			continue
		}
		switch {
		case seen[c]:
			v.Add(f, "%q is named twice", c)
		case slices.Contains(prev.GetContacts(), c):
		default:
			resource.RefRead(tx, v, f, c, resource.Contacts, &famiv1.Contact{})
		}
		seen[c] = true
	}
}

// entryRefs are the resources an entry references: its network and, when
// set, its meeting.
func entryRefs(e *famiv1.SupportEntry) []string {
	refs := []string{e.GetNetwork()}
	if m := e.GetMeeting(); m != "" {
		refs = append(refs, m)
	}
	return refs
}

// counts reports whether an entry's minutes count towards its consultant's
// 12 hours a day: rejected ones do not.
func counts(e *famiv1.SupportEntry) bool { return e.GetState() != stateRejected }

func dayKey(e *famiv1.SupportEntry) string {
	return store.Key(escape(e.GetConsultant()), e.GetDate())
}

// dayMinutes returns the minutes the consultant of e has logged on e's day.
func dayMinutes(tx store.ReadTx, e *famiv1.SupportEntry) int64 {
	v, _ := tx.IndexGet(indexDayMinutes, dayKey(e))
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

// checkDay records a violation when e would take its consultant's day
// over 12 hours. e's own minutes must not be accounted yet.
func checkDay(tx store.ReadTx, v *errs.Violations, e *famiv1.SupportEntry) {
	if !counts(e) || e.GetDurationMinutes() <= 0 {
		return
	}
	if got := dayMinutes(tx, e); got+int64(e.GetDurationMinutes()) > maxDayMinutes {
		v.AddReason("support_entry.duration_minutes", errs.DayLimit, "%d more minutes would bring %s's support on %s to %d minutes; at most %d (12 hours) a day are allowed, all entries together",
			e.GetDurationMinutes(), e.GetConsultant(), e.GetDate(), got+int64(e.GetDurationMinutes()), maxDayMinutes)
	}
}

// attrs is the value of an entry's list index keys: what list filters
// need, so they skip entries without decoding them.
func attrs(e *famiv1.SupportEntry) string {
	return store.Key(strconv.Itoa(int(e.GetState())), strconv.Itoa(int(e.GetActivity())), resource.ID(e.GetNetwork()), escape(e.GetConsultant()))
}

// account adds (sign 1) or removes (sign -1) what an entry contributes
// besides the resource itself: aggregate cells, its consultant's day
// minutes and the list indexes.
func (s *Service) account(tx store.WriteTx, e *famiv1.SupportEntry, sign int64) error {
	if !s.noAggregates {
		if err := applyCells(tx, contributionOf(e), sign); err != nil {
			return err
		}
	}
	if counts(e) {
		n := dayMinutes(tx, e) + sign*int64(e.GetDurationMinutes())
		var err error
		if n == 0 {
			err = tx.IndexDelete(indexDayMinutes, dayKey(e))
		} else {
			err = tx.IndexPut(indexDayMinutes, dayKey(e), strconv.FormatInt(n, 10))
		}
		if err != nil {
			return err
		}
	}
	pos := store.Key(e.GetDate(), resource.ID(e.GetName()))
	byConsultant := store.Key(escape(e.GetConsultant()), pos)
	if sign < 0 {
		if err := tx.IndexDelete(indexByDate, pos); err != nil {
			return err
		}
		return tx.IndexDelete(indexByConsultant, byConsultant)
	}
	a := attrs(e)
	if err := tx.IndexPut(indexByDate, pos, a); err != nil {
		return err
	}
	return tx.IndexPut(indexByConsultant, byConsultant, a)
}

// insert writes a new, validated entry with everything it contributes.
func (s *Service) insert(tx store.WriteTx, e *famiv1.SupportEntry) error {
	if err := s.account(tx, e, 1); err != nil {
		return err
	}
	if err := registry.SetRefs(tx, e.GetName(), nil, entryRefs(e)); err != nil {
		return err
	}
	if n := e.GetConsultantDisplayName(); n != "" {
		key := escape(e.GetConsultant())
		if cur, _ := tx.IndexGet(indexConsultantNames, key); cur != n {
			if err := tx.IndexPut(indexConsultantNames, key, n); err != nil {
				return err
			}
		}
	}
	return tx.Put(e)
}

// checkEntry checks a new entry e, or e replacing the stored prev (which
// keeps what prev had, resource.Validate): its fields, its contacts and,
// when those are sound, its consultant's day. e's own minutes must not be
// accounted yet.
func (s *Service) checkEntry(tx store.ReadTx, e, prev *famiv1.SupportEntry, region, today string) error {
	return resource.Validate("support_entry", prev, e, func(v *errs.Violations, e *famiv1.SupportEntry) {
		s.validate(tx, v, e, region, today)
		checkContacts(tx, v, e, prev, region)
		if v.Len() == 0 {
			checkDay(tx, v, e)
		}
	})
}

// CreateSupportEntry implements fami.v1.SupportService.
func (s *Service) CreateSupportEntry(ctx context.Context, req *famiv1.CreateSupportEntryRequest) (*famiv1.SupportEntry, error) {
	p := principal.From(ctx)
	today := s.cal.Today()
	return resource.Create(ctx, s.store, req, "support_entry", req.GetSupportEntry(), req.GetSupportEntryId(), func(tx store.WriteTx, id string) (*famiv1.SupportEntry, error) {
		region := tx.Region()
		e := &famiv1.SupportEntry{}
		if err := aip.ApplyMask(e, req.GetSupportEntry(), nil, entryMutable); err != nil {
			return nil, err
		}
		e.Name = aip.Name(region, resource.SupportEntries, id)
		e.Consultant = p.Subject
		e.ConsultantDisplayName = p.Name()
		e.State = stateSubmitted
		if err := s.checkEntry(tx, e, nil, region, today); err != nil {
			return nil, err
		}
		if err := closedOn(tx, e.GetDate(), "support_entry.date"); err != nil {
			return nil, err
		}
		if err := resource.AbsentFor(tx, e, "support_entry_id", func(stored *famiv1.SupportEntry) error { return readable(p, stored) }); err != nil {
			return nil, err
		}
		return e, s.insert(tx, e)
	})
}

// GetSupportEntry implements fami.v1.SupportService.
func (s *Service) GetSupportEntry(ctx context.Context, req *famiv1.GetSupportEntryRequest) (*famiv1.SupportEntry, error) {
	p := principal.From(ctx)
	e, err := resource.Get[*famiv1.SupportEntry](ctx, s.store, resource.SupportEntries, req.GetName())
	if err != nil {
		return nil, ownOrMissing(p, req.GetName(), err)
	}
	if err := readable(p, e); err != nil {
		return nil, err
	}
	return e, nil
}

// readable refuses p an entry it may not read: a consultant reads only
// their own.
func readable(p principal.Principal, e *famiv1.SupportEntry) error {
	if p.Role == principal.Consultant && e.GetConsultant() != p.Subject {
		return notOwn(e.GetName())
	}
	return nil
}

// editable checks that the caller may change or delete cur: its own
// consultant, the version read, still SUBMITTED, outside closed periods.
func editable(tx store.ReadTx, p principal.Principal, cur *famiv1.SupportEntry, etag string) error {
	if cur.GetConsultant() != p.Subject {
		return notOwn(cur.GetName())
	}
	if err := store.CheckEtag(cur, etag); err != nil {
		return err
	}
	if cur.GetState() != stateSubmitted {
		return notSubmitted(cur, "")
	}
	return closedOn(tx, cur.GetDate(), "")
}

// notSubmitted refuses a change of e, which is no longer SUBMITTED; a
// non-empty field names the request field that named e.
func notSubmitted(e *famiv1.SupportEntry, field string) error {
	state := strings.TrimPrefix(e.GetState().String(), "SUPPORT_ENTRY_STATE_")
	err := errs.EntryNotSubmitted.With(errs.Error{
		Message:  e.GetName() + " is " + state + ": only SUBMITTED entries can be changed, deleted or reviewed",
		Metadata: map[string]string{"resource": e.GetName(), "state": state},
	})
	return err.Naming(field)
}

// UpdateSupportEntry implements fami.v1.SupportService.
func (s *Service) UpdateSupportEntry(ctx context.Context, req *famiv1.UpdateSupportEntryRequest) (*famiv1.SupportEntry, error) {
	in := req.GetSupportEntry()
	if in == nil {
		return nil, errs.InvalidField("support_entry", "is required")
	}
	today := s.cal.Today()
	return changeOwn(ctx, s, req, "support_entry.name", in.GetName(), in.GetEtag(), func(tx store.WriteTx, cur *famiv1.SupportEntry) (*famiv1.SupportEntry, error) {
		region := tx.Region()
		next := proto.CloneOf(cur)
		if _, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), entryMutable, entryOutputOnly...); err != nil {
			return nil, err
		}
		// The old figures leave first, so the day's cap counts the new
		// duration instead of the old one. Nothing is kept if a check
		// below fails.
		if err := s.account(tx, cur, -1); err != nil {
			return nil, err
		}
		if err := s.checkEntry(tx, next, cur, region, today); err != nil {
			return nil, err
		}
		if next.GetDate() != cur.GetDate() {
			if err := closedOn(tx, next.GetDate(), "support_entry.date"); err != nil {
				return nil, err
			}
		}
		if err := s.account(tx, next, 1); err != nil {
			return nil, err
		}
		if !slices.Equal(entryRefs(cur), entryRefs(next)) {
			if err := registry.SetRefs(tx, next.GetName(), entryRefs(cur), entryRefs(next)); err != nil {
				return nil, err
			}
		}
		return next, tx.Put(next)
	})
}

// DeleteSupportEntry implements fami.v1.SupportService.
func (s *Service) DeleteSupportEntry(ctx context.Context, req *famiv1.DeleteSupportEntryRequest) (*emptypb.Empty, error) {
	return changeOwn(ctx, s, req, "name", req.GetName(), req.GetEtag(), func(tx store.WriteTx, cur *famiv1.SupportEntry) (*emptypb.Empty, error) {
		if err := s.account(tx, cur, -1); err != nil {
			return nil, err
		}
		if err := registry.SetRefs(tx, cur.GetName(), entryRefs(cur), nil); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, tx.Delete(cur.GetName())
	})
}

// changeOwn opens a change of one of the caller's own entries, the one
// name (the request field field) names: fn runs in one mutation on the
// entry once editable has accepted it (the caller's, etag, SUBMITTED,
// outside closed periods, checked in that order).
func changeOwn[R proto.Message](ctx context.Context, s *Service, req resource.Request, field, name, etag string, fn func(tx store.WriteTx, cur *famiv1.SupportEntry) (R, error)) (R, error) {
	var zero R
	region, err := aip.RegionOfName(field, name, resource.SupportEntries)
	if err != nil {
		return zero, err
	}
	p := principal.From(ctx)
	return resource.Mutate(ctx, s.store, region, req, func(tx store.WriteTx) (R, error) {
		cur := &famiv1.SupportEntry{}
		if err := tx.Get(name, cur); err != nil {
			return zero, ownOrMissing(p, name, err)
		}
		if err := editable(tx, p, cur, etag); err != nil {
			return zero, err
		}
		return fn(tx, cur)
	})
}

// review moves a SUBMITTED entry to state, outside closed periods. A
// refusal names field, the request field that named the entry, when it is
// not empty.
func (s *Service) review(tx store.WriteTx, p principal.Principal, cur *famiv1.SupportEntry, state famiv1.SupportEntryState, reason, field string) (*famiv1.SupportEntry, error) {
	if cur.GetState() != stateSubmitted {
		return nil, notSubmitted(cur, field)
	}
	if err := closedOn(tx, cur.GetDate(), field); err != nil {
		return nil, err
	}
	if err := s.account(tx, cur, -1); err != nil {
		return nil, err
	}
	next := proto.CloneOf(cur)
	next.State = state
	next.Review = &famiv1.SupportReview{
		Reviewer:            p.Subject,
		ReviewerDisplayName: p.Name(),
		Time:                timestamppb.New(tx.Now()),
		Reason:              reason,
	}
	if err := s.account(tx, next, 1); err != nil {
		return nil, err
	}
	return next, tx.Put(next)
}

// batchRequest is a request to review many entries of one region at once.
type batchRequest interface {
	resource.Request
	GetParent() string
	GetNames() []string
	GetReason() string
}

// reviewAll moves every entry req names to state in one mutation, all or
// none, and answers with the entries as stored, wrapped by answer: the
// first entry that cannot be reviewed refuses the whole batch, naming it
// by its field (names[i]) so that a caller can say which one. needReason
// says whether the reason is required.
func reviewAll[R proto.Message](ctx context.Context, s *Service, req batchRequest, state famiv1.SupportEntryState, needReason bool, answer func([]*famiv1.SupportEntry) R) (R, error) {
	var zero R
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return zero, err
	}
	var v errs.Violations
	check.Listed(&v, "names", len(req.GetNames()), maxBatch, "entries", "at least one entry")
	seen := check.Set[string]{}
	for i, n := range req.GetNames() {
		f := errs.Indexed("names", i)
		if _, ok := ref(&v, f, n, resource.SupportEntries, region); !ok {
			continue
		}
		if seen.Again(n) {
			v.Add(f, "%s is listed twice", n)
		}
	}
	check.Reason(&v, "reason", req.GetReason(), needReason)
	if err := v.Err(); err != nil {
		return zero, err
	}
	p := principal.From(ctx)
	return resource.Mutate(ctx, s.store, region, req, func(tx store.WriteTx) (R, error) {
		reviewed := make([]*famiv1.SupportEntry, 0, len(req.GetNames()))
		for i, n := range req.GetNames() {
			field := errs.Indexed("names", i)
			cur := &famiv1.SupportEntry{}
			if err := tx.Get(n, cur); err != nil {
				if e := errs.As(err); e != nil && e.Code == errs.NotFound {
					// Deleted by its consultant since the caller listed it.
					return zero, e.Naming(field)
				}
				return zero, err
			}
			next, err := s.review(tx, p, cur, state, req.GetReason(), field)
			if err != nil {
				return zero, err
			}
			reviewed = append(reviewed, next)
		}
		return answer(reviewed), nil
	})
}

// BatchApproveSupportEntries implements fami.v1.SupportService.
func (s *Service) BatchApproveSupportEntries(ctx context.Context, req *famiv1.BatchApproveSupportEntriesRequest) (*famiv1.BatchApproveSupportEntriesResponse, error) {
	return reviewAll(ctx, s, req, stateApproved, false, func(e []*famiv1.SupportEntry) *famiv1.BatchApproveSupportEntriesResponse {
		return &famiv1.BatchApproveSupportEntriesResponse{SupportEntries: e}
	})
}

// BatchRejectSupportEntries implements fami.v1.SupportService.
func (s *Service) BatchRejectSupportEntries(ctx context.Context, req *famiv1.BatchRejectSupportEntriesRequest) (*famiv1.BatchRejectSupportEntriesResponse, error) {
	return reviewAll(ctx, s, req, stateRejected, true, func(e []*famiv1.SupportEntry) *famiv1.BatchRejectSupportEntriesResponse {
		return &famiv1.BatchRejectSupportEntriesResponse{SupportEntries: e}
	})
}

// RejectSupportEntry implements fami.v1.SupportService.
func (s *Service) RejectSupportEntry(ctx context.Context, req *famiv1.RejectSupportEntryRequest) (*famiv1.SupportEntry, error) {
	p := principal.From(ctx)
	return resource.ChangeChecked(ctx, s.store, resource.SupportEntries, req, func(v *errs.Violations) {
		check.Reason(v, "reason", req.GetReason(), true)
	}, func(tx store.WriteTx, cur *famiv1.SupportEntry) (*famiv1.SupportEntry, error) {
		return s.review(tx, p, cur, stateRejected, req.GetReason(), "")
	})
}
