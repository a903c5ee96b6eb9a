package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
)

// TestListQueryFilters asks ListPartners, ListNetworks and ListProjects for
// the items whose names contain a text, on every surface: the service
// filters, ignoring case, across pages (a page of 2 over 5 matches of 8
// partners), on a network's names or its lead partner's, on a project's
// title, code or CUP; ListPartners' display_name keeps the partners so
// called in any case and spacing, not those whose names contain it. A
// hostile query or display name is refused naming its field, and a page
// token of one query is refused on another.
func TestListQueryFilters(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		for i, name := range []string{"Comune di Bergamo", "CPIA Brescia", "Ufficio di Piano di BERGAMO", "ATS Bergamo", "Comune di Milano",
			"Caritas bergamasca", "Scuola di Lecco", "Rete Bergamo Est"} {
			mustOK(s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: fmt.Sprintf("p%d", i),
				Partner: &famiv1.Partner{DisplayName: name, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}))(t, name)
		}
		var got []string
		token := ""
		for range 5 {
			res := mustOK(s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, Query: "bErGaM", PageSize: 2, PageToken: token}))(t, "partners named bErGaM")
			for _, p := range res.GetPartners() {
				got = append(got, p.GetDisplayName())
			}
			if token = res.GetNextPageToken(); token == "" {
				break
			}
		}
		if want := []string{"Comune di Bergamo", "Ufficio di Piano di BERGAMO", "ATS Bergamo", "Caritas bergamasca", "Rete Bergamo Est"}; !slices.Equal(got, want) {
			t.Errorf("partners named bErGaM: got %q, want %q", got, want)
		}
		for _, c := range []struct {
			name string
			want []string
		}{{" comune  DI bergamo", []string{"Comune di Bergamo"}}, {"Bergamo", nil}, {"ufficio di piano di bergamo", []string{"Ufficio di Piano di BERGAMO"}}} {
			res := mustOK(s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: c.name, PageSize: 2}))(t, "partners called "+c.name)
			var names []string
			for _, p := range res.GetPartners() {
				names = append(names, p.GetDisplayName())
			}
			if !slices.Equal(names, c.want) || res.GetNextPageToken() != "" {
				t.Errorf("partners called %q: got %q (next page %q), want %q alone", c.name, names, res.GetNextPageToken(), c.want)
			}
		}

		for _, n := range []*famiv1.Network{{DisplayName: "Rete Est", LeadPartner: partnerName("p2"), Ats: "ATS Bergamo"},
			{DisplayName: "Rete Ovest", LeadPartner: partnerName("p4"), SocialDistrict: "Ambito di Rho"}, {DisplayName: "Rete Nord", LeadPartner: partnerName("p6")}} {
			n.Members = []*famiv1.Member{{Partner: n.GetLeadPartner(), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
			mustOK(s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: strings.ToLower(strings.ReplaceAll(n.GetDisplayName(), " ", "-")), Network: n}))(t, n.GetDisplayName())
		}
		for _, c := range []struct {
			query string
			want  []string
		}{{"ufficio", []string{"Rete Est"}}, {"RHO", []string{"Rete Ovest"}}, {"lecco", []string{"Rete Nord"}}, {"rete ", []string{"Rete Est", "Rete Nord", "Rete Ovest"}}} {
			res := mustOK(s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, Query: c.query}))(t, "networks matching "+c.query)
			var names []string
			for _, n := range res.GetNetworks() {
				names = append(names, n.GetDisplayName())
			}
			slices.Sort(names)
			if !slices.Equal(names, c.want) {
				t.Errorf("networks matching %q: got %q, want %q", c.query, names, c.want)
			}
		}

		for _, p := range []*famiv1.Project{{Code: "PROG-2463", Title: "Lab'Impact"}, {Code: "FSE-77", Title: "Sportelli", Cup: "E81B21000010006"},
			{Code: "PROG-9", Title: "Impatto sociale"}} {
			p.StartDate, p.EndDate, p.Fund = "2021-01-01", "2022-12-31", famiv1.Fund_FUND_FAMI_2021_2027
			mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: strings.ToLower(p.GetCode()), Project: p}))(t, p.GetCode())
		}
		for _, c := range []struct {
			query string
			want  []string
		}{{"impa", []string{"Lab'Impact", "Impatto sociale"}}, {"prog-", []string{"Lab'Impact", "Impatto sociale"}}, {"e81b", []string{"Sportelli"}}, {"nessuno", nil}} {
			res := mustOK(s.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: lombardia, Query: c.query}))(t, "projects matching "+c.query)
			var titles []string
			for _, p := range res.GetProjects() {
				titles = append(titles, p.GetTitle())
			}
			slices.Sort(titles)
			slices.Sort(c.want)
			if !slices.Equal(titles, c.want) {
				t.Errorf("projects matching %q: got %q, want %q", c.query, titles, c.want)
			}
		}

		_, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, Query: "Berg\u202Eamo"})
		checkErr(t, "a query with a direction override", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"query"}})
		_, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: "Comune di Berg\u200Bamo"})
		checkErr(t, "a display name with a zero-width space", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"display_name"}})
		_, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: strings.Repeat("a", 201)})
		checkErr(t, "a display name of 201 characters", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"display_name"}})
		_, err = s.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: lombardia, Query: strings.Repeat("a", 101)})
		checkErr(t, "a query of 101 characters", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"query"}})
		_, err = s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, Query: "rete\x00"})
		checkErr(t, "a query with a NUL", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"query"}})
		first := mustOK(s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, Query: "bergamo", PageSize: 1}))(t, "partners named bergamo")
		_, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, Query: "comune", PageSize: 1, PageToken: first.GetNextPageToken()})
		checkErr(t, "a page token of another query", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"page_token"}})
	})
}

