package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/money"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/territory"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// pages are the parsed templates, one set per page: the layout, the shared
// partials (files named "_*.html") and the page's own file.
type pages map[string]*template.Template

// sharedPages parses the embedded templates once per process, for every App
// to share: they and their funcs are the same for each, and a parsed
// html/template set may be executed concurrently (it escapes itself once,
// under its own lock); nothing adds to it after parsing. Parsed for each
// App, they were 8% of the CPU of the tests, which start hundreds of
// servers (docs/benchmarks.md).
var sharedPages = sync.OnceValues(parsePages)

func parsePages() (pages, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pg := pages{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", f)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		pg[name] = t
	}
	return pg, nil
}

// frame is what the layout shows around every page.
type frame struct {
	Title  string
	CSRF   string
	User   string
	Role   principal.Role
	Region string
	// Regions lists the regions a ministry user may switch between.
	Regions []*famiv1.Region
	Nav     []navItem
	// mayHistory reports whether the user may read the history of a
	// resource (HistoryOf); nil before signing in.
	mayHistory func(name string) bool
	Path       string
	Notice     string
	CSS, JS    string
}

type navItem struct {
	Href, Label string
	Current     bool
}

// HistoryOf reports whether the page links to the history of the resource
// name: only for a user the history page would answer.
func (f *frame) HistoryOf(name string) bool { return f.mayHistory != nil && f.mayHistory(name) }

// Frame lets every page's data expose the frame to the layout.
func (f *frame) Frame() *frame { return f }

type framed interface{ Frame() *frame }

// newFrame fills the frame of a page for s (nil before signing in).
func (a *App) newFrame(r *http.Request, s *session, title string) frame {
	f := frame{Title: msg(title), Path: r.URL.Path, CSS: a.static.url("app.css"), JS: a.static.url("app.js")}
	if s == nil {
		return f
	}
	f.Notice = s.notice
	f.CSRF, f.User, f.Role, f.Region = s.csrf, person(s.who.Subject, s.who.Name()), s.who.Role, s.region
	if s.who.Role == principal.Ministry {
		f.Regions = regionList()
	}
	parent := regionName(s.region)
	f.mayHistory = func(name string) bool { return a.mayReadHistory(s, name) }
	items := []struct {
		href, label, procedure string
		req                    proto.Message
	}{
		{"/ore", "nav.hours", famiv1connect.SupportServiceCreateSupportEntryProcedure, &famiv1.CreateSupportEntryRequest{Parent: parent}},
		{"/approvazioni", "nav.approvals", famiv1connect.SupportServiceBatchApproveSupportEntriesProcedure, &famiv1.BatchApproveSupportEntriesRequest{Parent: parent}},
		{"/periodi", "nav.periods", famiv1connect.SupportServiceListClosedPeriodsProcedure, &famiv1.ListClosedPeriodsRequest{Parent: parent}},
		{"/riepilogo", "nav.summary", famiv1connect.SupportServiceSummarizeSupportEntriesProcedure, &famiv1.SummarizeSupportEntriesRequest{Parent: parent}},
		{"/partner", "nav.partners", famiv1connect.PartnerServiceListPartnersProcedure, &famiv1.ListPartnersRequest{Parent: parent}},
		{"/progetti", "nav.projects", famiv1connect.ProjectServiceListProjectsProcedure, &famiv1.ListProjectsRequest{Parent: parent}},
		{"/reti", "nav.networks", famiv1connect.NetworkServiceListNetworksProcedure, &famiv1.ListNetworksRequest{Parent: parent}},
		{"/protocolli", "nav.protocols", famiv1connect.ProtocolServiceListProtocolsProcedure, &famiv1.ListProtocolsRequest{Parent: parent}},
		{"/account", "nav.accounts", famiv1connect.AuthServiceListAccountsProcedure, &famiv1.ListAccountsRequest{Parent: parent}},
		{"/incontri", "nav.meetings", famiv1connect.MeetingServiceListMeetingsProcedure, &famiv1.ListMeetingsRequest{Parent: parent}},
		{"/monitoraggio", "nav.monitoring", famiv1connect.MonitoringServiceSummarizeMonitoringProcedure, &famiv1.SummarizeMonitoringRequest{Parent: parent}},
		{"/cruscotto", "nav.dashboard", famiv1connect.DashboardServiceSummarizeRegionsProcedure, &famiv1.SummarizeRegionsRequest{Name: parent}},
	}
	for _, it := range items {
		if s.can(a, it.procedure, it.req) {
			f.Nav = append(f.Nav, navItem{Href: it.href, Label: msg(it.label), Current: strings.HasPrefix(r.URL.Path, it.href)})
		}
	}
	return f
}

