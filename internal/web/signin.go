package web

import (
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/territory"
)

type signInPage struct {
	frame
	Form    *form
	Next    string
	Warning string
	// Kept is the form sent once its session was over, which the sign-in
	// form carries, for either way of signing in (resend.go); nil for none.
	Kept *keptForm
	// TokenOpen opens the token sign-in section.
	TokenOpen bool
}

func (a *App) signInForm(w http.ResponseWriter, r *http.Request) {
	p := &signInPage{frame: a.newFrame(r, nil, "signin.title"), Form: newForm(nil), Next: localPath(r.URL.Query().Get("dopo"), r.Host)}
	// The sign-in page's own notices are warnings; a write's ("ok.")
	// is said as on any page.
	switch key := takeNotice(w, r); {
	case signInNotices[key]:
		p.Warning = msg(key)
	case key != "":
		p.Notice = msg(key)
	}
	a.render(w, http.StatusOK, "signin", p)
}

// signIn exchanges the username and password for a token through the
// existing Login call (its rate limits and uniform failure included) and
// keeps the token in the session cookie until it expires.
func (a *App) signIn(w http.ResponseWriter, r *http.Request) {
	if !a.readSignIn(w, r) {
		return
	}
	if r.PostFormValue("username") == "" && r.PostFormValue("password") == "" && r.PostFormValue("token") != "" {
		// The page's one form sent with Enter in its token field: the
		// browser presses the form's first button, the password's.
		a.tokenSignIn(w, r)
		return
	}
	// The form shown again keeps the username, never the password.
	fm := newForm(url.Values{"username": {r.PostFormValue("username")}})
	next := localPath(r.PostFormValue("dopo"), r.Host)
	res, err := a.auth.Login(callContext(r, ""), &famiv1.LoginRequest{
		Username: r.PostFormValue("username"), Password: r.PostFormValue("password"),
	})
	if err != nil {
		switch {
		case status.Code(err) == codes.Unauthenticated:
			// A wrong username or password is said on the form, not
			// taken for an expired session as other calls' refusals are.
			fm.Message = refusal(err)
		case !fm.absorb(err, ""):
			a.fail(w, r, nil, err)
			return
		}
		code := http.StatusUnprocessableEntity
		if d, ok := retryAfter(err); ok {
			// Too many failures: the form says so, and when to try again
			// (429 with Retry-After, as the API answers).
			code = http.StatusTooManyRequests
			setRetryAfter(w, d)
		}
		a.signInAgain(w, r, code, &signInPage{Form: fm, Next: next})
		return
	}
	a.signedIn(w, r, res.GetToken(), res.GetExpireTime(), next)
}

// signInWithToken opens a session with a bearer token instead of a
// password: the ministry and other principals without an account get
// theirs from famictl token create. The token is checked through WhoAmI,
// as every page checks it.
func (a *App) signInWithToken(w http.ResponseWriter, r *http.Request) {
	if a.readSignIn(w, r) {
		a.tokenSignIn(w, r)
	}
}

// tokenSignIn is signInWithToken once its form is read.
func (a *App) tokenSignIn(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("token")), "Bearer "))
	next := localPath(r.PostFormValue("dopo"), r.Host)
	me, err := a.auth.WhoAmI(callContext(r, token), &famiv1.WhoAmIRequest{})
	if token == "" || err != nil || me.GetRole() == famiv1.Role_ROLE_UNSPECIFIED {
		fm := newForm(nil)
		fm.Errors["token"] = msg("signin.token_invalid")
		fm.Message = msg("error.check_fields")
		a.signInAgain(w, r, http.StatusUnprocessableEntity, &signInPage{Form: fm, Next: next, TokenOpen: true})
		return
	}
	a.signedIn(w, r, token, me.GetExpireTime(), next)
}

// signInAgain answers a refused sign-in with p, its form: the form it
// carried still kept, and said so.
func (a *App) signInAgain(w http.ResponseWriter, r *http.Request, code int, p *signInPage) {
	p.frame = a.newFrame(r, nil, "signin.title")
	if p.Kept = carriedBySignIn(r); p.Kept != nil {
		p.Warning = msg("msg.session_over_kept")
	}
	a.render(w, code, "signin", p)
}

// readSignIn reads a sign-in form. There is no session yet, so no CSRF
// token: the form must come from this origin, or a forged one signs the
// victim in as the attacker (sameOrigin). It reports false when it has
// answered (403, or the refusal of a form it could not read).
func (a *App) readSignIn(w http.ResponseWriter, r *http.Request) bool {
	if !sameOrigin(r) {
		a.forbidden(w, r, nil)
		return false
	}
	return a.readForm(w, r, nil)
}

