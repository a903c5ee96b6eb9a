package registry_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/errs/errstest"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/territory"
)

// municipalitiesFile is ISTAT's list, kept beside the repository.
const municipalitiesFile = "../../../shared/data/comuni-istat.csv"

// newRegistry returns the registry over a real bbolt store in a temporary
// directory, with Lombardia and Veneto, and ISTAT's municipality list.
func newRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia", "veneto"}})
	munis, err := territory.LoadMunicipalitiesFile(municipalitiesFile)
	if err != nil {
		t.Fatal(err)
	}
	return registry.New(s, munis)
}

// admin acts as Lombardia's region admin.
func admin(ctx context.Context) context.Context {
	return principal.With(ctx, principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
}

const (
	lombardia = "regions/lombardia"
	milano    = "regions/lombardia/partners/comune-milano"
	ufficio   = "regions/lombardia/partners/ufficio-piano"
	project   = "regions/lombardia/projects/p1"
)

func TestPartnerRules(t *testing.T) {
	reg := newRegistry(t)
	partners := reg.Partners()
	ctx := admin(t.Context())
	if _, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "ufficio-piano", Partner: &famiv1.Partner{
		DisplayName: "Ufficio di Piano di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, FiscalCode: "80034840167"}}); err != nil {
		t.Fatal(err)
	}
	municipality := func(code string) *famiv1.Partner {
		return &famiv1.Partner{DisplayName: "Comune", Kind: famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY, IstatCode: code}
	}
	for _, tt := range []struct {
		name    string
		parent  string
		partner *famiv1.Partner
		code    errs.Code
		reason  errs.Reason
		field   string
	}{
		{name: "a municipality of the region", parent: lombardia, partner: municipality("015146")},
		{name: "a municipality without its ISTAT code", parent: lombardia, partner: municipality(""), code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner.istat_code"},
		{name: "a municipality of another region", parent: lombardia, partner: municipality("027042"), code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner.istat_code"},
		{name: "an ISTAT code of five digits", parent: lombardia, partner: municipality("15146"), code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner.istat_code"},
		{name: "an ISTAT code no municipality has", parent: lombardia, partner: municipality("015999"), code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner.istat_code"},
		{name: "an ISTAT code on a plan office", parent: lombardia, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner.istat_code",
			partner: &famiv1.Partner{DisplayName: "Ufficio", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, IstatCode: "015146"}},
		{name: "a municipality listed twice in the area", parent: lombardia, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner.municipalities[1]",
			partner: &famiv1.Partner{DisplayName: "Ufficio", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, Municipalities: []string{"015146", "015146"}}},
		{name: "no kind", parent: lombardia, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner.kind",
			partner: &famiv1.Partner{DisplayName: "Ente"}},
		{name: "a fiscal code with a wrong check digit", parent: lombardia, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner.fiscal_code",
			partner: &famiv1.Partner{DisplayName: "Ente", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER, FiscalCode: "01199250159"}},
		{name: "a fiscal code taken in the region", parent: lombardia, code: errs.AlreadyExists, reason: "FISCAL_CODE_TAKEN", field: "partner.fiscal_code",
			partner: &famiv1.Partner{DisplayName: "Ente", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER, FiscalCode: "80034840167"}},
		{name: "the same fiscal code in another region", parent: "regions/veneto",
			partner: &famiv1.Partner{DisplayName: "Ente", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER, FiscalCode: "80034840167"}},
		{name: "a region the store does not hold", parent: "regions/piemonte", code: errs.NotFound, reason: "NOT_FOUND",
			partner: &famiv1.Partner{DisplayName: "Ente", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}},
		{name: "no partner", parent: lombardia, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "partner"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: tt.parent, Partner: tt.partner})
			if tt.reason != "" {
				errstest.WantField(t, err, tt.code, tt.reason, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := partners.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: p.GetName()})
			if err != nil || !proto.Equal(got, p) {
				t.Errorf("GetPartner %s: %v, %v; want what CreatePartner returned", p.GetName(), got, err)
			}
		})
	}
}

// TestReferences checks the references between partners, projects and
// networks: a network names existing partners and projects of its region,
// and what a network or project names cannot be deleted under it.
func TestReferences(t *testing.T) {
	reg := newRegistry(t)
	ctx := admin(t.Context())
	partners, projects, networks := reg.Partners(), reg.Projects(), reg.Networks()
	for _, id := range []string{"comune-milano", "ufficio-piano"} {
		if _, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id, Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "p1", Project: &famiv1.Project{
		Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2023-01-01", EndDate: "2025-12-31", Beneficiary: milano,
		Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Corsi"}}}}); err != nil {
		t.Fatal(err)
	}
	network := func(lead string, members ...*famiv1.Member) *famiv1.Network {
		return &famiv1.Network{DisplayName: "Rete", LeadPartner: lead, Members: members}
	}
	lead := &famiv1.Member{Partner: milano, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}
	for _, tt := range []struct {
		name    string
		network *famiv1.Network
		field   string
	}{
		{"no members", network(milano), "network.members"},
		{"a lead that is not a member", network(ufficio, lead), "network.lead_partner"},
		{"a lead that is only a partner", network(ufficio, lead, &famiv1.Member{Partner: ufficio, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}), "network.lead_partner"},
		{"two leads", network(milano, lead, &famiv1.Member{Partner: ufficio, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}), "network.members"},
		{"a member listed twice", network(milano, lead, lead), "network.members[1].partner"},
		{"a member that does not exist", network(milano, lead, &famiv1.Member{Partner: "regions/lombardia/partners/nessuno", Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}), "network.members[1].partner"},
		{"a member of another region", network(milano, lead, &famiv1.Member{Partner: "regions/veneto/partners/comune-venezia", Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}), "network.members[1].partner"},
		{"a project action the project lacks", &famiv1.Network{DisplayName: "Rete", LeadPartner: milano, Members: []*famiv1.Member{lead},
			Projects: []*famiv1.NetworkProject{{Project: project, Actions: []string{"02"}}}}, "network.projects[0].actions[0]"},
		{"a project that does not exist", &famiv1.Network{DisplayName: "Rete", LeadPartner: milano, Members: []*famiv1.Member{lead},
			Projects: []*famiv1.NetworkProject{{Project: "regions/lombardia/projects/p9"}}}, "network.projects[0].project"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, Network: tt.network})
			errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", tt.field)
		})
	}

	n, err := networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete", Network: &famiv1.Network{
		DisplayName: "Rete", LeadPartner: milano,
		Members:  []*famiv1.Member{lead, {Partner: ufficio, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}},
		Projects: []*famiv1.NetworkProject{{Project: project, Actions: []string{"01"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n.GetState() != famiv1.NetworkState_NETWORK_STATE_ACTIVE {
		t.Errorf("a new network is %v, want ACTIVE", n.GetState())
	}
	_, err = partners.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: ufficio})
	errstest.WantField(t, err, errs.FailedPrecondition, "PARTNER_IN_USE", "")
	_, err = projects.DeleteProject(ctx, &famiv1.DeleteProjectRequest{Name: project})
	errstest.WantField(t, err, errs.FailedPrecondition, "PROJECT_IN_USE", "")

	// Once the network lets go of the partner, it can go.
	n.Members = n.Members[:1]
	if _, err := networks.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: n, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"members"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := partners.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: ufficio}); err != nil {
		t.Errorf("DeletePartner of a partner no longer referenced: %v", err)
	}
	// The project's beneficiary still holds the other partner.
	_, err = partners.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: milano})
	errstest.WantField(t, err, errs.FailedPrecondition, "PARTNER_IN_USE", "")
}

