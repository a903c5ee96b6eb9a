package web

import (
	"net/http"
	"net/url"
)

// confirmField marks a confirmed action's POST as confirmed. The page's form
// does not carry it: app.js adds it once the user answers yes to the
// browser's dialog (the quick path), and the confirmation page's form
// carries it (the path without JavaScript).
const confirmField = "conferma"

// confirmation is what a confirmed action asks, as catalogue keys.
type confirmation struct {
	// Heading is the action's own question in a few words ("Revocare il
	// token?"): the confirmation page's heading and title. Before, every
	// confirmation was headed "Conferma l'operazione", the same for a
	// deletion as for a protocol opened to signature.
	Heading string
	// Question is the text the page's form names in data-confirm: the
	// question and what cannot be undone after it, which the script's
	// dialog asks and the confirmation page says under its heading.
	Question string
}

// confirmPage asks whether to go on with an action that cannot be undone,
// before it is done, for a browser that ran no script: the same question as
// the script's dialog, and a form that posts again what the page's form sent,
// confirmed.
type confirmPage struct {
	frame
	Question string
	Action   string
	Fields   []hidden
	// Back is the page the action was asked from, where "Annulla" leads.
	Back string
}

// confirmed makes fn an action that is done only once confirmed: a POST
// without confirmField answers the confirmation page, asking c and doing
// nothing. Before, a browser without JavaScript did the action at the
// first click: the dialog was the script's only.
func (a *App) confirmed(c confirmation, back func(r *http.Request) string, fn pageFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if r.PostFormValue(confirmField) == "1" {
			fn(w, r, s)
			return
		}
		// The form's own fields go again as they came (its etag, request
		// id, what the page showed) to the same address, as escaped, its
		// query too (the page's, keptQuery), the CSRF token from the
		// frame.
		p := &confirmPage{frame: a.newFrame(r, s, c.Heading), Question: msg(c.Question), Action: r.URL.RequestURI(), Back: back(r),
			Fields: hiddenFields(r.PostForm, csrfField, confirmField)}
		a.render(w, http.StatusOK, "confirm", p)
	}
}

// backToQuery is the page at path a confirmed action is asked from, with
// the page's query its form's address carries (keptQuery).
func backToQuery(path string) func(r *http.Request) string {
	return func(r *http.Request) string { return path + keptQuery(r) }
}

// backTo is the page a confirmed action is asked from: prefix, followed by
// the path's value named param when there is one ("/ore/" and the entry's
// id), with the page's query its form's address carries (keptQuery: an
// entry's page carries the hours page it was opened from).
func backTo(prefix, param string) func(r *http.Request) string {
	return func(r *http.Request) string {
		if param == "" {
			return prefix + keptQuery(r)
		}
		return prefix + url.PathEscape(r.PathValue(param)) + keptQuery(r)
	}
}