// formTitle is the catalogue key of the title of a page that creates a
// resource of kind ("projects.new") or, when editing, edits one
// ("projects.edit").
func formTitle(kind string, editing bool) string {
	if editing {
		return kind + ".edit"
	}
	return kind + ".new"
}

// creating is the right to create one kind of resource in the session's
// region, whose Create takes only the region as parent: the Create's
// procedure and its request, empty. A list page offers "Nuovo" by it, and
// its create page opens by it (forCreators), so both ask the rights table
// the same question.
type creating struct {
	procedure string
	request   proto.Message
}

var (
	createPartner      = creating{famiv1.PartnerService_CreatePartner_FullMethodName, &famiv1.CreatePartnerRequest{}}
	createProject      = creating{famiv1.ProjectService_CreateProject_FullMethodName, &famiv1.CreateProjectRequest{}}
	createNetwork      = creating{famiv1.NetworkService_CreateNetwork_FullMethodName, &famiv1.CreateNetworkRequest{}}
	createProtocol     = creating{famiv1.ProtocolService_CreateProtocol_FullMethodName, &famiv1.CreateProtocolRequest{}}
	createMeeting      = creating{famiv1.MeetingService_CreateMeeting_FullMethodName, &famiv1.CreateMeetingRequest{}}
	createSupportEntry = creating{famiv1.SupportService_CreateSupportEntry_FullMethodName, &famiv1.CreateSupportEntryRequest{}}
)

// mayCreate reports whether the rights table lets the session's user
// create c's resource in their region.
func (s *session) mayCreate(a *App, c creating) bool {
	return s.can(a, c.procedure, aip.WithParent(c.request, regionName(s.region)))
}

// forCreators opens a create page, fn, to a user who may create c's
// resource in their region, and answers 403 to any other: a consultant
// was shown an empty "Nuovo partner" page, and a network form whose submit
// was refused.
func (a *App) forCreators(c creating, fn pageFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if !s.mayCreate(a, c) {
			a.forbidden(w, r, s)
			return
		}
		fn(w, r, s)
	}
}

// can asks the rights table whether the session's user may make req: the
// pages show a control only when its call would be admitted.
func (s *session) can(a *App, procedure string, req proto.Message) bool {
	return a.policy.Authorize(procedure, s.who, req) == nil
}

