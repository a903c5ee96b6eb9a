package support

import (
	"context"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

const (
	periodClosed   = famiv1.ClosedPeriodState_CLOSED_PERIOD_STATE_CLOSED
	periodReopened = famiv1.ClosedPeriodState_CLOSED_PERIOD_STATE_REOPENED
)

// closedOn fails with FAILED_PRECONDITION (reason PERIOD_CLOSED) when a
// closed period in force covers date. field, when set, is the request
// field the date came from, named in the error. Regions close a handful of
// periods (quarters, years), so all of them are read.
func closedOn(tx store.ReadTx, date, field string) error {
	var id, start, end string
	tx.IndexScan(indexClosed, "", func(k, v string) bool {
		span, _ := store.SplitKey(v, 2)
		if span[0] <= date && date <= span[1] {
			id, start, end = k, span[0], span[1]
			return false
		}
		return true
	})
	if id == "" {
		return nil
	}
	period := aip.Name(tx.Region(), resource.ClosedPeriods, id)
	msg := date + " is in closed period " + period + " (" + start + " to " + end + "): entries dated in it cannot be created, changed or deleted until the region reopens it"
	return errs.PeriodClosed.With(errs.Error{
		Message:  msg,
		Metadata: map[string]string{"closed_period": period, "date": date},
	}).Naming(field)
}

// ClosePeriod implements fami.v1.SupportService.
func (s *Service) ClosePeriod(ctx context.Context, req *famiv1.ClosePeriodRequest) (*famiv1.ClosedPeriod, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	in := req.GetClosedPeriod()
	if in == nil {
		return nil, errs.InvalidField("closed_period", "is required")
	}
	id, err := aip.NewOrCheckID("closed_period_id", req.GetClosedPeriodId())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	_, okStart := check.Date(&v, "closed_period.start_date", in.GetStartDate(), true)
	_, okEnd := check.Date(&v, "closed_period.end_date", in.GetEndDate(), true)
	if okStart && okEnd && in.GetEndDate() < in.GetStartDate() {
		v.Add("closed_period.end_date", "%s is before start_date %s", in.GetEndDate(), in.GetStartDate())
	}
	// A forced close freezes entries nobody reviewed: say why, for the
	// record.
	check.Reason(&v, "closed_period.reason", in.GetReason(), req.GetForce())
	if err := v.Err(); err != nil {
		return nil, err
	}
	p := principal.From(ctx)
	return resource.Mutate(ctx, s.store, region, req, func(tx store.WriteTx) (*famiv1.ClosedPeriod, error) {
		cp := &famiv1.ClosedPeriod{
			Name:      aip.Name(region, resource.ClosedPeriods, id),
			StartDate: in.GetStartDate(),
			EndDate:   in.GetEndDate(),
			Reason:    in.GetReason(),
			State:     periodClosed,
			ClosedBy:  p.Subject,
		}
		if err := resource.Absent(tx, cp, "closed_period_id"); err != nil {
			return nil, err
		}
		if n := pendingIn(tx, cp.GetStartDate(), cp.GetEndDate()); n > 0 && !req.GetForce() {
			return nil, errs.EntriesPendingReview.With(errs.Error{
				Message: errs.Sprintf("%d entries dated %s to %s still await review: approve or reject them first, or close with force and a reason (they are then frozen as SUBMITTED)",
					n, cp.GetStartDate(), cp.GetEndDate()),
				Metadata: map[string]string{"pending_entries": strconv.Itoa(n)},
			})
		}
		if err := tx.IndexPut(indexClosed, id, store.Key(cp.GetStartDate(), cp.GetEndDate())); err != nil {
			return nil, err
		}
		return cp, tx.Put(cp)
	})
}

// ReopenPeriod implements fami.v1.SupportService.
func (s *Service) ReopenPeriod(ctx context.Context, req *famiv1.ReopenPeriodRequest) (*famiv1.ClosedPeriod, error) {
	p := principal.From(ctx)
	return resource.ChangeChecked(ctx, s.store, resource.ClosedPeriods, req, func(v *errs.Violations) {
		check.Reason(v, "reason", req.GetReason(), true)
	}, func(tx store.WriteTx, cur *famiv1.ClosedPeriod) (*famiv1.ClosedPeriod, error) {
		if cur.GetState() != periodClosed {
			return nil, errs.PeriodNotClosed.With(errs.Error{
				Message:  cur.GetName() + " was already reopened",
				Metadata: map[string]string{"resource": cur.GetName()},
			})
		}
		next := proto.CloneOf(cur)
		next.State = periodReopened
		next.ReopenedBy = p.Subject
		next.ReopenTime = timestamppb.New(tx.Now())
		next.ReopenReason = req.GetReason()
		if err := tx.IndexDelete(indexClosed, resource.ID(cur.GetName())); err != nil {
			return nil, err
		}
		return next, tx.Put(next)
	})
}

// ListClosedPeriods implements fami.v1.SupportService. A range of dates
// keeps the periods that meet it, so that a page of entries receives the
// periods its dates need, not every one the region has closed. The service
// still reads them all: periods are keyed by id, and the store scans an
// index by prefix only, so a range of dates is no range of keys. A region
// closes a handful a year: 60 quarters cost a call some 70 µs more than 4,
// too little to pay for a date index, which would need a key per month of
// each period (as the meetings' monthIndex keeps), built at start for the
// periods stored before it and again after an older famid, which does not
// keep it, writes to a shared etcd cluster.
func (s *Service) ListClosedPeriods(ctx context.Context, req *famiv1.ListClosedPeriodsRequest) (*famiv1.ListClosedPeriodsResponse, error) {
	start, end := req.GetStartDate(), req.GetEndDate()
	return resource.ListAnswer[*famiv1.ListClosedPeriodsResponse](ctx, s.store, resource.ClosedPeriods, req,
		func(v *errs.Violations) { dateRange(v, start, end, false) },
		func(cp *famiv1.ClosedPeriod) bool {
			return (cp.GetState() == periodClosed || req.GetShowReopened()) &&
				(start == "" || cp.GetEndDate() >= start) && (end == "" || cp.GetStartDate() <= end)
		})
}

// pendingIn counts the entries dated from start to end (inclusive) that
// still await review.
func pendingIn(tx store.ReadTx, start, end string) int {
	submitted := store.KeyPrefix(strconv.Itoa(int(stateSubmitted)))
	n := 0
	for month := start[:7]; month <= end[:7]; month = nextMonth(month) {
		tx.IndexScan(indexByDate, month+"-", func(k, v string) bool {
			date := k[:10]
			if date > end {
				return false
			}
			if date >= start && strings.HasPrefix(v, submitted) {
				n++
			}
			return true
		})
	}
	return n
}
