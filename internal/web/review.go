package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/territory"
)

// approvalsPage is the region admin's queue of submitted hours.
type approvalsPage struct {
	frame
	Entries   []entryRow
	Pager     *pager
	Form      *form
	RequestID string
	// Query is the page's query (keptQuery), which the review form's
	// address carries, so that a refused review comes back to the page of
	// entries it was sent from, the entries ticked there still shown, and
	// a done one to that page again.
	Query string
}

// approvalsPath is the approvals queue's address, which its review form
// posts to.
const approvalsPath = "/approvazioni"

var submitted = []famiv1.SupportEntryState{famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED}

func (a *App) approvals(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderApprovals(w, r, s, http.StatusOK, newForm(nil))
}

func (a *App) renderApprovals(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form) {
	// The queue is a reviewer's page: the listing alone would be open to a
	// consultant (their own entries), the review is not.
	if !s.can(a, famiv1.SupportService_BatchApproveSupportEntries_FullMethodName, &famiv1.BatchApproveSupportEntriesRequest{Parent: regionName(s.region)}) {
		a.forbidden(w, r, s)
		return
	}
	p := &approvalsPage{frame: a.newFrame(r, s, "approvals.title"), Form: fm, RequestID: newRequestID(), Query: keptQuery(r)}
	var networks []string
	var err error
	p.Entries, p.Pager, err = readPage(s, r, "", msg("approvals.title"), a.support.ListSupportEntries,
		&famiv1.ListSupportEntriesRequest{Parent: regionName(s.region), States: submitted}, (*famiv1.ListSupportEntriesResponse).GetSupportEntries,
		func(e *famiv1.SupportEntry) (entryRow, bool) {
			row := newEntryRow(e, nil)
			row.Editable = true
			networks = append(networks, e.GetNetwork())
			return row, true
		})
	if err == nil {
		err = a.nameNetworks(s, p.Entries, networks, nil)
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, code, "approvals", p)
}

// nameNetworks names the network of each row, networks[i] being the
// network of rows[i]: from known, and the others read by name in one call
// (networkLabels; a page's rows name at most a page of networks), never
// the region's networks; one deleted since is shown by its id (labelOf).
func (a *App) nameNetworks(s *session, rows []entryRow, networks []string, known map[string]string) error {
	labels, err := a.networkLabels(s, known, networks)
	for i := range rows {
		rows[i].Network = labelOf(labels, networks[i])
	}
	return err
}

// review approves or rejects the selected entries in one batch, all or
// none. A refused batch leaves every entry as it was, and the page says
// which entry stopped it (stoppedBy) and why (the refusal's reason).
func (a *App) review(w http.ResponseWriter, r *http.Request, s *session) {
	fm := newForm(r.PostForm)
	var names []string
	for _, id := range r.PostForm["voce"] {
		names = append(names, aip.Name(s.region, resource.SupportEntries, id))
	}
	parent, reason, requestID := regionName(s.region), r.PostFormValue("reason"), r.PostFormValue("request_id")
	var err error
	done := "approved"
	if r.PostFormValue("azione") == "respingi" {
		done = "rejected"
		_, err = a.support.BatchRejectSupportEntries(s.ctx, &famiv1.BatchRejectSupportEntriesRequest{
			Parent: parent, Names: names, Reason: reason, RequestId: requestID,
		})
	} else {
		_, err = a.support.BatchApproveSupportEntries(s.ctx, &famiv1.BatchApproveSupportEntriesRequest{
			Parent: parent, Names: names, Reason: reason, RequestId: requestID,
		})
	}
	a.submitted(w, r, s, fm, err, "", func(code int) {
		if stopped, ok := a.stoppedBy(s, err, names); ok {
			fm.Errors["names"] = stopped
		}
		a.renderApprovals(w, asPage(r, approvalsPath), s, code, fm)
	}, withNotice(approvalsPath, r, done))
}

// stoppedBy describes, for the page, the entry of names that a batch
// review's refusal err names by its field (names[i]): its date, consultant
// and activity as stored now, or its id when it cannot be read. It is
// false when err names no entry (the reason is missing, say).
func (a *App) stoppedBy(s *session, err error, names []string) (string, bool) {
	if status.Code(err) == codes.InvalidArgument {
		return "", false // the selection itself, or the reason
	}
	i, ok := namedIndex(err, "names")
	if !ok || i >= len(names) {
		return "", false
	}
	e, err := a.support.GetSupportEntry(s.ctx, &famiv1.GetSupportEntryRequest{Name: names[i]})
	if err != nil {
		return msgf("approvals.stopped_id", resource.ID(names[i])), true
	}
	return msgf("approvals.stopped", formatDate(e.GetDate()), person(e.GetConsultant(), e.GetConsultantDisplayName()), label(e.GetActivity())), true
}