// TestNetworkLeadRule checks DESIGN.md section 6: staff of the lead
// partner may edit their network but not change its lead; staff of other
// partners may not edit it.
func TestNetworkLeadRule(t *testing.T) {
	reg := newRegistry(t)
	ctx := admin(t.Context())
	partners, networks := reg.Partners(), reg.Networks()
	for _, id := range []string{"comune-milano", "ufficio-piano"} {
		if _, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id, Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatal(err)
		}
	}
	created, err := networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete", Network: &famiv1.Network{
		DisplayName: "Rete", LeadPartner: milano, Members: []*famiv1.Member{
			{Partner: milano, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: ufficio, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}})
	if err != nil {
		t.Fatal(err)
	}
	memberOf := func(partner string) context.Context {
		return principal.With(t.Context(), principal.Principal{Subject: "account:x", Role: principal.NetworkMember, Region: "lombardia", Partner: partner})
	}
	swapLead := func(n *famiv1.Network) {
		n.LeadPartner = ufficio
		n.Members[0].Role, n.Members[1].Role = famiv1.MemberRole_MEMBER_ROLE_PARTNER, famiv1.MemberRole_MEMBER_ROLE_LEAD
	}
	for _, tt := range []struct {
		name   string
		ctx    context.Context
		change func(*famiv1.Network)
		reason errs.Reason
	}{
		{name: "the lead's staff rename it", ctx: memberOf(milano), change: func(n *famiv1.Network) { n.DisplayName = "Rete del Nord" }},
		{name: "the lead's staff change the lead", ctx: memberOf(milano), change: swapLead, reason: "LEAD_CHANGE_NOT_ALLOWED"},
		{name: "another member's staff rename it", ctx: memberOf(ufficio), change: func(n *famiv1.Network) { n.DisplayName = "Rete di Piano" }, reason: "NOT_NETWORK_LEAD"},
		{name: "the region changes the lead", ctx: ctx, change: swapLead},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cur, err := networks.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: created.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			next := proto.CloneOf(cur)
			tt.change(next)
			got, err := networks.UpdateNetwork(tt.ctx, &famiv1.UpdateNetworkRequest{Network: next})
			if tt.reason != "" {
				errstest.WantField(t, err, errs.PermissionDenied, tt.reason, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.GetDisplayName() != next.GetDisplayName() || got.GetLeadPartner() != next.GetLeadPartner() || got.GetEtag() == cur.GetEtag() {
				t.Errorf("updated to %v, want the change with a new etag", got)
			}
		})
	}
}