// render writes page name with data, buffered so that a template error is
// a clean 500 rather than half a page.
func (a *App) render(w http.ResponseWriter, status int, name string, data framed) {
	t, ok := a.pages[name]
	if !ok {
		panic("web: no page " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		a.log.Error("render page", "page", name, "err", err)
		http.Error(w, msg("error.internal"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the data of the error pages.
type errorPage struct {
	frame
	Heading, Detail string
	// Restart, when set, is the first page of the list whose page the
	// address asked for could not be shown.
	Restart string
}

func (a *App) notFound(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderError(w, r, s, http.StatusNotFound, "error.not_found", "error.not_found_detail")
}

// notFoundAnswer answers a call that found nothing at the page's own
// resource: for a form's submit, that nothing was saved, the resource the
// form changes being gone (deleted meanwhile, from another tab, say, or
// by someone else); for a page, that it does not exist. A submit was
// answered "the page you asked for does not exist", which the user had
// not asked for, and no word of what they had typed.
func (a *App) notFoundAnswer(w http.ResponseWriter, r *http.Request, s *session) {
	if r.Method == http.MethodPost {
		a.renderError(w, r, s, http.StatusNotFound, "error.gone", "error.gone_detail")
		return
	}
	a.notFound(w, r, s)
}

func (a *App) forbidden(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderError(w, r, s, http.StatusForbidden, "error.forbidden", "error.forbidden_detail")
}

func (a *App) renderError(w http.ResponseWriter, r *http.Request, s *session, code int, heading, detail string) {
	a.renderErrorText(w, r, s, code, heading, msg(detail))
}

// renderErrorText is renderError with its detail already in words.
func (a *App) renderErrorText(w http.ResponseWriter, r *http.Request, s *session, code int, heading, detail string) {
	p := &errorPage{frame: a.newFrame(r, s, heading), Heading: msg(heading), Detail: detail}
	a.render(w, code, "error", p)
}

// fail answers a call's error that no form can show: the session is over,
// the page is forbidden or gone, or something broke.
func (a *App) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if bt, ok := asBadPageToken(err); ok {
		p := &errorPage{frame: a.newFrame(r, s, "paging.bad_token"), Heading: msg("paging.bad_token"), Detail: msg("paging.bad_token_detail"), Restart: bt.restart}
		a.render(w, http.StatusBadRequest, "error", p)
		return
	}
	switch status.Code(err) {
	case codes.Unauthenticated:
		clearCookie(w, r, sessionCookie)
		a.sessionOver(w, r, "msg.session_expired")
	case codes.PermissionDenied:
		if existenceHidden(err) {
			a.notFoundAnswer(w, r, s)
			return
		}
		a.forbidden(w, r, s)
	case codes.NotFound:
		a.notFoundAnswer(w, r, s)
	case codes.ResourceExhausted:
		// A limit that passes (the server's concurrency, a login
		// limiter) says when to try again, as the API's 429 does.
		code := http.StatusBadRequest
		if d, ok := retryAfter(err); ok {
			code = http.StatusTooManyRequests
			setRetryAfter(w, d)
		}
		a.renderErrorText(w, r, s, code, "error.refused", refusal(err))
	case codes.InvalidArgument, codes.FailedPrecondition, codes.Aborted, codes.AlreadyExists:
		// Worded as a form words it (refusal), so that a limit reached
		// says the limit here too.
		a.renderErrorText(w, r, s, http.StatusBadRequest, "error.refused", refusal(err))
	default:
		if c := status.Code(err); c != codes.Internal && c != codes.DataLoss {
			// A call's internal error or damaged data was logged where
			// the pipeline answered it, with what finds the call (its
			// procedure, region, request and trace): once is enough.
			a.log.ErrorContext(r.Context(), "web call failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		a.broken(w, r, s, err)
	}
}

// unservedPages are the pages of a region's data the store cannot serve
// (docs/errors.md, the stored data) and of a server that cannot serve for
// now (its disk full, a restart), by reason: what happened, in words,
// that nothing was written and whom to tell; the heading and the
// explanation. The region's officers met the generic internal error.
var unservedPages = map[errs.Reason][2]string{
	errs.RecordCorrupt:     {"error.damaged", "error.unserved_record"},
	errs.RegionFileDamaged: {"error.damaged", "error.unserved_file"},
	errs.RegionKeysDeleted: {"error.damaged", "error.unserved_deleted"},
	errs.RegionImporting:   {"error.unserved", "error.unserved_importing"},
	errs.DataFormatUnknown: {"error.unserved", "error.unserved_format"},
	errs.StorageFull:       {"error.unavailable", "error.unserved_full"},
	errs.ShuttingDown:      {"error.unavailable", "error.unserved_restarting"},
}

// unservedRetry is the Retry-After of a 503 whose refusal says no delay
// of its own (a region being imported, a server restarting): an import
// takes minutes, a restart less.
const unservedRetry = time.Minute

// broken answers a call that failed through no fault of the user's: a
// region's data that cannot be served get their page (unservedPages) with
// the status the API answers for the reason, and a 503 says when to come
// back; anything else is the internal error page.
func (a *App) broken(w http.ResponseWriter, r *http.Request, s *session, err error) {
	reason := errs.Reason(errorInfo(err).GetReason())
	page, ok := unservedPages[reason]
	if !ok {
		a.renderError(w, r, s, http.StatusInternalServerError, "error.internal", "error.internal_detail")
		return
	}
	entry, _ := errs.Lookup(reason)
	if entry.HTTPStatus == http.StatusServiceUnavailable {
		d, ok := retryAfter(err)
		if !ok {
			d = unservedRetry
		}
		setRetryAfter(w, d)
	}
	a.renderError(w, r, s, entry.HTTPStatus, page[0], page[1])
}

// details yields the details of type D that err's gRPC status carries
// (google.rpc.ErrorInfo, RetryInfo, BadRequest), in order.
func details[D any](err error) iter.Seq[D] {
	return func(yield func(D) bool) {
		st, _ := status.FromError(err)
		for _, d := range st.Details() {
			if v, ok := d.(D); ok && !yield(v) {
				return
			}
		}
	}
}

// firstDetail is the first detail of type D of err, and whether it has one.
func firstDetail[D any](err error) (D, bool) {
	for d := range details[D](err) {
		return d, true
	}
	var none D
	return none, false
}

// violations yields the field violations of err's google.rpc.BadRequest
// details, in order.
func violations(err error) iter.Seq[*errdetails.BadRequest_FieldViolation] {
	return func(yield func(*errdetails.BadRequest_FieldViolation) bool) {
		for br := range details[*errdetails.BadRequest](err) {
			for _, v := range br.GetFieldViolations() {
				if !yield(v) {
					return
				}
			}
		}
	}
}

// errorInfo is the google.rpc.ErrorInfo of err, nil when it has none.
func errorInfo(err error) *errdetails.ErrorInfo {
	info, _ := firstDetail[*errdetails.ErrorInfo](err)
	return info
}

// existenceHidden reports a refusal that the services give alike for
// what the caller may not reach and for what does not exist (another
// consultant's support entry, another user's calendar token; see
// docs/errors.md): to the person it is a page that is not there.
func existenceHidden(err error) bool {
	r := errs.Reason(errorInfo(err).GetReason())
	return r == errs.NotOwnEntry || r == errs.NotOwnToken
}

// Refused answers a request the server refused before the application
// read it (the HTTP port's admission at its concurrency limit): err is the
// refusal as the services would have answered it, shown as any call's.
func (a *App) Refused(w http.ResponseWriter, r *http.Request, err error) {
	a.fail(w, r, nil, err)
}

// retryAfter is the delay an error's google.rpc.RetryInfo asks for.
func retryAfter(err error) (time.Duration, bool) {
	ri, ok := firstDetail[*errdetails.RetryInfo](err)
	return ri.GetRetryDelay().AsDuration(), ok
}

// setRetryAfter says in w's Retry-After header to come back after d, in
// whole seconds (at least one).
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, d.Round(time.Second))/time.Second)))
}

// form is a submitted form as a page shows it again: what the user typed,
// the error of each field and the error of the whole form.
type form struct {
	Values url.Values
	Errors map[string]string
	// Message is the form's error; Stale is set when someone else changed
	// the resource since the form was loaded.
	Message string
	Stale   bool
	// Notice says why a form came back with nothing saved when no field
	// was wrong (searchable: a search typed and not run ran in place of
	// the save).
	Notice string
	// Changes lists, after a stale submit, the fields whose stored value
	// differs from what the user typed, and Rebased is set once the form
	// carries the stored etag in place of the one it was loaded with (see
	// compare).
	Changes []change
	Rebased bool
	// linked are the display names of the resources the page links to,
	// set by the page once it has loaded them: Shown names a reference by
	// them.
	linked *lookups
	// Prefix is put before the fields' names, for a second form on a page
	// whose fields would otherwise share names (and ids) with the first.
	Prefix string
	// kind is what the submit did: a stale one is answered after it
	// (StaleNote).
	kind submitKind
	// seen are the resource's fields as the page shows them, which its
	// delete form sends back (Seen).
	seen url.Values
	// Page is the address of the page the form is on, which the stale
	// note's reload link opens: set when the form posts elsewhere (an
	// address that answers POST only), empty when it posts to its page.
	Page string
	// advice is the catalogue key of the message of an invalid request
	// naming fields, in place of "check the highlighted fields", for a
	// step the service refuses for values it cannot change (errs.Advise):
	// what to do, and where.
	advice string
	// rows places the violations of a list the form shows row by row
	// (rowFault): absorb cuts any other field at its first '.' or '['.
	rows rowFault
}

// rowFault maps a violation of a list a form shows row by row (its field
// as the request names it, "attendance[2].roles") to the form's field at
// fault, in the row of its element, and the words of its cause. ok false
// leaves the violation to absorb's rule, the field its list's.
type rowFault func(field string) (name, text string, ok bool)

// submitKind is what a form's submit asks of a resource.
type submitKind uint8

const (
	// editing sends the fields the user typed: a stale one keeps them.
	editing submitKind = iota
	// deleting sends the resource's fields as the page showed them (see
	// Seen): a stale one shows the stored resource and what changed since.
	deleting
	// acting presses a button (open, sign, cancel...): a stale one has no
	// values of the user's to keep, and the page shows the stored resource.
	acting
)

// actionForm is the form of an action's button (acting), holding what its
// form sent.
func actionForm(v url.Values) *form {
	f := newForm(v)
	f.kind = acting
	return f
}

// StaleNote tells the user, after a stale submit, what the page now shows
// and what to do.
func (f *form) StaleNote() string {
	switch {
	case f.kind == deleting:
		return msg("error.stale_delete")
	case f.kind == acting:
		return msg("error.stale_action")
	case f.Rebased:
		return msg("error.stale_redo")
	}
	return msg("error.stale")
}

// Reloadable reports whether the stale note offers to reload the page:
// only an edit, whose page shows what the user typed; after a delete or an
// action it shows the stored resource already, and the address is the
// button's, which a reload would not find.
func (f *form) Reloadable() bool { return f.kind == editing }

// YoursLabel heads the column of Changes that is not the stored value:
// what the user typed, or what the page showed when it was loaded.
func (f *form) YoursLabel() string {
	if f.kind == deleting {
		return msg("error.seen")
	}
	return msg("error.yours")
}

func newForm(v url.Values) *form {
	if v == nil {
		v = url.Values{}
	}
	return &form{Values: v, Errors: map[string]string{}}
}

// Get returns a field's value.
func (f *form) Get(name string) string { return f.Values.Get(name) }

// Has reports whether a multi-valued field holds v.
func (f *form) Has(name, v string) bool { return slices.Contains(f.Values[name], v) }

// Err returns the error shown next to a field.
func (f *form) Err(name string) string { return f.Errors[name] }

// alias shows the error of a request's field next to the form's field of
// another name (the request's "period" is the page's "trimestre"), after
// the messages that field has already (markAll).
func (f *form) alias(field, as string) { f.markAll(as, f.Errors[field]) }

// markAll marks the field name with each of a field's messages (errs, one
// a line, as mark joins them), after its own: a field whose messages go
// to another shows all of them there. Copied whole, they replaced a
// message the field had, and added to it, two lines counted as one.
func (f *form) markAll(name, errs string) {
	for _, text := range strings.Split(errs, "\n") {
		if text != "" {
			f.mark(name, text)
		}
	}
}

// Failed reports whether the form has any error.
func (f *form) Failed() bool { return f.Message != "" || len(f.Errors) > 0 }

// change is a field someone else changed: its label, the values stored
// now and the values the user typed (see form.Shown).
type change struct {
	Label          string
	Current, Yours []string
}

// compare fills Changes after a stale submit: for each field (form name ->
// catalogue key of its label) whose stored value differs from the typed
// one, both as typed and as read (the form's values as the resource they
// would save, shown again: read), so that "1.234" typed over a stored
// 1234 is no change. A name holding %d is a field of numbered rows
// ("member.%d.partner"), compared as the list of its rows' values. The
// form then carries the stored etag (Rebased), so that submitting it
// again, once the user has seen what changed, saves what they typed over
// it.
func (f *form) compare(current, read url.Values, labels map[string]string) {
	if !f.Stale {
		return
	}
	f.Values.Set("etag", current.Get("etag"))
	f.Rebased = true
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		cur, yours := fieldValues(current, name), fieldValues(f.Values, name)
		if !slices.Equal(cur, yours) && !slices.Equal(cur, fieldValues(read, name)) {
			f.Changes = append(f.Changes, change{Label: msg(labels[name]), Current: cur, Yours: yours})
		}
	}
}

