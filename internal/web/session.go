package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/territory"
)

// The session cookie holds the bearer token Login returned, and nothing
// else: the token is the session. Every page sends it to the services, whose
// verifier checks its signature, expiry and the account's credential
// generation, so a deleted account or a changed password ends the session
// on the next click, and no session state lives in the server.
const (
	sessionCookie = "raccordo_sessione"
	regionCookie  = "raccordo_regione"
	csrfField     = "csrf"
)

// session is a signed-in user's request: the token, who it names (as the
// pipeline verified it) and the region the pages show.
type session struct {
	token  string
	who    principal.Principal
	region string
	csrf   string
	ctx    context.Context
	// notice is the text of the notice the page says once (takeNotice),
	// read from the request of a page (a GET); "" for none.
	notice string
}

// owns reports whether text is the name of a resource of collection in
// the session's region, and its id: the only names a page asks the
// services about, since any other text (forged, or another region's name)
// would be refused, or read across regions, rather than shown as it is.
func (s *session) owns(text, collection string) (id string, ok bool) {
	r, id, err := aip.ParseName("", text, collection)
	return id, err == nil && r == s.region
}

// csrfToken derives the anti-forgery token from the session token. Forms
// carry it in a hidden field; a cross-site page can neither read the cookie
// (HttpOnly, SameSite=Strict) nor the field, so it cannot forge the pair.
// It opens with the tag of the session's subject (authorTag): a form sent
// once its session is over still says whose it was, so that its values go
// back to the same user only (resend.go). The tag is no secret and checks
// nothing: only the part after it, which the token alone derives, does.
func csrfToken(token, subject string) string {
	return authorTag(subject) + "." + tokenMAC(token)
}

func tokenMAC(token string) string {
	sum := sha256.Sum256([]byte("raccordo csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorTag names a subject in a form without spelling it.
func authorTag(subject string) string {
	sum := sha256.Sum256([]byte("raccordo form author\x00" + subject))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// csrfValid reports whether posted is a CSRF token of the session token,
// whichever subject it is tagged with, or none: a form shown before the
// tag was added still sends its session's MAC alone.
func csrfValid(posted, token string) bool {
	mac := posted
	if _, m, ok := strings.Cut(posted, "."); ok {
		mac = m
	}
	return subtle.ConstantTimeCompare([]byte(mac), []byte(tokenMAC(token))) == 1
}

// formAuthor is the author tag a form's CSRF token opens with, "" when it
// has none.
func formAuthor(posted string) string {
	tag, _, ok := strings.Cut(posted, ".")
	if !ok {
		return ""
	}
	return tag
}

// callContext is the context of a call to the services on behalf of a
// browser: the bearer token, and the client's address as the gateway passes
// it (the pipeline reads the last X-Forwarded-For entry of in-process calls).
func callContext(r *http.Request, token string) context.Context {
	md := metadata.Pairs("x-forwarded-for", clientHost(r))
	if token != "" {
		md.Set("authorization", "Bearer "+token)
	}
	return metadata.NewOutgoingContext(r.Context(), md)
}

func clientHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

type pageFunc func(w http.ResponseWriter, r *http.Request, s *session)

// page admits a browser request: it needs a session whose token the
// services still accept (WhoAmI through the pipeline), and a state-changing
// request needs the session's CSRF token and must come from this origin.
// Without a valid session the user goes to the sign-in page, which brings
// them back to where they were going (sessionOver).
func (a *App) page(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			a.sessionOver(w, r, "")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			a.forbidden(w, r, nil)
			return
		}
		s, err := a.sessionOf(r, c.Value)
		if err != nil {
			if status.Code(err) == codes.Unauthenticated {
				clearCookie(w, r, sessionCookie)
				a.sessionOver(w, r, "msg.session_expired")
				return
			}
			a.fail(w, r, nil, err)
			return
		}
		if key := takeNotice(w, r); strings.HasPrefix(key, "ok.") {
			s.notice = msg(key)
		}
		if r.Method == http.MethodPost {
			if !a.readForm(w, r, s) {
				return
			}
			if !csrfValid(r.PostFormValue(csrfField), s.token) {
				a.forbidden(w, r, s)
				return
			}
		}
		fn(w, r, s)
	})
}

// sessionOf is the session of token, as the services name its principal
// (WhoAmI); Unauthenticated when they no longer accept it.
func (a *App) sessionOf(r *http.Request, token string) (*session, error) {
	ctx := callContext(r, token)
	me, err := a.auth.WhoAmI(ctx, &famiv1.WhoAmIRequest{})
	if err == nil && me.GetRole() == famiv1.Role_ROLE_UNSPECIFIED {
		err = status.Error(codes.Unauthenticated, "no principal")
	}
	if err != nil {
		return nil, err
	}
	s := &session{token: token, csrf: csrfToken(token, me.GetSubject()), ctx: ctx, who: principal.Principal{
		Subject: me.GetSubject(), Role: accounts.RoleOf(me.GetRole()), Region: strings.TrimPrefix(me.GetRegion(), "regions/"),
		Partner: me.GetPartner(), DisplayName: me.GetDisplayName(),
	}}
	s.region = s.who.Region
	if s.who.Role == principal.Ministry {
		s.region = territory.Regions()[0].ID
		if rc, err := r.Cookie(regionCookie); err == nil {
			if _, ok := territory.LookupRegion(rc.Value); ok {
				s.region = rc.Value
			}
		}
	}
	return s, nil
}

// sessionOver answers a request page admits without a live session: a
// read goes to the sign-in page, saying notice; a form from this site is
// answered the sign-in page itself, which keeps what the form sent
// (keepForSignIn); a form from another site is refused. It used to send
// every form to the sign-in page saying that what it sent was not saved,
// and the typed values were lost; a cross-site one (which never carries
// the SameSite=Strict cookie) got the same words, though nothing of the
// user's had been sent.
func (a *App) sessionOver(w http.ResponseWriter, r *http.Request, notice string) {
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		a.toSignIn(w, r, notice)
	case !sameOrigin(r):
		a.forbidden(w, r, nil)
	default:
		a.keepForSignIn(w, r)
	}
}