func TestProjectRules(t *testing.T) {
	reg := newRegistry(t)
	ctx := admin(t.Context())
	projects := reg.Projects()
	valid := func() *famiv1.Project {
		return &famiv1.Project{Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2023-01-01", EndDate: "2025-12-31"}
	}
	if _, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "p1", Project: valid()}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func(*famiv1.Project)
		code   errs.Code
		reason errs.Reason
		field  string
	}{
		{name: "another code", change: func(p *famiv1.Project) { p.Code = "PROG-2" }},
		{name: "a code taken", change: func(*famiv1.Project) {}, code: errs.AlreadyExists, reason: "PROJECT_CODE_TAKEN", field: "project.code"},
		{name: "an end before the start", change: func(p *famiv1.Project) { p.Code, p.EndDate = "PROG-3", "2022-12-31" }, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "project.end_date"},
		{name: "a date that is not one", change: func(p *famiv1.Project) { p.Code, p.StartDate = "PROG-4", "2023-02-30" }, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "project.start_date"},
		{name: "a negative budget", change: func(p *famiv1.Project) { p.Code, p.BudgetCents = "PROG-5", -1 }, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "project.budget_cents"},
		{name: "two actions with one code", code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "project.actions[1].code", change: func(p *famiv1.Project) {
			p.Code, p.Actions = "PROG-6", []*famiv1.ProjectAction{{Code: "01", Title: "Corsi"}, {Code: "01", Title: "Sportello"}}
		}},
		{name: "a beneficiary that does not exist", change: func(p *famiv1.Project) { p.Code, p.Beneficiary = "PROG-7", milano }, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "project.beneficiary"},
		{name: "no fund", change: func(p *famiv1.Project) { p.Code, p.Fund = "PROG-8", 0 }, code: errs.Invalid, reason: "INVALID_ARGUMENT", field: "project.fund"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(p)
			got, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, Project: p})
			if tt.reason != "" {
				errstest.WantField(t, err, tt.code, tt.reason, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.GetCode() != p.GetCode() || got.GetName() == "" {
				t.Errorf("created %v", got)
			}
		})
	}

	// An extension moves the end date forward only, and is kept.
	_, err := projects.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: project, Extension: &famiv1.Extension{EndDate: "2025-06-30"}})
	errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", "extension.end_date")
	p, err := projects.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: project, Extension: &famiv1.Extension{EndDate: "2026-06-30", Reason: "ritardi"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.GetEndDate() != "2026-06-30" || len(p.GetExtensions()) != 1 || p.GetExtensions()[0].GetPreviousEndDate() != "2025-12-31" {
		t.Errorf("extended: end %s, extensions %v; want 2026-06-30 and one extension from 2025-12-31", p.GetEndDate(), p.GetExtensions())
	}
}