// sent reports whether v holds any of the fields compare reads (a row
// field by its first row): a delete form sends them as its page showed
// them, but a client may send the etag alone, and then there is nothing
// to compare.
func sent(v url.Values, fields map[string]string) bool {
	for name := range fields {
		if v.Has(strings.Replace(name, "%d", "0", 1)) {
			return true
		}
	}
	return false
}

// hidden is a form's hidden field.
type hidden struct{ Name, Value string }

// Seen is the resource's fields as the page shows them, but the etag
// (which a form carries on its own), in order: the hidden fields of its
// delete form.
func (f *form) Seen() []hidden { return hiddenFields(f.seen, "etag") }

// hiddenFields are v's fields but the ones named in skip, in order of
// name, as hidden fields.
func hiddenFields(v url.Values, skip ...string) []hidden {
	var out []hidden
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if slices.Contains(skip, name) {
			continue
		}
		for _, x := range v[name] {
			out = append(out, hidden{name, x})
		}
	}
	return out
}

// fieldValues is the values of a field, or of a row field (see compare),
// without the empty ones at the end: the spare rows a form adds, a field
// left empty or left out alike.
func fieldValues(v url.Values, name string) []string {
	values := v[name]
	if strings.Contains(name, "%d") {
		values = nil
		for i := 0; v.Has(fmt.Sprintf(name, i)); i++ {
			values = append(values, v.Get(fmt.Sprintf(name, i)))
		}
	}
	for len(values) > 0 && values[len(values)-1] == "" {
		values = values[:len(values)-1]
	}
	return values
}