// periodsPage lists the closed periods and closes a new one.
type periodsPage struct {
	frame
	Periods []*famiv1.ClosedPeriod
	Pager   *pager
	Form    *form
	// Forcing offers to close anyway, after the service refused because
	// Waiting entries of the period still await review.
	Forcing   bool
	Waiting   int
	RequestID string
	CanClose  bool
	// CanReview links the warning to the approvals queue, where the
	// entries awaiting review are approved or rejected.
	CanReview bool
	// Query is the page's query (keptQuery), which the addresses of its
	// forms (close, reopen) carry, so that a refused or done one comes
	// back to the page of periods it was sent from.
	Query string
}

// periodsPath is the periods page's address, which its close form posts
// to.
const periodsPath = "/periodi"

func (a *App) periods(w http.ResponseWriter, r *http.Request, s *session) {
	start, end := quarterOf(a.today())
	a.renderPeriods(w, r, s, http.StatusOK, newForm(url.Values{"start_date": {start.Format(italianDate)}, "end_date": {end.Format(italianDate)}}), 0, false)
}

// quarterOf returns the first and last day of t's quarter.
func quarterOf(t time.Time) (time.Time, time.Time) {
	start := time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, territory.Rome)
	return start, start.AddDate(0, 3, -1)
}

func (a *App) renderPeriods(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, waiting int, forcing bool) {
	periods, pg, err := readPage(s, r, "", msg("periods.closed"), a.support.ListClosedPeriods, &famiv1.ListClosedPeriodsRequest{Parent: regionName(s.region), ShowReopened: true},
		(*famiv1.ListClosedPeriodsResponse).GetClosedPeriods, every)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p := &periodsPage{frame: a.newFrame(r, s, "periods.title"), Periods: periods, Pager: pg, Form: fm, Forcing: forcing, Waiting: waiting, RequestID: newRequestID(), Query: keptQuery(r),
		CanClose: s.can(a, famiv1.SupportService_ClosePeriod_FullMethodName, &famiv1.ClosePeriodRequest{Parent: regionName(s.region)})}
	p.CanReview = waiting > 0 && s.can(a, famiv1.SupportService_BatchApproveSupportEntries_FullMethodName, &famiv1.BatchApproveSupportEntriesRequest{Parent: regionName(s.region)})
	a.render(w, code, "periods", p)
}

// closePeriod closes a period. The service refuses a close while entries
// of the period still await review (ENTRIES_PENDING_REVIEW); the page then
// explains why and offers to close anyway ("conferma"), which the service
// admits only with a reason (force: the entries are frozen as they are).
func (a *App) closePeriod(w http.ResponseWriter, r *http.Request, s *session) {
	fm := newForm(r.PostForm)
	cp := &famiv1.ClosedPeriod{StartDate: parseDate(r.PostFormValue("start_date")), EndDate: parseDate(r.PostFormValue("end_date")), Reason: r.PostFormValue("reason")}
	force := r.PostFormValue("conferma") != ""
	_, err := a.support.ClosePeriod(s.ctx, &famiv1.ClosePeriodRequest{Parent: regionName(s.region), ClosedPeriod: cp, Force: force, RequestId: r.PostFormValue("request_id")})
	a.submitted(w, r, s, fm, err, "closed_period.", func(code int) {
		// A refused forced close (no reason, say) keeps offering to force.
		waiting, pending := pendingEntries(err)
		if pending {
			// The warning the page shows says it all, with the count.
			fm.Message = ""
		}
		a.renderPeriods(w, asPage(r, periodsPath), s, code, fm, waiting, pending || force)
	}, withNotice(periodsPath, r, "period_closed"))
}

// pendingEntries is the number of entries awaiting review that made the
// service refuse a close, and whether that was the refusal
// (ENTRIES_PENDING_REVIEW).
func pendingEntries(err error) (int, bool) {
	for info := range details[*errdetails.ErrorInfo](err) {
		if errs.Reason(info.GetReason()) == errs.EntriesPendingReview {
			n, _ := strconv.Atoi(info.GetMetadata()["pending_entries"])
			return n, true
		}
	}
	return 0, false
}

func (a *App) reopenPeriod(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := a.support.ReopenPeriod(s.ctx, &famiv1.ReopenPeriodRequest{
		Name: pathName(r, s, resource.ClosedPeriods, "period"), Reason: r.PostFormValue("reason"),
		Etag: r.PostFormValue("etag"), RequestId: r.PostFormValue("request_id"),
	})
	fm := actionForm(nil) // not the reason: the page's form to close a period would show it
	a.submitted(w, r, s, fm, err, "", func(code int) { a.renderPeriods(w, asPage(r, periodsPath), s, code, fm, 0, false) },
		withNotice(periodsPath, r, "period_reopened"))
}
