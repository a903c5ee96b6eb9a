package auth_test

import (
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestUnknownProcedureIsDenied: a procedure without a row is refused, even
// to the ministry, even when its service's other procedures are public.
func TestUnknownProcedureIsDenied(t *testing.T) {
	pol := auth.Policy{famiv1.PartnerService_GetPartner_FullMethodName: auth.Public}
	err := pol.Authorize("/fami.v1.PartnerService/Nope", principal.Principal{Subject: "x", Role: principal.Ministry}, &famiv1.GetPartnerRequest{})
	if got, want := errs.CodeOf(err), errs.PermissionDenied; got != want {
		t.Fatalf("code = %v, want %v", got, want)
	}
}

// TestMergeRefusesTwoRules: two capabilities declaring one procedure, or a
// row without a rule, is a programming error the server must not start
// with; distinct rows merge into one policy.
func TestMergeRefusesTwoRules(t *testing.T) {
	get, list := famiv1.PartnerService_GetPartner_FullMethodName, famiv1.PartnerService_ListPartners_FullMethodName
	regional := auth.InRegion("parent", principal.RegionAdmin)
	merged, err := auth.Merge(auth.Policy{get: auth.Public}, auth.Policy{list: regional})
	if err != nil {
		t.Fatalf("distinct rows: %v", err)
	}
	if len(merged) != 2 || merged.Authorize(get, principal.Anonymous, &famiv1.GetPartnerRequest{}) != nil ||
		merged.Authorize(list, principal.Anonymous, &famiv1.ListPartnersRequest{}) == nil {
		t.Errorf("merged policy lost or changed a row: %d rows", len(merged))
	}
	if _, err := auth.Merge(auth.Policy{get: auth.Public}, auth.Policy{list: auth.Public}, auth.Policy{get: regional}); err == nil || !strings.Contains(err.Error(), get) {
		t.Errorf("a procedure declared twice: err = %v, want one naming %s", err, get)
	}
	if _, err := auth.Merge(auth.Policy{get: nil}); err == nil || !strings.Contains(err.Error(), get) {
		t.Errorf("a nil rule: err = %v, want one naming %s", err, get)
	}
	if _, err := auth.Merge(auth.Policy{get: nil}, auth.Policy{get: auth.Public}); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("a nil rule declared again: err = %v, want the procedure refused as declared twice", err)
	}
}

func TestInRegion(t *testing.T) {
	rule := auth.InRegion("partner.name", principal.RegionAdmin, principal.Ministry)
	req := &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: "regions/lombardia/partners/p"}}
	for _, tc := range []struct {
		name string
		p    principal.Principal
		req  *famiv1.UpdatePartnerRequest
		want errs.Code
		ok   bool
	}{
		{"anonymous", principal.Anonymous, req, errs.Unauthenticated, false},
		{"own region", principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "lombardia"}, req, 0, true},
		{"other region", principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "veneto"}, req, errs.PermissionDenied, false},
		{"ministry anywhere", principal.Principal{Subject: "m", Role: principal.Ministry}, req, 0, true},
		{"role not listed", principal.Principal{Subject: "c", Role: principal.Consultant, Region: "lombardia"}, req, errs.PermissionDenied, false},
		{"no name", principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "lombardia"}, &famiv1.UpdatePartnerRequest{}, errs.Invalid, false},
		{"prefix trick", principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "lombardia"},
			&famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: "regions/lombardiax/partners/p"}}, errs.PermissionDenied, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rule(tc.p, tc.req)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := errs.CodeOf(err); got != tc.want {
				t.Fatalf("code = %v (%v), want %v", got, err, tc.want)
			}
			if strings.Contains(err.Error(), "partners/p") && tc.want == errs.PermissionDenied {
				t.Errorf("a refusal names the resource: %v", err)
			}
		})
	}
}