// TestListMeetingsOfAPartner asks ListNetworks for the networks a partner
// is a member of, and ListMeetings and ListActionItems for their meetings
// and items, on every surface: the services filter, through the refs index
// (the partner is in two networks of three),
// a partner of another region or a name of another collection is refused
// naming "partner", and the filter with regions/- lists the partner's
// region.
func TestListMeetingsOfAPartner(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		for _, id := range []string{"udp", "cpia", "altro"} {
			mustOK(s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id,
				Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}))(t, id)
		}
		for _, n := range []struct{ id, lead, other string }{{"est", "udp", "cpia"}, {"ovest", "cpia", "udp"}, {"nord", "altro", ""}} {
			members := []*famiv1.Member{{Partner: partnerName(n.lead), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
			if n.other != "" {
				members = append(members, &famiv1.Member{Partner: partnerName(n.other), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
			}
			mustOK(s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: n.id,
				Network: &famiv1.Network{DisplayName: n.id, LeadPartner: partnerName(n.lead), Members: members}}))(t, n.id)
			start := ts.Clock.Now().AddDate(0, 0, -10).Truncate(time.Hour)
			m := mustOK(s.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "m-" + n.id, Meeting: &famiv1.Meeting{
				Networks: []string{lombardia + "/networks/" + n.id}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE, Title: "Tavolo " + n.id,
				StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)), Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE,
				Link: "https://meet.example.org/t"}}))(t, "meeting of "+n.id)
			mustOK(s.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Verbale", ActionItems: []*famiv1.ActionItem{
				{Description: "Azione " + n.id, Owner: partnerName(n.lead), DueDate: start.AddDate(0, 0, 1).Format(time.DateOnly)}}}))(t, "minutes of "+n.id)
		}
		networks := names(mustOK(s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, Partner: partnerName("cpia")}))(t, "cpia's networks").GetNetworks())
		if want := []string{lombardia + "/networks/est", lombardia + "/networks/ovest"}; !slices.Equal(networks, want) {
			t.Errorf("cpia's networks: got %q, want %q", networks, want)
		}
		var titles, items []string
		for _, m := range mustOK(s.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: lombardia, Partner: partnerName("cpia")}))(t, "cpia's meetings").GetMeetings() {
			titles = append(titles, m.GetTitle())
		}
		for _, it := range mustOK(s.ListActionItems(ctx, &famiv1.ListActionItemsRequest{Parent: lombardia, Partner: partnerName("cpia"), OverdueOnly: true}))(t, "cpia's items").GetActionItems() {
			items = append(items, it.GetActionItem().GetDescription())
		}
		slices.Sort(titles)
		slices.Sort(items)
		if want := []string{"Tavolo est", "Tavolo ovest"}; !slices.Equal(titles, want) {
			t.Errorf("cpia's meetings: got %q, want %q", titles, want)
		}
		if want := []string{"Azione est", "Azione ovest"}; !slices.Equal(items, want) {
			t.Errorf("cpia's overdue items: got %q, want %q", items, want)
		}
		if n := len(mustOK(newSurfaceFor(t, ts, kind, ministrySpec).ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: "regions/-", Partner: partnerName("altro")}))(t, "altro's meetings nationally").GetMeetings()); n != 1 {
			t.Errorf("altro's meetings with regions/-: got %d, want 1", n)
		}
		_, err := s.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: lombardia, Partner: "regions/veneto/partners/udp"})
		checkErr(t, "meetings of another region's partner", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"partner"}})
		_, err = s.ListActionItems(ctx, &famiv1.ListActionItemsRequest{Parent: lombardia, Partner: lombardia + "/networks/est"})
		checkErr(t, "items of a network named as a partner", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"partner"}})
	})
}