func TestListPagesAndFilters(t *testing.T) {
	reg := newRegistry(t)
	ctx := admin(t.Context())
	partners := reg.Partners()
	for _, p := range []struct {
		id       string
		kind     famiv1.PartnerKind
		archived bool
	}{
		{"a", famiv1.PartnerKind_PARTNER_KIND_OTHER, false},
		{"b", famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, false},
		{"c", famiv1.PartnerKind_PARTNER_KIND_OTHER, true},
		{"d", famiv1.PartnerKind_PARTNER_KIND_OTHER, false},
		{"e", famiv1.PartnerKind_PARTNER_KIND_OTHER, false},
	} {
		if _, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: p.id, Partner: &famiv1.Partner{DisplayName: p.id, Kind: p.kind, Archived: p.archived}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		req  *famiv1.ListPartnersRequest
		want []string
	}{
		{"all but the archived", &famiv1.ListPartnersRequest{}, []string{"a", "b", "d", "e"}},
		{"with the archived", &famiv1.ListPartnersRequest{ShowArchived: true}, []string{"a", "b", "c", "d", "e"}},
		{"of one kind", &famiv1.ListPartnersRequest{Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}, []string{"a", "d", "e"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := proto.CloneOf(tt.req)
			req.Parent, req.PageSize = lombardia, 2
			var got []string
			for pages := 0; ; pages++ {
				if pages > len(tt.want) {
					t.Fatal("the pages do not end")
				}
				res, err := partners.ListPartners(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.GetPartners()) > 2 {
					t.Errorf("a page of %d partners, want at most 2", len(res.GetPartners()))
				}
				for _, p := range res.GetPartners() {
					got = append(got, p.GetDisplayName())
				}
				if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
		})
	}
	_, err := partners.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: -1})
	errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", "page_size")
	_, err = partners.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, PageToken: "not a token"})
	errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", "page_token")
}