// TestReadableDecidesByEveryRead: a type is readable only if each of its
// standard reads admits the caller: a type with a Get and no List (the
// monitoring settings) by its Get, a type with both by both; an Owned type
// only by the roles that read every record; a type no read serves, nobody.
func TestReadableDecidesByEveryRead(t *testing.T) {
	const settings, partner, tokens = "fami.v1.MonitoringSettings", "fami.v1.Partner", "fami.v1.CalendarToken"
	admins := auth.InRegion("name", principal.RegionAdmin)
	readers := auth.InRegion("parent", principal.Ministry, principal.RegionAdmin)
	pol := auth.Policy{
		famiv1.MonitoringService_GetMonitoringSettings_FullMethodName: admins,
		famiv1.PartnerService_GetPartner_FullMethodName:               admins, // its List lets the ministry: not enough
		famiv1.PartnerService_ListPartners_FullMethodName:             readers,
		famiv1.MeetingService_ListCalendarTokens_FullMethodName:       readers,
	}
	r := pol.Readable("fami.v1", auth.Owned{tokens: {principal.RegionAdmin}})
	types := []string{settings, partner, tokens, "fami.v1.Change"}
	for _, c := range []struct {
		p    principal.Principal
		want []string
	}{
		{principal.Principal{Subject: "m", Role: principal.Ministry}, []string{tokens, "fami.v1.Change", settings, partner}},
		{principal.Principal{Subject: "a", Role: principal.RegionAdmin, Region: "lombardia"}, []string{"fami.v1.Change"}},
		{principal.Principal{Subject: "v", Role: principal.RegionAdmin, Region: "veneto"}, []string{tokens, "fami.v1.Change", settings, partner}},
	} {
		if got := strings.Join(r.Hidden(c.p, "lombardia", types), " "); got != strings.Join(c.want, " ") {
			t.Errorf("%s of %s: hidden %q, want %q", c.p.Role, c.p.Region, got, strings.Join(c.want, " "))
		}
	}
	if !r.Resource(settings) || r.Resource("fami.v1.Change") {
		t.Errorf("Resource(%s) = %t, Resource(fami.v1.Change) = %t; want true, false", settings, r.Resource(settings), r.Resource("fami.v1.Change"))
	}
}

// TestSignedIn: any authenticated principal passes, whatever its role or
// region; an anonymous caller needs a token.
func TestSignedIn(t *testing.T) {
	req := &famiv1.LogoutRequest{}
	for _, p := range []principal.Principal{
		{Subject: "m", Role: principal.Ministry},
		{Subject: "a", Role: principal.RegionAdmin, Region: "lombardia"},
		{Subject: "system:x", Role: principal.RegionalSystem, Region: "veneto"},
	} {
		if err := auth.SignedIn(p, req); err != nil {
			t.Errorf("%s refused: %v", p.Subject, err)
		}
	}
	if err := auth.SignedIn(principal.Anonymous, req); errs.CodeOf(err) != errs.Unauthenticated {
		t.Errorf("anonymous: got %v, want UNAUTHENTICATED", err)
	}
}

// TestAnonymousRefusals: the procedures whose rule refuses an anonymous
// caller whatever it asks (SignedIn, InRegion) are listed with the
// refusal the rule gives, UNAUTHENTICATED; a public one is not, and
// every rule is asked without a request.
func TestAnonymousRefusals(t *testing.T) {
	pol := auth.Policy{
		"/s/Public":   auth.Public,
		"/s/SignedIn": auth.SignedIn,
		"/s/InRegion": auth.InRegion("parent", principal.Ministry),
	}
	got := pol.AnonymousRefusals()
	if _, ok := got["/s/Public"]; ok || len(got) != 2 {
		t.Fatalf("refusals of %v, want SignedIn's and InRegion's", got)
	}
	for procedure, err := range got {
		if errs.CodeOf(err) != errs.Unauthenticated {
			t.Errorf("%s: %v, want UNAUTHENTICATED", procedure, err)
		}
		if want := pol.Authorize(procedure, principal.Anonymous, &famiv1.ListPartnersRequest{Parent: "regions/lombardia"}); err.Error() != want.Error() {
			t.Errorf("%s: %v, want the rule's own refusal %v", procedure, err, want)
		}
	}
}