// TestListFiltersCompareNamesAsTheyRead asks the query filters of
// ListPartners, ListNetworks and ListProjects, and ListPartners'
// display_name, for names typed as people type them, on every surface:
// one space for a stored double space, no accents, a plain apostrophe and
// hyphen for typographic ones. Both filters follow one rule (namekey.Of),
// so a partner the exact filter finds is also suggested by the query. A
// query, an exact name or a new name of accents alone, which no name
// contains, is refused.
func TestListFiltersCompareNamesAsTheyRead(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		for i, name := range []string{"CPIA  2", "Società Cooperativa Sant’Orsola", "CPIA 20", "Comune di Bergamo"} {
			mustOK(s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: fmt.Sprintf("p%d", i),
				Partner: &famiv1.Partner{DisplayName: name, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}))(t, name)
		}
		mustOK(s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "est", Network: &famiv1.Network{
			DisplayName: "Rete  Bergamo–Est", LeadPartner: partnerName("p3"),
			Members: []*famiv1.Member{{Partner: partnerName("p3"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}))(t, "network")
		mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "citta", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Città  Aperta", StartDate: "2021-01-01", EndDate: "2022-12-31", Fund: famiv1.Fund_FUND_FAMI_2021_2027}}))(t, "project")

		partners := func(req *famiv1.ListPartnersRequest) []string {
			req.Parent = lombardia
			var names []string
			for _, p := range mustOK(s.ListPartners(ctx, req))(t, "partners").GetPartners() {
				names = append(names, p.GetDisplayName())
			}
			return names
		}
		for _, c := range []struct {
			query string
			want  []string
		}{{"cpia 2", []string{"CPIA  2", "CPIA 20"}}, {"societa cooperativa", []string{"Società Cooperativa Sant’Orsola"}},
			{"sant'orsola", []string{"Società Cooperativa Sant’Orsola"}}} {
			if got := partners(&famiv1.ListPartnersRequest{Query: c.query}); !slices.Equal(got, c.want) {
				t.Errorf("partners matching %q: got %q, want %q", c.query, got, c.want)
			}
		}
		for _, c := range []struct {
			name string
			want []string
		}{{"cpia 2", []string{"CPIA  2"}}, {"SOCIETA  cooperativa sant'orsola", []string{"Società Cooperativa Sant’Orsola"}}} {
			if got := partners(&famiv1.ListPartnersRequest{DisplayName: c.name}); !slices.Equal(got, c.want) {
				t.Errorf("partners called %q: got %q, want %q", c.name, got, c.want)
			}
			if got := partners(&famiv1.ListPartnersRequest{DisplayName: c.name, Query: c.name}); !slices.Equal(got, c.want) {
				t.Errorf("partners called %q and matching it: got %q, want %q", c.name, got, c.want)
			}
		}
		// A name of accents alone has an empty key: the exact filter refuses
		// it as the query does, and no partner, network or contact may be
		// called so, for no filter or search could find it by its name.
		_, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: "\u0301\u0301"})
		checkErr(t, "partners called two combining accents", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"display_name"}})
		_, err = s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "accenti",
			Partner: &famiv1.Partner{DisplayName: "\u0301 \u0308", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
		checkErr(t, "a partner called two combining accents", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"partner.display_name"}})
		_, err = s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "accenti", Network: &famiv1.Network{
			DisplayName: "´", LeadPartner: partnerName("p3"), Members: []*famiv1.Member{{Partner: partnerName("p3"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}})
		checkErr(t, "a network called an acute accent", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"network.display_name"}})
		if got := partners(&famiv1.ListPartnersRequest{}); len(got) != 4 {
			t.Errorf("after the refused creates the region has partners %q, want the four", got)
		}
		// A query of accents alone has an empty key: a fragment of no name,
		// which would otherwise list everything, as no query does. Each
		// List refuses it naming query; white space alone is no query.
		for _, q := range []string{"\u0301\u0301", "´", " \u0308 ", "\u0301 \u0327"} {
			refused := map[string]error{}
			_, refused["partners"] = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, Query: q})
			_, refused["networks"] = s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, Query: q})
			_, refused["projects"] = s.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: lombardia, Query: q})
			for list, err := range refused {
				checkErr(t, fmt.Sprintf("%s matching %+q", list, q), err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"query"}})
			}
		}
		if got := partners(&famiv1.ListPartnersRequest{Query: "  "}); len(got) != 4 {
			t.Errorf("partners matching white space: got %q, want all four", got)
		}
		if got := partners(&famiv1.ListPartnersRequest{Query: "\u0301cpia\u0301 2"}); !slices.Equal(got, []string{"CPIA  2", "CPIA 20"}) {
			t.Errorf("partners matching accented cpia 2: got %q, want the two CPIA", got)
		}
		if n := len(mustOK(s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, Query: "rete bergamo-est"}))(t, "networks").GetNetworks()); n != 1 {
			t.Errorf("networks matching %q: got %d, want 1", "rete bergamo-est", n)
		}
		if n := len(mustOK(s.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: lombardia, Query: "citta aperta"}))(t, "projects").GetProjects()); n != 1 {
			t.Errorf("projects matching %q: got %d, want 1", "citta aperta", n)
		}
	})
}