// Shown is a field's values as a person reads them, comma-separated: an
// enum value by its label, a reference by the display name the page
// loaded (linked), else by the id it was created with.
func (f *form) Shown(values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		switch {
		case hasMsg("enum." + v):
			out[i] = msg("enum." + v)
		case strings.HasPrefix(v, "regions/"):
			out[i] = f.linked.displayName(v)
		default:
			out[i] = v
		}
	}
	return strings.Join(out, ", ")
}

// absorb turns a call's error into the form's errors, in Italian: field
// violations next to their fields (prefix is the request field holding the
// resource, e.g. "support_entry."), a stale etag as an offer to reload, a
// refused state change as the form's message, a resource the form named
// that no longer exists (NOT_FOUND naming a field: an entry of a selection
// deleted meanwhile) next to that field. It reports false for errors a
// form cannot show (see App.fail), such as the page's own resource not
// found.
func (f *form) absorb(err error, prefix string) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.Aborted, codes.AlreadyExists, codes.ResourceExhausted:
	case codes.NotFound:
		if !namesField(err, "") {
			return false
		}
	default:
		return false
	}
	if st.Code() == codes.Aborted {
		f.Stale = true
	}
	resent, forged := false, false
	for v := range violations(err) {
		if v.GetReason() == errs.RequestIDReused {
			// No field is wrong: the form was sent before with other
			// values, its request_id restored with them by the back
			// button. Marked, the hidden field left the page saying to
			// check the fields marked, and none was.
			resent = true
			continue
		}
		field := strings.TrimPrefix(v.GetField(), prefix)
		if bookkeeping[field] || companion(field) {
			// A field the page sends hidden (a content hash, an etag)
			// that no page sends so: the user can fix nothing on the
			// page, and a mark beside a field not shown was shown
			// nowhere, while the form said to check the fields marked.
			forged = true
			continue
		}
		if f.rows != nil {
			if name, text, ok := f.rows(field); ok {
				f.mark(f.Prefix+name, text)
				continue
			}
		}
		if i := strings.IndexAny(field, ".["); i >= 0 {
			field = field[:i]
		}
		f.mark(f.Prefix+field, fieldMessage(field, v.GetReason(), st.Code()))
	}
	switch {
	case resent:
		f.Message = msg("error.form_resent")
	case forged:
		f.Message = msg("error.form_hidden_invalid")
	case len(f.Errors) == 0 || (st.Code() != codes.InvalidArgument && st.Code() != codes.AlreadyExists):
		// A taken id (ALREADY_EXISTS) names its field (resource.Taken),
		// whose message says what is wrong, as an invalid one's does.
		f.Message = refusal(err)
	case f.advice != "":
		f.Message = msg(f.advice)
	default:
		f.Message = msg("error.check_fields")
	}
	return true
}