// TestListPartnersByDisplayName: the display_name filter keeps the
// partners so called in any case and spacing, not those whose names only
// contain it; archived ones only with show_archived; with query, both must
// match. A page of one holding the first of two says so with a token that
// reads the second. A hostile or overlong name is refused naming the field.
func TestListPartnersByDisplayName(t *testing.T) {
	reg := newRegistry(t)
	ctx := admin(t.Context())
	partners := reg.Partners()
	for _, p := range []struct {
		id, name string
		archived bool
	}{
		{"a", "Comune di Bergamo", false}, {"b", "COMUNE  DI bergamo", false}, {"c", "Comune di Bergamo Alta", false},
		{"d", "Comune di Bergamo", true}, {"e", "Caritas", false}, {"f", strings.Repeat("x", 200), false},
	} {
		if _, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: p.id,
			Partner: &famiv1.Partner{DisplayName: p.name, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER, Archived: p.archived}}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(res *famiv1.ListPartnersResponse) (out []string) {
		for _, p := range res.GetPartners() {
			out = append(out, p.GetName()[len(lombardia+"/partners/"):])
		}
		return out
	}
	for _, tt := range []struct {
		name string
		req  *famiv1.ListPartnersRequest
		want []string
	}{
		{"in another case and spacing", &famiv1.ListPartnersRequest{DisplayName: "  comune di   BERGAMO "}, []string{"a", "b"}},
		{"with the archived", &famiv1.ListPartnersRequest{DisplayName: "comune di bergamo", ShowArchived: true}, []string{"a", "b", "d"}},
		{"and a query", &famiv1.ListPartnersRequest{DisplayName: "comune di bergamo", Query: "alta"}, nil},
		{"a name of 200 characters", &famiv1.ListPartnersRequest{DisplayName: strings.Repeat("X", 200)}, []string{"f"}},
		{"a part of a name", &famiv1.ListPartnersRequest{DisplayName: "Carita"}, nil},
	} {
		tt.req.Parent = lombardia
		res, err := partners.ListPartners(ctx, tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := ids(res); !slices.Equal(got, tt.want) || res.GetNextPageToken() != "" {
			t.Errorf("%s: listed %v (next page %q), want %v and no next page", tt.name, got, res.GetNextPageToken(), tt.want)
		}
	}
	req := &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: "Comune di Bergamo", PageSize: 1}
	first, err := partners.ListPartners(ctx, req)
	if err != nil || !slices.Equal(ids(first), []string{"a"}) || first.GetNextPageToken() == "" {
		t.Fatalf("a page of one of two so called: %v with next page %q (%v), want a and a token", ids(first), first.GetNextPageToken(), err)
	}
	req.PageToken = first.GetNextPageToken()
	if second, err := partners.ListPartners(ctx, req); err != nil || !slices.Equal(ids(second), []string{"b"}) || second.GetNextPageToken() != "" {
		t.Errorf("the next page: %v with next page %q (%v), want b alone", ids(second), second.GetNextPageToken(), err)
	}
	for _, bad := range []string{"Berg\u202Eamo", "rete\x00", strings.Repeat("x", 201)} {
		_, err := partners.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: bad})
		errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", "display_name")
	}
}