// readForm reads a POST's form, the only body the application takes: a
// URL-encoded form within the HTTP port's size limit. Anything else is
// answered here, naming what is wrong (413 for a form too large, 415 for
// another kind of body, 400 for one that does not decode), and it reports
// false. Before, such a form read as empty, and its missing CSRF token
// answered "Accesso negato"; a multipart body was parsed, to a temporary
// file, before that. A form no page sends (wellFormed: a field sent twice,
// rows that are no rows) is 400 too, naming the field.
func (a *App) readForm(w http.ResponseWriter, r *http.Request, s *session) bool {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		a.renderError(w, r, s, http.StatusUnsupportedMediaType, "error.form_unreadable", "error.form_unreadable_detail")
		return false
	}
	err := r.ParseForm()
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return a.wellFormed(w, r, s)
	case errors.As(err, &tooLarge):
		a.renderError(w, r, s, http.StatusRequestEntityTooLarge, "error.form_too_large", "error.form_too_large_detail")
	default:
		a.renderError(w, r, s, http.StatusBadRequest, "error.form_unreadable", "error.form_unreadable_detail")
	}
	return false
}

// wellFormed refuses, with 400 naming the field, a read form that no page
// sends: one with a field sent twice that a page sends once
// (repeatedField), or one whose rows renumberRows refuses (a row that is
// not a number, too many rows); renumberRows numbers every other form's
// rows from 0.
func (a *App) wellFormed(w http.ResponseWriter, r *http.Request, s *session) bool {
	heading, detail := "error.form_repeated", ""
	if name, repeated := repeatedField(r.PostForm); repeated {
		detail = msgf("error.form_repeated_detail", errs.Clip(name, errs.MaxEcho))
	} else if detail = renumberRows(r.PostForm); detail != "" {
		heading = "error.form_unreadable"
	} else {
		return true
	}
	a.render(w, http.StatusBadRequest, "error", &errorPage{frame: a.newFrame(r, s, heading), Heading: msg(heading), Detail: detail})
	return false
}

// listFields are the fields a form may send more than once: its groups of
// checkboxes (a network's projects, an entry's topics, the approvals'
// entries, a protocol's other networks) and the records an amendment
// leaves out. TestRepeatedFieldsAreListed reads them off the templates.
var listFields = map[string]bool{"projects": true, "topics": true, "voce": true, "additional_networks": true, "remove_parties": true,
	"remove_additional_networks": true}

// repeatedField is the first field, by name, that v holds more than once
// and is not one of listFields. A page's form sends each other field once;
// read first-wins, a second value, from a hostile or broken form, was
// dropped without a word.
func repeatedField(v url.Values) (string, bool) {
	first, found := "", false
	for name, values := range v {
		if len(values) > 1 && !listFields[name] && (!found || name < first) {
			first, found = name, true
		}
	}
	return first, found
}

// sameOrigin refuses what the browser says is a cross-site request:
// net/http's CrossOriginProtection (Fetch metadata, then Origin), which
// also refuses an opaque "null" Origin (a sandboxed frame's, or a data:
// page's, on a browser without Fetch metadata): the hand-written check it
// replaces let that through, and with it a forged sign-in (login CSRF:
// the victim signed in as the attacker, on /accedi/token). The CSRF token
// is the check that does not rely on the browser.
func sameOrigin(r *http.Request) bool { return crossOrigin.Check(r) == nil }

var crossOrigin = http.NewCrossOriginProtection()