// mark adds text to the error shown next to the form's field name: a
// field breaking two rules (a partner's attendees below its contacts named
// and its counts by role not adding up to them, two items of a list each
// refused for its own cause) shows each, in the order the service named
// them, and the same words once. Before, the last replaced the others,
// and the field, fixed, was refused again for the rule not shown.
func (f *form) mark(name, text string) {
	switch cur := f.Errors[name]; {
	case cur == "":
		f.Errors[name] = text
	case !slices.Contains(strings.Split(cur, "\n"), text):
		f.Errors[name] = cur + "\n" + text
	}
}

// namesField reports whether err carries a violation of field, or of any
// field when field is "".
func namesField(err error, field string) bool {
	for v := range violations(err) {
		if field == "" || v.GetField() == field {
			return true
		}
	}
	return false
}

// refusal is the Italian text of a refused call: its reason's (reasonKey),
// or, for a resource at one of its limits (LIMIT_REACHED, or an owner's
// live tokens, TOO_MANY_TOKENS), the text of that limit, "limit." and what
// is full ("limit.extensions"), given the limit: the most the resource may
// hold, and what to do instead. The reason's own text could say neither.
func refusal(err error) string {
	info := errorInfo(err)
	items := info.GetMetadata()["items"]
	k := "limit." + items
	switch errs.Reason(info.GetReason()) {
	case errs.LimitReached, errs.TooManyTokens:
		if hasMsg(k) {
			return msgf(k, limitText(items, info.GetMetadata()["limit"]))
		}
	}
	return msg(reasonKey(err))
}