// TestNamesStoredBeforeTheRulesAreFound reads, on every surface, a partner
// whose name was stored before names were checked for invisible
// characters (written here straight to the region's file): its zero-width
// space and its double space do not hide it from either filter, typed as
// it reads, while the same characters typed in a filter are still refused
// naming the field, as in a new name.
func TestNamesStoredBeforeTheRulesAreFound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const stored = "CPIA\u200B  2 Città"
	ts := startServer(t, server.Config{}).storedDirectly(func(tx store.WriteTx) error {
		return tx.Put(&famiv1.Partner{Name: partnerName("cpia"), DisplayName: stored, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER})
	})
	for _, kind := range surfaceKinds {
		s := newSurface(t, ts, kind)
		for _, req := range []*famiv1.ListPartnersRequest{{Query: "cpia 2"}, {Query: "2 citta"}, {DisplayName: "cpia 2 citta"}} {
			req.Parent = lombardia
			res := mustOK(s.ListPartners(ctx, req))(t, kind+" partners")
			if len(res.GetPartners()) != 1 || res.GetPartners()[0].GetDisplayName() != stored {
				t.Errorf("%s: partners for %v: got %v, want %q alone", kind, req, res.GetPartners(), stored)
			}
		}
		_, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, Query: "CPIA\u200B"})
		checkErr(t, kind+": a query with a zero-width space", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"query"}})
		_, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, DisplayName: stored})
		checkErr(t, kind+": a display name with a zero-width space", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"display_name"}})
	}
}
