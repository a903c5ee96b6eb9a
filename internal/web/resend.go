package web

import (
	"encoding/base64"
	"io/fs"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// A form sent once its session is over (expired while it was filled,
// signed out in another tab, revoked) is kept through the sign-in, and
// sent again only when its user says so (ADR 0028):
//
//  1. page answers such a POST, from this site only (sameOrigin), with the
//     sign-in page itself, whose one form (a password or a token: two
//     buttons) carries the fields it sent in hidden fields (keptField and
//     its companions), once, base64url-encoded. They live in the
//     page, not in the server: nothing to bound per user or to share
//     between the famid processes behind one address (etcd), nothing lost
//     to a restart, and no address that hands them to whoever holds it.
//  2. The sign-in, once it succeeds, answers the "send again" page
//     (resendPage): what will be sent, listed, and a form that sends it
//     to the address it was meant for, with the new session's CSRF token.
//     Nothing is written until the user presses it.
//  3. The fields go back only to the user who filled them: the form's
//     CSRF token is tagged with its subject (csrfToken). Another user
//     signing in at that browser is told that the form was someone
//     else's, and is shown none of it.
//
// What is never kept: the CSRF token (the new session's goes instead), a
// password (unkept), the confirmation of a confirmed action (its own page
// asks again), files (no form sends any: readForm refuses a multipart
// body), a form of more than maxKept bytes URL-encoded (the sign-in page
// then only says it was not saved), and an address that is not this
// site's pages. The fields go into the page once, base64url-encoded,
// which html/template has nothing to escape in: the page holds at most
// 4/3 of maxKept of them. They were URL-encoded in each of the page's two
// forms, where escaping made every "&", "+" and "=" five bytes: a form
// within the bound made a page of up to ten times it.
const (
	keptField  = "ripresa"           // the form's fields, URL-encoded, then base64url
	keptAction = "ripresa_indirizzo" // the address it was sent to
	keptAuthor = "ripresa_autore"    // authorTag of who filled it
	maxKept    = 128 << 10
)

// unkept are the fields a kept form never holds.
var unkept = map[string]bool{csrfField: true, confirmField: true, "password": true}

// keptForm is a form sent without a live session, kept for its user.
type keptForm struct {
	Action string
	Author string
	values url.Values
}

// Encoded is the form's fields as its hidden field holds them.
func (k *keptForm) Encoded() string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.values.Encode()))
}

// newKept is the kept form of values sent to action by author, or nil
// when it cannot be kept: an address not of this site's pages (the sign-in
// and sign-out are none), nothing left to send, or too much.
func newKept(action, author string, values url.Values) *keptForm {
	// The path as the mux routes it, unescaped: /%65sci is /esci.
	u, err := url.Parse(action)
	if action == "" || err != nil || strings.HasPrefix(u.Path, "/accedi") || strings.HasPrefix(u.Path, "/esci") {
		return nil
	}
	kept := url.Values{}
	for name, v := range values {
		if !unkept[name] {
			kept[name] = v
		}
	}
	if len(kept) == 0 || len(kept.Encode()) > maxKept {
		return nil
	}
	return &keptForm{Action: action, Author: author, values: kept}
}

// sentWithoutSession is the form of r, a POST page admitted without a
// live session, as it can be kept; nil when it cannot.
func sentWithoutSession(r *http.Request) *keptForm {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		return nil
	}
	return newKept(localPath(r.URL.RequestURI(), r.Host), formAuthor(r.PostFormValue(csrfField)), r.PostForm)
}

// carriedBySignIn is the kept form a sign-in form carries, checked again
// as it was when kept (the sign-in's fields are the browser's to change);
// nil when it carries none.
func carriedBySignIn(r *http.Request) *keptForm {
	raw := r.PostFormValue(keptField)
	if raw == "" || base64.RawURLEncoding.DecodedLen(len(raw)) > maxKept {
		return nil
	}
	encoded, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil
	}
	values, err := url.ParseQuery(string(encoded))
	if err != nil {
		return nil
	}
	return newKept(localPath(r.PostFormValue(keptAction), r.Host), r.PostFormValue(keptAuthor), values)
}

