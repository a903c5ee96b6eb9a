package accounts

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// The account rights of DESIGN.md section 6: logging in is public, and
// WhoAmI answers "anonymous" to a caller without a token. The ministry
// keeps the accounts of every region, a region admin those of their own;
// CreateAccount (accounts.go) checks which roles an account may be given
// (never the ministry's through the API). Service tokens of a region's IT
// systems are the region admin's alone. Every signed-in caller may log
// out, which revokes only the token it presents.
var (
	accountAdmins = []principal.Role{principal.Ministry, principal.RegionAdmin}
	tokenAdmins   = []principal.Role{principal.RegionAdmin}
)

// Rights are the rows of the rights table for the AuthService's RPCs.
func Rights() auth.Policy {
	return auth.Policy{
		famiv1.AuthService_Login_FullMethodName:              auth.Public,
		famiv1.AuthService_WhoAmI_FullMethodName:             auth.Public,
		famiv1.AuthService_Logout_FullMethodName:             auth.SignedIn,
		famiv1.AuthService_CreateAccount_FullMethodName:      auth.InRegion("parent", accountAdmins...),
		famiv1.AuthService_GetAccount_FullMethodName:         auth.InRegion("name", accountAdmins...),
		famiv1.AuthService_ListAccounts_FullMethodName:       auth.InRegion("parent", accountAdmins...),
		famiv1.AuthService_DeleteAccount_FullMethodName:      auth.InRegion("name", accountAdmins...),
		famiv1.AuthService_SetAccountPassword_FullMethodName: auth.InRegion("name", accountAdmins...),
		famiv1.AuthService_CreateServiceToken_FullMethodName: auth.InRegion("parent", tokenAdmins...),
		famiv1.AuthService_ListServiceTokens_FullMethodName:  auth.InRegion("parent", tokenAdmins...),
		famiv1.AuthService_RevokeServiceToken_FullMethodName: auth.InRegion("name", tokenAdmins...),
	}
}
