package web

import (
	"net/http"
	"net/url"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
)

// accountsPage lists the region's accounts and service tokens, with the
// forms to create them. A new service token is shown once (Issued).
type accountsPage struct {
	frame
	Accounts []*famiv1.Account
	Tokens   []*famiv1.ServiceToken
	// The accounts and the tokens are paged each on its own (the tokens'
	// parameters start with "tok_").
	AccountPager, TokenPager *pager
	// Partners are the display names of the partners the page names: the
	// listed accounts' and the form's (partnerLabels), never the region's.
	Partners map[string]string
	// Partner is the new account's partner, a typed search showing the
	// partner's display name; PartnerOpts are its datalist's choices, a
	// bounded page of the partners matching it (partnerSuggestions).
	Partner     field
	PartnerOpts []option
	Roles       []option
	Form        *form
	TokenForm   *form
	Issued      string
	CanTokens   bool
	RequestID   string
	// Query is the page's query (keptQuery), which its forms' addresses
	// carry, so that the page a form answers, refused, done or a token
	// shown once, is the one it was sent from, its two lists where they
	// stood.
	Query string
}

// accountsPath is the accounts page's address, which its forms, posted to
// addresses of their own, answer (asPage, withNotice).
const accountsPath = "/account"

// accountRoles are the roles an account may have (the ministry and
// regional systems use tokens).
var accountRoles = []famiv1.Role{famiv1.Role_ROLE_REGION_ADMIN, famiv1.Role_ROLE_CONSULTANT, famiv1.Role_ROLE_NETWORK_MEMBER}

func (a *App) accountList(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderAccounts(w, r, s, http.StatusOK, newForm(nil), tokenForm(nil), "")
}

func tokenForm(v url.Values) *form {
	f := newForm(v)
	f.Prefix = "tok_"
	return f
}

func (a *App) renderAccounts(w http.ResponseWriter, r *http.Request, s *session, code int, fm, tf *form, issued string) {
	parent := regionName(s.region)
	p := &accountsPage{frame: a.newFrame(r, s, "accounts.title"), Form: fm, TokenForm: tf, Issued: issued, RequestID: newRequestID(), Query: keptQuery(r),
		CanTokens: s.can(a, famiv1.AuthService_ListServiceTokens_FullMethodName, &famiv1.ListServiceTokensRequest{Parent: parent})}
	var err error
	p.Accounts, p.AccountPager, err = readPage(s, r, "", msg("accounts.list"), a.auth.ListAccounts, &famiv1.ListAccountsRequest{Parent: parent},
		(*famiv1.ListAccountsResponse).GetAccounts, every)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	if p.CanTokens {
		p.Tokens, p.TokenPager, err = readPage(s, r, "tok_", msg("tokens.title"), a.auth.ListServiceTokens, &famiv1.ListServiceTokensRequest{Parent: parent},
			(*famiv1.ListServiceTokensResponse).GetServiceTokens, every)
		if err != nil {
			a.fail(w, r, s, err)
			return
		}
	}
	names := []string{fm.Get("partner")}
	for _, acc := range p.Accounts {
		names = append(names, acc.GetPartner())
	}
	if p.Partners, err = a.partnerLabels(s, names); err == nil {
		p.PartnerOpts, err = a.partnerSuggestions(s, fm.Get("partner"))
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p.Partner = searched(optional(fld(fm, "partner", "text", "accounts.partner", "hint.account_partner")), "partner-list")
	if label, ok := p.Partners[p.Partner.Value]; ok {
		p.Partner.Value = label
	}
	for _, role := range accountRoles {
		p.Roles = append(p.Roles, option{Value: role.String(), Label: msg("enum." + role.String())})
	}
	a.render(w, code, "accounts", p)
}

func (a *App) accountCreate(w http.ResponseWriter, r *http.Request, s *session) {
	fm := newForm(url.Values{"account_id": {r.PostFormValue("account_id")}, "display_name": {r.PostFormValue("display_name")},
		"role": {r.PostFormValue("role")}, "partner": {r.PostFormValue("partner")}, "email": {r.PostFormValue("email")}})
	again := func(code int) { a.renderAccounts(w, asPage(r, accountsPath), s, code, fm, tokenForm(nil), "") }
	if !a.partnerResolved(w, r, s, fm, "partner", "accounts.partner", again) {
		return
	}
	_, err := a.auth.CreateAccount(s.ctx, &famiv1.CreateAccountRequest{Parent: regionName(s.region), AccountId: r.PostFormValue("account_id"),
		Password: r.PostFormValue("password"), Account: &famiv1.Account{DisplayName: r.PostFormValue("display_name"),
			Role: famiv1.Role(famiv1.Role_value[r.PostFormValue("role")]), Partner: r.PostFormValue("partner"), Email: r.PostFormValue("email")}})
	a.submitted(w, r, s, fm, err, "account.", again, withNotice(accountsPath, r, "account_created"))
}

// accountDelete deletes an account; its sessions end at once (the
// services refuse tokens of a raised credential generation).
func (a *App) accountDelete(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := a.auth.DeleteAccount(s.ctx, &famiv1.DeleteAccountRequest{Name: pathName(r, s, resource.Accounts, "account")})
	a.afterAccounts(w, r, s, err, "account_deleted")
}

func (a *App) accountPassword(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := a.auth.SetAccountPassword(s.ctx, &famiv1.SetAccountPasswordRequest{Name: pathName(r, s, resource.Accounts, "account"),
		Password: r.PostFormValue("password")})
	a.afterAccounts(w, r, s, err, "password_set")
}

func (a *App) afterAccounts(w http.ResponseWriter, r *http.Request, s *session, err error, ok string) {
	fm := newForm(nil)
	a.submitted(w, r, s, fm, err, "", func(code int) { a.renderAccounts(w, asPage(r, accountsPath), s, code, fm, tokenForm(nil), "") },
		withNotice(accountsPath, r, ok))
}

// tokenCreate issues a service token for a regional system and shows it
// once.
func (a *App) tokenCreate(w http.ResponseWriter, r *http.Request, s *session) {
	tf := tokenForm(r.PostForm)
	res, err := a.auth.CreateServiceToken(s.ctx, &famiv1.CreateServiceTokenRequest{Parent: regionName(s.region),
		SystemId: r.PostFormValue("tok_system_id"), DisplayName: r.PostFormValue("tok_display_name")})
	if formError(tf, err, "") {
		a.renderAccounts(w, asPage(r, accountsPath), s, http.StatusUnprocessableEntity, newForm(nil), tf, "")
		return
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.renderAccounts(w, asPage(r, accountsPath), s, http.StatusOK, newForm(nil), tokenForm(nil), res.GetToken())
}

func (a *App) tokenRevoke(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := a.auth.RevokeServiceToken(s.ctx, &famiv1.RevokeServiceTokenRequest{Name: pathName(r, s, resource.ServiceTokens, "token")})
	a.afterAccounts(w, r, s, err, "token_revoked")
}