// keepForSignIn answers r, a form from this site sent without a live
// session, with the sign-in page, which keeps what it sent. The address
// stays the form's: reloaded, it shows this page again, and saves nothing.
func (a *App) keepForSignIn(w http.ResponseWriter, r *http.Request) {
	p := &signInPage{frame: a.newFrame(r, nil, "signin.title"), Form: newForm(nil), Next: returnTo(r), Warning: msg("msg.session_over_unsaved")}
	if p.Kept = sentWithoutSession(r); p.Kept != nil {
		p.Warning = msg("msg.session_over_kept")
	}
	a.render(w, http.StatusOK, "signin", p)
}

// resendPage is the first page after a sign-in that carried a kept form:
// what the form will send, and the form that sends it; or, when the form
// was another user's (Other), only that it was not kept.
type resendPage struct {
	frame
	Other  bool
	Action string
	Fields []hidden
	// Shown is what the user typed or chose, labelled, as the page lists
	// it.
	Shown []hidden
	// Back is the page the form was sent from, or home.
	Back string
}

// resend answers a sign-in that carried k: the signed-in user's "send
// again" page for it, or the page saying that it was another user's.
func (a *App) resend(w http.ResponseWriter, r *http.Request, token, next string, k *keptForm) {
	if next == "" {
		next = "/"
	}
	s, err := a.sessionOf(r, token)
	if err != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p := &resendPage{Back: next}
	if k.Author == "" || k.Author != authorTag(s.who.Subject) {
		p.frame, p.Other = a.newFrame(r, s, "resend.other_title"), true
		a.render(w, http.StatusOK, "resend", p)
		return
	}
	p.frame, p.Action, p.Fields, p.Shown = a.newFrame(r, s, "resend.title"), k.Action, hiddenFields(k.values), shownFields(k.values)
	a.render(w, http.StatusOK, "resend", p)
}

// bookkeeping are the fields a form sends that the user neither typed nor
// chose: the page does not list them, and sends them all the same.
var bookkeeping = map[string]bool{"request_id": true, "etag": true, "content_hash": true, saveField: true, searchField: true, "meetings_network": true}

// companion reports whether name is the hidden companion of a field the
// form showed, what it named or showed when the page was drawn (search.go's
// field_was and field_shown, a row's was, shown and role_shown: rows.go,
// network_edit.go): bookkeeping too, whatever the field.
func companion(name string) bool {
	last := name[strings.LastIndex(name, ".")+1:]
	return last == "was" || last == "shown" || strings.HasSuffix(last, "_was") || strings.HasSuffix(last, "_shown")
}

// shownFields are the non-empty values of v that the user typed or chose,
// in order of name: labelled as the forms label them (formLabels), a
// choice's value as its label.
func shownFields(v url.Values) []hidden {
	var out []hidden
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if bookkeeping[name] || companion(name) || strings.HasPrefix(name, searchedPrefix) {
			continue
		}
		label := name
		if key, ok := formLabels()[name]; ok {
			label = msg(key)
		}
		for _, x := range v[name] {
			if x == "" {
				continue
			}
			if hasMsg("enum." + x) {
				x = msg("enum." + x)
			}
			out = append(out, hidden{label, x})
		}
	}
	return out
}

// formLabels are the catalogue keys of the labels the forms give their
// fields, by name: a template's fld call names both, and a select's label
// is the catalogue's field.<name>. Where forms label one name differently
// (notes, reason), field.<name> is taken when it is one of them, else the
// first met. Only field.<name> was looked up, and most fields were listed
// under their raw names (duration_minutes, start_time).
var formLabels = sync.OnceValue(func() map[string]string {
	labels := map[string]string{}
	for key := range catalogue {
		if name, ok := strings.CutPrefix(key, "field."); ok {
			labels[name] = key
		}
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err) // a constant pattern: never
	}
	named := map[string]bool{}
	for _, f := range files {
		b, err := fs.ReadFile(templateFS, f)
		if err != nil {
			panic(err) // an embedded file Glob listed: never
		}
		for _, m := range fldCall.FindAllStringSubmatch(string(b), -1) {
			name, key := m[1], m[2]
			if !named[name] || key == "field."+name {
				labels[name], named[name] = key, true
			}
		}
	}
	return labels
})

// fldCall is a template's call of fld with a literal field name and label.
var fldCall = regexp.MustCompile(`\(fld \.Form "([^"]+)" "[^"]*" "([^"]+)"`)
