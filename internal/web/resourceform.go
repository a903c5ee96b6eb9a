package web

import (
	"net/http"
	"net/url"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// resourceForm is the create-and-edit page of one kind of resource
// (partners, projects, networks, protocols, support entries, monitoring
// reports): how to read the one the path names, show it in the form's
// fields and render the page. Its methods answer the edit page and the
// creates, updates and deletes alike for every kind, so that each kind
// states only its own calls and fields.
type resourceForm[T any] struct {
	app    *App
	get    func(r *http.Request, s *session) (T, error)
	fields func(T) url.Values
	// read reads a submitted form as the resource it would save (cur is
	// the stored one, whose plan gives a report's form its rows): compare
	// lists no change where the typed value is another way of writing
	// the stored one ("1.234" for 1234).
	read func(v url.Values, cur T) T
	// rows, when set, places the service's violations of the lists the
	// form shows row by row (rowFault), read from the form as sent.
	rows func(v url.Values) rowFault
	// prefix is the request field that holds the resource ("partner."),
	// under which the service names the fields it refuses.
	prefix string
	// compared are the fields the form edits, listed after a stale update
	// or delete where the stored value differs from the one typed or shown
	// (form name -> catalogue key of the label; see form.compare). A field
	// left out would be saved over unseen when the re-shown form is
	// submitted.
	compared map[string]string
	// align, when set, puts a submitted form shown again on cur as it is
	// now, before it is compared with it: a report's form, whose rows
	// follow the project's plan, on the plan it will be shown with.
	align func(fm *form, cur T)
	// render renders the page with fm beside cur (the zero T on a create).
	render func(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form, cur T)
}

// edit renders the page of the stored resource: with fm nil, a form
// filled from it; else fm as submitted, beside what is stored now and
// compared with it, so that a stale edit can be compared and redone: the
// re-shown form keeps what was typed and carries the stored etag. A
// refused delete (deleted) shows the resource as stored, and, when stale,
// what changed since its page was loaded; a refused step (advised), the
// resource as stored.
func (rf resourceForm[T]) edit(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form) {
	cur, err := rf.get(r, s)
	if err != nil {
		rf.app.fail(w, r, s, err)
		return
	}
	stored := rf.fields(cur)
	switch {
	case fm == nil:
		fm = newForm(stored)
	case fm.kind == deleting:
		if sent(fm.Values, rf.compared) {
			fm.compare(stored, rf.fields(rf.read(fm.Values, cur)), rf.compared)
		}
		fm.Values = stored
	case fm.kind == acting:
		fm.Values = stored
	default:
		if rf.align != nil {
			rf.align(fm, cur)
		}
		fm.compare(stored, rf.fields(rf.read(fm.Values, cur)), rf.compared)
	}
	fm.seen = stored
	rf.render(w, r, s, code, fm, cur)
}

// fresh renders the form of a new resource with fm, answering code.
func (rf resourceForm[T]) fresh(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form) {
	var none T
	rf.render(w, r, s, code, fm, none)
}

// created answers a create's submit (see App.submitted): a refused form is
// shown again as typed (fresh), success goes to next.
func (rf resourceForm[T]) created(w http.ResponseWriter, r *http.Request, s *session, err error, next landing) {
	fm := rf.submittedForm(r)
	rf.app.submitted(w, r, s, fm, err, rf.prefix, func(code int) { rf.fresh(w, r, s, code, fm) }, next)
}

// updated answers an update's submit (see App.submitted): a refused form
// is shown again as typed beside what is stored now (edit), success goes
// to next.
func (rf resourceForm[T]) updated(w http.ResponseWriter, r *http.Request, s *session, err error, next landing) {
	fm := rf.submittedForm(r)
	rf.app.submitted(w, r, s, fm, err, rf.prefix, func(code int) { rf.edit(w, r, s, code, fm) }, next)
}

// submittedForm is the form r posted, its rows' violations placed (rows).
func (rf resourceForm[T]) submittedForm(r *http.Request) *form {
	fm := newForm(r.PostForm)
	if rf.rows != nil {
		fm.rows = rf.rows(r.PostForm)
	}
	return fm
}

// deleted answers a delete's submit (see App.submitted): refused, the page
// of the resource as stored now (edit), to be confirmed again; success
// goes to next. The delete form sends, beside the etag, the fields as its
// page showed them (the "seen" template), so that a stale delete lists
// what changed since.
func (rf resourceForm[T]) deleted(w http.ResponseWriter, r *http.Request, s *session, err error, next landing) {
	fm := newForm(r.PostForm)
	fm.kind = deleting
	rf.app.submitted(w, r, s, fm, err, rf.prefix, func(code int) { rf.edit(w, r, s, code, fm) }, next)
}

// acted answers a step of the resource's page that changes it as it is
// (archive it, make it active again; see App.submitted): refused, the
// page of the resource as stored now (edit), saying why, and, when stale,
// that it changed since; success goes to next.
func (rf resourceForm[T]) acted(w http.ResponseWriter, r *http.Request, s *session, err error, next landing) {
	fm := actionForm(r.PostForm)
	rf.app.submitted(w, r, s, fm, err, rf.prefix, func(code int) { rf.edit(w, r, s, code, fm) }, next)
}

// advised answers a step of the resource's page (a protocol opened for
// signature, a report submitted) that the service refused for values the
// step checks and cannot change (an invalid request naming the stored
// resource's fields, errs.Advise), written under older rules: the form
// that changes them comes back, filled from what is stored, the refused
// fields marked, and the advice (a catalogue key) as its message: fix
// them, save, then take the step again. The step's page, which shows no
// such field, asked to check fields it does not have. It reports false,
// having answered nothing, for any other error.
func (rf resourceForm[T]) advised(w http.ResponseWriter, r *http.Request, s *session, err error, advice string) bool {
	fm := actionForm(nil)
	fm.advice = advice
	if status.Code(err) != codes.InvalidArgument || !formError(fm, err, rf.prefix) || len(fm.Errors) == 0 {
		return false
	}
	rf.edit(w, r, s, http.StatusUnprocessableEntity, fm)
	return true
}

// readForm is a resourceForm's read for a kind whose form reads alone.
func readForm[T any](from func(url.Values) T) func(url.Values, T) T {
	return func(v url.Values, _ T) T { return from(v) }
}