// limitText is a limit as a page says it: an amount of money (items named
// as the API names its amounts, "…_cents": a region's paid_cents) in
// euro, "1.000,00 €", not 100000 cents; a count as it is.
func limitText(items, limit string) string {
	if cents, err := strconv.ParseInt(limit, 10, 64); err == nil && strings.HasSuffix(items, "_cents") {
		return money.Italian(cents)
	}
	return limit
}

// reasonKey is the catalogue key of an error's google.rpc.ErrorInfo reason
// ("reason.PERIOD_CLOSED"), or of its code when the catalogue has no text
// for the reason.
func reasonKey(err error) string {
	for info := range details[*errdetails.ErrorInfo](err) {
		if hasMsg("reason." + info.GetReason()) {
			return "reason." + info.GetReason()
		}
	}
	if k := "code." + status.Code(err).String(); hasMsg(k) {
		return k
	}
	return "error.refused_detail"
}

// fieldMessage is the Italian text for an invalid field: what is wrong
// with any text (too long, a control character) when the violation's
// reason says so (in the field's own words, "violation.<reason>.<field>",
// when the catalogue has them: a quarter's report that exists is no
// "identifier" taken), else the field's own hint when the catalogue has
// one, a generic one otherwise. The field's hint alone said "Indica la
// denominazione." of a name typed with a control character in it.
func fieldMessage(field, reason string, c codes.Code) string {
	if reason != "" && hasMsg("violation."+reason+"."+field) {
		return msg("violation." + reason + "." + field)
	}
	if reason != "" && hasMsg("violation."+reason) {
		return msg("violation." + reason)
	}
	// A stale change names its invalid fields too (store.Modify).
	if (c == codes.InvalidArgument || c == codes.Aborted) && hasMsg("invalid."+field) {
		return msg("invalid." + field)
	}
	if c == codes.FailedPrecondition && hasMsg("refused."+field) {
		return msg("refused." + field)
	}
	return msg("invalid.generic")
}

// formError is true when err is a form's error (absorbed into f).
func formError(f *form, err error, prefix string) bool {
	return err != nil && f.absorb(err, prefix)
}