// signedIn opens the session: it keeps token in the session cookie until
// it expires (for the browser's session when it never does) and sends the
// browser on to next, the page it came for, or home; a sign-in that
// carries a kept form answers the page that offers to send it again.
func (a *App) signedIn(w http.ResponseWriter, r *http.Request, token string, expires *timestamppb.Timestamp, next string) {
	age := 0
	if expires != nil {
		age = maxAge(expires.AsTime(), a.now())
	}
	setCookie(w, r, sessionCookie, token, age)
	if k := carriedBySignIn(r); k != nil {
		a.resend(w, r, token, next, k)
		return
	}
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut ends the session: it revokes the token on the server (Logout),
// so a copied cookie or token stops working at once, then forgets it in
// this browser. If the server cannot revoke it, the cookie is cleared all
// the same and the sign-in page says that the token stays valid until it
// expires; a token the server already refuses (expired, revoked) needs
// no revoking. A browser without a session (signed out in another tab:
// the cookie is the browser's, not the tab's; or expired) has nothing to
// end, and is shown the sign-in page as signed out, where "Esci" answered
// "Accesso negato". A sign-out from another site is refused, with a
// cookie or without: it never carries the SameSite=Strict cookie, so the
// session it meant to end is live, and the page said "Sei uscito".
func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		a.forbidden(w, r, nil)
		return
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		a.signedOut(w, r, "msg.signed_out")
		return
	}
	if !a.readForm(w, r, nil) {
		return
	}
	if !csrfValid(r.PostFormValue(csrfField), c.Value) {
		a.forbidden(w, r, nil)
		return
	}
	notice := "msg.signed_out"
	if _, err := a.auth.Logout(callContext(r, c.Value), &famiv1.LogoutRequest{}); err != nil && status.Code(err) != codes.Unauthenticated {
		a.log.Error("sign out: the token was not revoked", "err", err)
		notice = "msg.signed_out_here_only"
	}
	clearCookie(w, r, sessionCookie)
	clearCookie(w, r, regionCookie)
	a.signedOut(w, r, notice)
}

// signedOut sends the browser to the sign-in page, which says notice.
func (a *App) signedOut(w http.ResponseWriter, r *http.Request, notice string) {
	setNotice(w, r, notice, "/accedi")
	http.Redirect(w, r, "/accedi", http.StatusSeeOther)
}

type homePage struct {
	frame
	// Region is the region's name as people write it ("Valle d'Aosta"),
	// not its id.
	Region  string
	Partner string
	// Name is whom the page greets: "" for a machine credential minted
	// without a name (personName), which the page greets as such. It was
	// greeted "Benvenuto, utenza tecnica", as though that were a name.
	Name string
}

func (a *App) home(w http.ResponseWriter, r *http.Request, s *session) {
	p := &homePage{frame: a.newFrame(r, s, "home.title"), Name: personName(s.who.Subject, s.who.Name())}
	if rg, ok := territory.LookupRegion(s.region); ok {
		p.Region = rg.DisplayName
	}
	if s.who.Partner != "" {
		// A partner deleted since leaves the page without its name; any
		// other error (a damaged record is DATA_LOSS) fails the page, as
		// every page's lookups do, rather than hide the partner silently.
		pt, err := a.partners.GetPartner(s.ctx, &famiv1.GetPartnerRequest{Name: s.who.Partner})
		switch {
		case err == nil:
			p.Partner = pt.GetDisplayName()
		case status.Code(err) != codes.NotFound:
			a.fail(w, r, s, err)
			return
		}
	}
	a.render(w, http.StatusOK, "home", p)
}

// switchRegion chooses the region a ministry user reads. It changes only
// what the pages ask for: the services decide what the user may read. A
// region that is none of Italy's is not found: chosen, every page of the
// region answered "page not found", and the home page's choice named no
// region, until another was chosen. A regional user reads the account's
// region whatever the cookie says (the session ignores it): their post, a
// stale page's or a forged one, goes home with no cookie and no "region
// changed", which it used to say though nothing had changed.
func (a *App) switchRegion(w http.ResponseWriter, r *http.Request, s *session) {
	if s.who.Role != principal.Ministry {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	id := r.PostFormValue("regione")
	if _, ok := territory.LookupRegion(id); !ok {
		a.notFound(w, r, s)
		return
	}
	setCookie(w, r, regionCookie, id, 0)
	seeOther(w, r, noticed("/", "region_changed"))
}