// toSignIn redirects to the sign-in page, remembering the page asked for
// (a GET; after a POST the user returns to the page that posted it). The
// page says notice, a catalogue key, once (noticeCookie).
func (a *App) toSignIn(w http.ResponseWriter, r *http.Request, notice string) {
	target := "/accedi"
	if next := returnTo(r); next != "" && next != "/" {
		target += "?" + url.Values{"dopo": {next}}.Encode()
	}
	setNotice(w, r, notice, target)
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// returnTo is the page to come back to after signing in: the one asked
// for, or for a form the page that sent it ("" when it is not this site's).
func returnTo(r *http.Request) string {
	if r.Method != http.MethodGet {
		return localPath(r.Referer(), r.Host)
	}
	return r.URL.RequestURI()
}

// noticeCookie carries the notice of the page a redirect leads to (a
// catalogue key) for the one answer of that page: the sign-in page's ("Sei
// uscito") and every page's after a write ("Partner creato", seeOther).
// The cookie names the page it is meant for (setNotice), and only that
// page takes it (takeNotice): it went to the first page read within its
// minute, so a page opened meanwhile in another tab, or the sign-in page
// of a session that ended on the way, said "Partner creato" (in the
// sign-in page's warning style) and the page it was meant for said
// nothing. A notice in the address (?avviso=, ?ok=, as they were) was
// anyone's to write: a link from another site, or its POST to /esci (which
// carries no SameSite=Strict cookie, so the session stayed live), made the
// page say "Sei uscito" when no sign-out had happened, or "Partner creato"
// when nothing was saved.
const noticeCookie = "raccordo_avviso"

// signInNotices are the keys of the sign-in page's notices, said in its
// warning style; every other notice is a key of the catalogue's "ok."
// (noticeKey), said in the success style wherever it lands. No other text
// is shown, whatever the cookie holds.
var signInNotices = map[string]bool{
	"msg.session_expired":      true,
	"msg.signed_out":           true,
	"msg.signed_out_here_only": true,
}

// noticeKey reports whether key names a notice the pages say.
func noticeKey(key string) bool {
	return signInNotices[key] || (strings.HasPrefix(key, "ok.") && hasMsg(key))
}

// setNotice has the page at landing, the address the answer redirects to,
// say notice, a catalogue key, if any.
func setNotice(w http.ResponseWriter, r *http.Request, notice, landing string) {
	if notice != "" {
		setCookie(w, r, noticeCookie, url.Values{"avviso": {notice}, "pagina": {landing}}.Encode(), 60)
	}
}

// takeNotice is the key of the notice meant for the page r reads (a GET
// of the address setNotice named), once: the cookie is cleared. A notice
// meant for another page is left for it; "" for none.
func takeNotice(w http.ResponseWriter, r *http.Request) string {
	if r.Method != http.MethodGet {
		return ""
	}
	c, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	v, err := url.ParseQuery(c.Value)
	if err != nil || !sameAddress(r.URL, v.Get("pagina")) {
		return ""
	}
	clearCookie(w, r, noticeCookie)
	if key := v.Get("avviso"); noticeKey(key) {
		return key
	}
	return ""
}

// sameAddress reports whether u is the page at landing, a local address
// as a redirect names it: the same path, cleaned as http.Redirect cleans
// it, and the same query, whatever the order or escaping of its values.
func sameAddress(u *url.URL, landing string) bool {
	l, err := url.Parse(landing)
	if err != nil || l.Path == "" {
		return false
	}
	return path.Clean(l.Path) == path.Clean(u.Path) && l.Query().Encode() == u.Query().Encode()
}

// localPath returns the path and query of raw when it names a page of this
// site, and "" otherwise, so a crafted return address cannot send the user
// to another site after signing in.
func localPath(raw, host string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Host != "" && u.Host != host) || u.User != nil {
		return ""
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
		return ""
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// setCookie sets a cookie for maxAge seconds, or for the browser's session
// when maxAge is 0.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overHTTPS(r),
	})
}

// maxAge is the Max-Age of a cookie that should last until expires on the
// server's clock (now), at least a second. The browser counts Max-Age from
// when it got the cookie, on its own clock, while it compares Expires with
// its clock: a browser whose clock differs from the server's (or a test
// server's, which starts at a fixed instant) would keep an Expires cookie
// too long, or drop it at once.
func maxAge(expires, now time.Time) int {
	return max(1, int(math.Ceil(expires.Sub(now).Seconds())))
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overHTTPS(r),
	})
}

// overHTTPS reports whether the browser reached the site over HTTPS, so
// that the session cookie (a bearer token of the whole API) is Secure and
// never sent in clear. famid serves plain HTTP behind a proxy that ends
// TLS, which says so (X-Forwarded-Proto, or Forwarded's proto): r.TLS
// alone is never set there, and the cookie went out without Secure. A
// client that claims HTTPS falsely only makes its own cookie stricter.
func overHTTPS(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return true
	}
	for _, f := range strings.FieldsFunc(r.Header.Get("Forwarded"), func(c rune) bool { return c == ';' || c == ',' }) {
		if k, v, _ := strings.Cut(strings.TrimSpace(f), "="); strings.EqualFold(k, "proto") && strings.EqualFold(strings.Trim(v, `"`), "https") {
			return true
		}
	}
	return false
}

// validID reports whether s looks like a resource id (it goes into a
// resource name; the services validate it again).
func validID(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