// TestCountsAsListed: a region's partners are counted by kind as a
// listing without the archived finds them, and its networks as a listing
// does, also once some are deleted.
func TestCountsAsListed(t *testing.T) {
	reg := newRegistry(t)
	ctx := admin(t.Context())
	partners, networks := reg.Partners(), reg.Networks()
	for i, kind := range []famiv1.PartnerKind{famiv1.PartnerKind_PARTNER_KIND_OTHER, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE,
		famiv1.PartnerKind_PARTNER_KIND_OTHER, famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR, famiv1.PartnerKind_PARTNER_KIND_OTHER} {
		p := &famiv1.Partner{DisplayName: "Partner", Kind: kind, Archived: i == 2 || i == 3, Municipalities: []string{"015146"},
			Description: "A partner whose kind is not the first field"}
		if _, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: fmt.Sprintf("p%d", i), Partner: p}); err != nil {
			t.Fatal(err)
		}
	}
	members := []*famiv1.Member{{Partner: "regions/lombardia/partners/p0", Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
	for _, id := range []string{"rete-a", "rete-b", "rete-c"} {
		if _, err := networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: id, Network: &famiv1.Network{
			DisplayName: id, LeadPartner: members[0].Partner, Members: members}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		listed := map[famiv1.PartnerKind]int32{}
		res, err := partners.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.GetPartners() {
			listed[p.GetKind()]++
		}
		if got, err := partners.CountPartners(ctx, "lombardia"); err != nil || !maps.Equal(got, listed) {
			t.Errorf("%s: partners counted %v, %v; want %v, as listed", when, got, err, listed)
		}
		nets, err := networks.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := networks.CountNetworks(ctx, "lombardia"); err != nil || int(got) != len(nets.GetNetworks()) {
			t.Errorf("%s: networks counted %d, %v; want %d, as listed", when, got, err, len(nets.GetNetworks()))
		}
	}
	check("created")
	if _, err := networks.DeleteNetwork(ctx, &famiv1.DeleteNetworkRequest{Name: "regions/lombardia/networks/rete-b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := partners.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: "regions/lombardia/partners/p4"}); err != nil {
		t.Fatal(err)
	}
	check("after deletes")
	if got, err := partners.CountPartners(ctx, "veneto"); err != nil || len(got) != 0 {
		t.Errorf("veneto's partners counted %v, %v; want none", got, err)
	}
	if _, err := networks.CountNetworks(ctx, "atlantide"); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("networks of an unknown region: got %v, want NOT_FOUND", err)
	}
}

// TestProjectCodesIndexedAsTyped: a region whose codes were indexed as
// typed, before codes were folded, keeps them unique once folded; its
// first project write moves them.
func TestProjectCodesIndexedAsTyped(t *testing.T) {
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	projects := registry.New(s, nil).Projects()
	ctx := admin(t.Context())
	// The region as an earlier famid left it: lab-1 indexed as typed.
	legacy := &famiv1.Project{Name: lombardia + "/projects/legacy", Code: "lab-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027,
		StartDate: "2023-01-01", EndDate: "2025-12-31"}
	if _, err := s.Update(ctx, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (proto.Message, error) {
		if err := tx.IndexPut("project_code", legacy.GetCode(), legacy.GetName()); err != nil {
			return nil, err
		}
		return legacy, tx.Put(legacy)
	}); err != nil {
		t.Fatal(err)
	}

	_, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "new", Project: &famiv1.Project{
		Code: "LAB-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2023-01-01", EndDate: "2025-12-31"}})
	errstest.WantField(t, err, errs.AlreadyExists, "PROJECT_CODE_TAKEN", "project.code")
	// The legacy project's code is still its own.
	if _, err := projects.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: &famiv1.Project{Name: legacy.GetName(), Code: "LAB-1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"code"}}}); err != nil {
		t.Errorf("the legacy project writes its code in capitals: %v", err)
	}
	// That write moved the codes indexed as typed.
	if err := s.View(ctx, "lombardia", func(tx store.ReadTx) error {
		tx.IndexScan("project_code", "", func(code, _ string) bool {
			t.Errorf("the code %q is still indexed as typed", code)
			return true
		})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestStoredCodesStayEditable: a project whose code was stored before
// codes were limited to Latin letters keeps it: the project is read and
// updated, its code written in another case, while a new code of those
// letters is refused.
func TestStoredCodesStayEditable(t *testing.T) {
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	projects := registry.New(s, nil).Projects()
	ctx := admin(t.Context())
	legacy := &famiv1.Project{Name: lombardia + "/projects/legacy", Code: "\u041f\u0420\u041e\u0413-1", Title: "Progetto",
		Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2023-01-01", EndDate: "2025-12-31"}
	if _, err := s.Update(ctx, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (proto.Message, error) {
		return legacy, tx.Put(legacy)
	}); err != nil {
		t.Fatal(err)
	}
	got, err := projects.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: &famiv1.Project{Name: legacy.GetName(), Title: "Nuovo titolo"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	if err != nil || got.GetCode() != legacy.GetCode() {
		t.Errorf("update the legacy project's title: %q, %v", got.GetCode(), err)
	}
	if _, err := projects.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: &famiv1.Project{Name: legacy.GetName(), Code: "\u043f\u0440\u043e\u0433-1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"code"}}}); err != nil {
		t.Errorf("the legacy project writes its code in lower case: %v", err)
	}
	_, err = projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "new", Project: &famiv1.Project{
		Code: "\u041f\u0420\u041e\u0413-2", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2023-01-01", EndDate: "2025-12-31"}})
	errstest.WantField(t, err, errs.Invalid, "INVALID_ARGUMENT", "project.code")
}