// submitted answers a form's write (Post/Redirect/Get): when err is the
// form's (absorbed into fm, its fields under prefix), the form again,
// rendered by again with 422 Unprocessable Entity; any other error, the
// error page; success, a redirect (303 See Other) to next, saying its
// notice.
func (a *App) submitted(w http.ResponseWriter, r *http.Request, s *session, fm *form, err error, prefix string, again func(code int), next landing) {
	switch {
	case formError(fm, err, prefix):
		again(http.StatusUnprocessableEntity)
	case err != nil:
		a.fail(w, r, s, err)
	default:
		seeOther(w, r, next)
	}
}

// landing is where a write leads (Post/Redirect/Get): the page, and the
// notice it says there once, a key of the catalogue's "ok." ("" for none).
type landing struct{ page, notice string }

// noticed is the landing at page that says the notice "ok.<ok>".
func noticed(page, ok string) landing { return landing{page, "ok." + ok} }

// seeOther redirects to next's page (303 See Other), which says next's
// notice once: the notice goes in the one-minute HttpOnly notice cookie
// (setNotice), which only this redirect sets, and which names next's page,
// the only one that takes it. It was the address's ?ok=, which anyone
// could write into a link.
func seeOther(w http.ResponseWriter, r *http.Request, next landing) {
	setNotice(w, r, next.notice, next.page)
	http.Redirect(w, r, next.page, http.StatusSeeOther)
}

// saidOnce are the query parameters a page acts on once, when it is
// asked for, and that an address built from its query must not carry
// again: the entry a rejected one starts the hours form from
// ("ripresenta"), and "ok", the notice an address said before notices
// went to their cookie (seeOther), now ignored. Kept, a form's address
// would fill the hours form with the rejected entry again once it is
// logged.
var saidOnce = []string{"ok", "ripresenta"}

// kept is r's query without the parameters said once (saidOnce): the page
// as it stands, its views, filters and the pages of its lists.
func kept(r *http.Request) url.Values {
	q := r.URL.Query()
	for _, k := range saidOnce {
		q.Del(k)
	}
	return q
}

// keptQuery is r's query as the tail of an address ("?passati=tutti"),
// "" for none, without the parameters said once (kept). It is the one way
// a page's forms come back to it: they carry it in their addresses, and
// the page they answer (asPage, withNotice) stands where it stood, its
// views and the pages of its lists. Before, a refusal shown again came
// back to the page's first view. The query is encoded again, never copied
// as sent, and the templates escape it as any value.
func keptQuery(r *http.Request) string { return queryTail(kept(r)) }

// queryTail is q as the tail of an address: "?" and q encoded, "" for none.
func queryTail(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// asPage is r as the page at path reads it, r's query kept (kept): the
// page a form posted to it answers again (a refusal, an address shown
// once), whose links (pagers, views) lead to the page, never to the
// form's address, which answers POST only, and which says no notice.
func asPage(r *http.Request, path string) *http.Request {
	p := r.Clone(r.Context())
	p.URL.Path, p.URL.RawPath, p.URL.RawQuery = path, "", kept(r).Encode()
	return p
}

// withNotice is the page at path with r's query (kept), saying the notice
// ok ("ok.<ok>"): where a form posted to it leads after its write
// (Post/Redirect/Get), the page as it was sent from.
func withNotice(path string, r *http.Request, ok string) landing {
	return noticed(path+keptQuery(r), ok)
}

func regionName(id string) string { return "regions/" + id }

// pathName is the name of the resource a page is about: the one of
// collection (a constant of internal/resource) in the session's region
// whose id is the request's path value wildcard. The value is taken as it
// is, unchecked: the service parses the name (aip.ParseName) and refuses
// an id holding a '/', so that an escaped "x/../../../veneto/..." never
// names a resource of another collection or region
// (TestHostilePathValuesNameNothingElse).
func pathName(r *http.Request, s *session, collection, wildcard string) string {
	return aip.Name(s.region, collection, r.PathValue(wildcard))
}

func regionList() []*famiv1.Region {
	var out []*famiv1.Region
	for _, r := range territory.Regions() {
		out = append(out, &famiv1.Region{Name: regionName(r.ID), DisplayName: r.DisplayName})
	}
	return out
}
