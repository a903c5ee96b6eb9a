package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestFeedOpensNoDeniedRight: the ministry reads every region's change
// feed, but the rights table denies it a region's contacts (professional
// data of partners' staff, DESIGN.md section 6). On every surface its list
// and watch of Lombardia's changes carry the partner and leave the
// contact out, asking for contacts is refused, and the region's admin
// still reads both.
func TestFeedOpensNoDeniedRight(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	if _, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-milano",
		Partner: &famiv1.Partner{DisplayName: "UdP Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateContact(ctx, &famiv1.CreateContactRequest{Parent: lombardia, ContactId: "mario-rossi", Contact: &famiv1.Contact{
		DisplayName: "Mario Rossi", Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_SOCIAL_WORKER,
		Partner: partnerName("udp-milano"), Email: "mario.rossi@comune.milano.it"}}); err != nil {
		t.Fatal(err)
	}
	const partnerType, contactType = "fami.v1.Partner", "fami.v1.Contact"
	typesOf := func(changes []*famiv1.Change) map[string]bool {
		seen := map[string]bool{}
		for _, ch := range changes {
			seen[ch.GetResourceType()] = true
		}
		return seen
	}
	ministry := ts.mintToken(ministrySpec)
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			m := newFeedSurface(t, ts, kind, ministry)
			list, err := m.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, PageSize: 1000})
			if err != nil {
				t.Fatalf("ministry's ListChanges: %v", err)
			}
			if seen := typesOf(list.GetChanges()); !seen[partnerType] || seen[contactType] {
				t.Errorf("ministry's ListChanges carries %v, want the partner and no contact", seen)
			}
			watch, err := m.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia})
			if err != nil {
				t.Fatalf("ministry's Watch: %v", err)
			}
			if seen := typesOf(watch.GetChanges()); !seen[partnerType] || seen[contactType] {
				t.Errorf("ministry's Watch carries %v, want the partner and no contact", seen)
			}
			_, err = m.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, ResourceTypes: []string{partnerType, contactType}})
			checkErr(t, "ministry's ListChanges of contacts", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil})
			_, err = m.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia, ResourceTypes: []string{contactType}})
			checkErr(t, "ministry's Watch of contacts", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil})

			a := newFeedSurface(t, ts, kind, ts.token)
			list, err = a.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, PageSize: 1000})
			if err != nil {
				t.Fatalf("admin's ListChanges: %v", err)
			}
			if seen := typesOf(list.GetChanges()); !seen[partnerType] || !seen[contactType] {
				t.Errorf("admin's ListChanges carries %v, want the partner and the contact", seen)
			}
			watch, err = a.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia, ResourceTypes: []string{contactType}})
			if err != nil {
				t.Fatalf("admin's Watch of contacts: %v", err)
			}
			if seen := typesOf(watch.GetChanges()); !seen[contactType] || seen[partnerType] {
				t.Errorf("admin's Watch of contacts carries %v, want the contact alone", seen)
			}
		})
	}
}

// TestFeedRefusesUnknownTypes: a resource_types entry that is no resource
// type of the API (a typo, a message that is no resource, the change
// itself) is INVALID_ARGUMENT naming each such entry, on every surface,
// for the list and the watch. It used to match nothing: a mirror asking
// for "fami.v1.Partners" read an empty feed and believed it. A type with
// a Get and no List (the region's monitoring settings) is one a region's
// log holds, and is read.
func TestFeedRefusesUnknownTypes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	if _, err := admin.UpdateMonitoringSettings(ctx, &famiv1.UpdateMonitoringSettingsRequest{
		MonitoringSettings: &famiv1.MonitoringSettings{Name: "regions/lombardia/settings/monitoring", BehindThresholdPercent: 30}}); err != nil {
		t.Fatal(err)
	}
	bad := []string{"fami.v1.Partner", "fami.v1.Partners", "fami.v1.Change", "fami.v1.ListPartnersRequest", "google.protobuf.Empty"}
	want := wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"resource_types[1]", "resource_types[2]", "resource_types[3]", "resource_types[4]"}}
	settings := []string{"fami.v1.MonitoringSettings"}
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			a := newFeedSurface(t, ts, kind, ts.token)
			_, err := a.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, ResourceTypes: bad})
			checkErr(t, "ListChanges of unknown types", err, want)
			_, err = a.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia, ResourceTypes: bad})
			checkErr(t, "Watch of unknown types", err, want)

			list, err := a.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, ResourceTypes: settings})
			if err != nil || len(list.GetChanges()) != 1 || list.GetChanges()[0].GetResourceType() != settings[0] {
				t.Fatalf("ListChanges of the monitoring settings: %v, %v; want its one change", list.GetChanges(), err)
			}
			watch, err := a.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia, ResourceTypes: settings})
			if err != nil || len(watch.GetChanges()) != 1 {
				t.Fatalf("Watch of the monitoring settings: %v, %v; want its one change", watch.GetChanges(), err)
			}
		})
	}
}

// feedRights is the change feed's rights table: for every resource type a
// region's change log holds, the roles whose standard reads (its Get and
// its List) give them a record of that type written by someone else, and
// so the roles whose feed carries its changes, if they read the feed at
// all (feedRoles). TestFeedFollowsTheReads checks the table against the
// reads and the feed against the table; a type the log holds, or any
// resource type of the API, without a row here fails it.
var feedRights = map[string][]string{
	"fami.v1.Partner":            {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.Project":            {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.Network":            {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.Contact":            {roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.Protocol":           {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.Meeting":            {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.CalendarToken":      {roleRegionAdmin},
	"fami.v1.SupportEntry":       {roleRegionAdmin, roleRegionalSystem},
	"fami.v1.ClosedPeriod":       {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.CapacityAssessment": {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.Survey":             {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.MonitoringReport":   {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
	"fami.v1.MonitoringSettings": {roleMinistry, roleRegionAdmin, roleConsultant, roleNetworkMember, roleRegionalSystem},
}

// outsideRegionLogs are the resource types of the API that no region's
// change log holds: reference data, and the accounts and service tokens
// of the system file.
var outsideRegionLogs = []string{"fami.v1.Region", "fami.v1.Municipality", "fami.v1.Account", "fami.v1.ServiceToken"}

// feedRoles read the change feed (README, "list and watch the change
// feed"); every other caller is refused it.
var feedRoles = []string{roleMinistry, roleRegionAdmin, roleRegionalSystem}

// TestFeedFollowsTheReads: a caller's change feed carries a type's
// changes only if the caller may read the type's records by its standard
// Get and List, on every surface, for the list and the watch; asking for
// a type one may not read is refused (ROLE_NOT_ALLOWED). It writes one
// record of every type the log holds, as callers other than the readers,
// and checks feedRights against each role's Gets and Lists before checking
// the feed against it. The feed used to decide by the Lists alone: the
// ministry and a regional system got every calendar feed token of the
// region (their List gives them their own), and the ministry lost the
// monitoring settings, which have a Get and no List.
func TestFeedFollowsTheReads(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	seeded := seedEveryType(t, ts)
	specs := map[string]auth.TokenSpec{
		roleMinistry:       {Subject: "test:feed:ministry", Role: principal.Ministry},
		roleRegionAdmin:    {Subject: "test:feed:region_admin", Role: principal.RegionAdmin, Region: ownRegion},
		roleConsultant:     {Subject: "test:feed:consultant", Role: principal.Consultant, Region: ownRegion},
		roleNetworkMember:  {Subject: "test:feed:network_member", Role: principal.NetworkMember, Region: ownRegion, Partner: partnerName("udp")},
		roleRegionalSystem: {Subject: "system:feed", Role: principal.RegionalSystem, Region: ownRegion},
	}
	tokens := map[string]string{roleAnonymous: ""}
	for role, spec := range specs {
		tokens[role] = ts.mintToken(spec)
	}

	// The table covers every type of the API and every type the log holds.
	reads := standardReads(t)
	for typ := range reads {
		if _, ok := feedRights[typ]; !ok && !slices.Contains(outsideRegionLogs, typ) {
			t.Errorf("%s has no row in feedRights (nor is it in outsideRegionLogs)", typ)
		}
	}
	for typ := range feedRights {
		if seeded[typ] == "" {
			t.Errorf("feedRights has a row for %s, which the test did not write", typ)
		}
	}
	logged := map[string]bool{}
	for _, ch := range allChanges(t, newFeedSurface(t, ts, "grpc", ts.token), nil) {
		logged[ch.GetResourceType()] = true
	}
	for typ := range logged {
		if _, ok := feedRights[typ]; !ok {
			t.Errorf("the region's log holds %s, which has no row in feedRights", typ)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The table says what the reads do.
	for _, role := range matrixRoles[1:] {
		s := newSurfaceAs(t, ts, "grpc", tokens[role])
		for typ, name := range seeded {
			if got, want := readsRecord(t, s, reads[typ], name), slices.Contains(feedRights[typ], role); got != want {
				t.Errorf("%s reads %s (%s) by its Get and List: %t; feedRights says %t", role, typ, name, got, want)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The feed follows the table.
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			for _, role := range matrixRoles {
				f := newFeedSurface(t, ts, kind, tokens[role])
				if !slices.Contains(feedRoles, role) {
					_, err := f.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia})
					if e, ok := asCallError(err); !ok || (e.Code != codes.PermissionDenied && e.Code != codes.Unauthenticated) {
						t.Errorf("%s lists the feed: %v, want a refusal", role, err)
					}
					_, err = f.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia})
					if e, ok := asCallError(err); !ok || (e.Code != codes.PermissionDenied && e.Code != codes.Unauthenticated) {
						t.Errorf("%s watches the feed: %v, want a refusal", role, err)
					}
					continue
				}
				want := map[string]bool{}
				for typ, roles := range feedRights {
					want[typ] = slices.Contains(roles, role)
				}
				checkFeedTypes(t, role+"'s ListChanges", typesOf(allChanges(t, f, nil)), want, nil)
				watch, err := f.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia})
				if err != nil {
					t.Fatalf("%s's Watch: %v", role, err)
				}
				checkFeedTypes(t, role+"'s Watch", typesOf(watch.GetChanges()), want, nil)
				for typ, readable := range want {
					asked := []string{typ}
					list, err := f.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, ResourceTypes: asked, PageSize: 1000})
					watch, werr := f.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia, ResourceTypes: asked})
					if !readable {
						refused := wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil}
						checkErr(t, role+"'s ListChanges of "+typ, err, refused)
						checkErr(t, role+"'s Watch of "+typ, werr, refused)
						continue
					}
					if err != nil || werr != nil {
						t.Errorf("%s asking for %s: list %v, watch %v", role, typ, err, werr)
						continue
					}
					checkFeedTypes(t, role+"'s ListChanges of "+typ, typesOf(list.GetChanges()), nil, asked)
					checkFeedTypes(t, role+"'s Watch of "+typ, typesOf(watch.GetChanges()), nil, asked)
				}
			}
		})
	}
}

// typesOf returns the resource types of changes.
func typesOf(changes []*famiv1.Change) map[string]bool {
	seen := map[string]bool{}
	for _, ch := range changes {
		seen[ch.GetResourceType()] = true
	}
	return seen
}

// checkFeedTypes checks that the types seen are the true ones of want
// (every one of only when want is nil).
func checkFeedTypes(t *testing.T, what string, seen, want map[string]bool, only []string) {
	t.Helper()
	if want == nil {
		want = map[string]bool{}
		for _, typ := range only {
			want[typ] = true
		}
	}
	for typ, w := range want {
		if seen[typ] != w {
			t.Errorf("%s carries %s: %t, want %t", what, typ, seen[typ], w)
		}
	}
	for typ := range seen {
		if _, ok := want[typ]; !ok {
			t.Errorf("%s carries %s, which it should not", what, typ)
		}
	}
}

// allChanges lists every change of Lombardia's feed of types (all when
// nil), page by page.
func allChanges(t *testing.T, f feedSurface, types []string) []*famiv1.Change {
	t.Helper()
	var out []*famiv1.Change
	for tok := ""; ; {
		res, err := f.ListChanges(t.Context(), &famiv1.ListChangesRequest{Parent: lombardia, ResourceTypes: types, PageSize: 1000, PageToken: tok})
		if err != nil {
			t.Fatalf("ListChanges: %v", err)
		}
		out = append(out, res.GetChanges()...)
		if tok = res.GetNextPageToken(); tok == "" {
			return out
		}
	}
}

// typeReads are a resource type's standard reads: the procedures of its
// Get and its List ("" for none) and the List response's field holding
// the type.
type typeReads struct {
	get, list string
	items     protoreflect.FieldDescriptor
}

// standardReads finds every resource type's Get (a name in, the type out)
// and List (a parent in, a repeated field of the type out, the method named
// after that field: ListProjects, not ListOverdueProjects, which lists some
// of them by a required filter) in the API's services.
func standardReads(t *testing.T) map[string]typeReads {
	t.Helper()
	reads := map[string]typeReads{}
	protoregistry.GlobalFiles.RangeFilesByPackage("fami.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				m := svc.Methods().Get(j)
				procedure := "/" + string(svc.FullName()) + "/" + string(m.Name())
				if m.IsStreamingServer() {
					continue
				}
				switch name := string(m.Name()); {
				case strings.HasPrefix(name, "Get") && m.Input().Fields().ByName("name") != nil && m.Output().Fields().ByName("name") != nil:
					r := reads[string(m.Output().FullName())]
					r.get = procedure
					reads[string(m.Output().FullName())] = r
				case strings.HasPrefix(name, "List") && m.Input().Fields().ByName("parent") != nil:
					for k := range m.Output().Fields().Len() {
						if fd := m.Output().Fields().Get(k); fd.IsList() && fd.Message() != nil && fd.Message().Fields().ByName("name") != nil && name == "List"+strings.ToUpper(fd.JSONName()[:1])+fd.JSONName()[1:] {
							r := reads[string(fd.Message().FullName())]
							r.list, r.items = procedure, fd
							reads[string(fd.Message().FullName())] = r
						}
					}
				}
			}
		}
		return true
	})
	return reads
}

// readsRecord reports whether s reads the record called name by every
// standard read of its type: its Get, and its List under the record's
// parent. A refusal or NOT_FOUND is no; any other error fails the test.
func readsRecord(t *testing.T, s surface, r typeReads, name string) bool {
	t.Helper()
	if r.get == "" && r.list == "" {
		t.Fatalf("%s has no standard read", name)
	}
	denied := func(err error) bool {
		e, ok := asCallError(err)
		if !ok || (e.Code != codes.PermissionDenied && e.Code != codes.NotFound) {
			t.Fatalf("reading %s: %v", name, err)
		}
		return true
	}
	call := func(procedure string, set func(protoreflect.Message)) (protoreflect.Message, error) {
		in, out := requestOf(t, procedure)
		set(in)
		return out, s.c.Invoke(t.Context(), procedure, in.Interface(), out.Interface())
	}
	if r.get != "" {
		if _, err := call(r.get, func(m protoreflect.Message) { setString(m, "name", name) }); err != nil && denied(err) {
			return false
		}
	}
	if r.list != "" {
		parent := name[:strings.LastIndex(name[:strings.LastIndex(name, "/")], "/")]
		res, err := call(r.list, func(m protoreflect.Message) {
			setString(m, "parent", parent)
			m.Set(m.Descriptor().Fields().ByName("page_size"), protoreflect.ValueOfInt32(1000))
		})
		if err != nil && denied(err) {
			return false
		}
		items := res.Get(res.Descriptor().Fields().ByName(r.items.Name())).List()
		for i := range items.Len() {
			if item := items.Get(i).Message(); item.Get(item.Descriptor().Fields().ByName("name")).String() == name {
				return true
			}
		}
		return false
	}
	return true
}

// requestOf returns a new request and response of the unary procedure.
func requestOf(t *testing.T, procedure string) (in, out protoreflect.Message) {
	t.Helper()
	svc, method, _ := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		t.Fatal(err)
	}
	m := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method))
	newOf := func(name protoreflect.FullName) protoreflect.Message {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return mt.New()
	}
	return newOf(m.Input().FullName()), newOf(m.Output().FullName())
}

func setString(m protoreflect.Message, field, v string) {
	m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(field)), protoreflect.ValueOfString(v))
}

// seedEveryType writes into Lombardia one record of every type a region's
// log holds, as its admin and a consultant (none of them the callers
// TestFeedFollowsTheReads reads as), and returns each record's name by
// type. The contact is of a partner of udp's network, so that udp's
// staff reads it.
func seedEveryType(t *testing.T, ts *testServer) map[string]string {
	t.Helper()
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	consultant := newSurfaceFor(t, ts, "grpc", auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
	names := map[string]string{}
	put := func(m interface {
		proto.Message
		GetName() string
	}, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		names[string(m.ProtoReflect().Descriptor().FullName())] = m.GetName()
	}
	for _, id := range []string{"udp", "cpia"} {
		put(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}))
	}
	put(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab", Project: &famiv1.Project{
		Code: "PROG-1", Title: "Lab", Fund: famiv1.Fund_FUND_FAMI_2021_2027, Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}},
		StartDate: "2024-01-01", EndDate: "2025-12-31"}}))
	network, err := admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete", Network: &famiv1.Network{
		DisplayName: "Rete", LeadPartner: partnerName("udp"), Members: []*famiv1.Member{
			{Partner: partnerName("udp"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: partnerName("cpia"), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}},
		Projects: []*famiv1.NetworkProject{{Project: projectName("lab"), Actions: []string{"01"}}}}})
	put(network, err)
	put(admin.CreateContact(ctx, &famiv1.CreateContactRequest{Parent: lombardia, ContactId: "rossi", Contact: &famiv1.Contact{
		DisplayName: "Mario Rossi", Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_SOCIAL_WORKER, Partner: partnerName("cpia")}}))
	put(admin.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "patto",
		Protocol: matrixProtocol(network.GetName(), "patto", partnerName("udp"), partnerName("cpia"))}))
	put(admin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "tavolo", Meeting: matrixMeeting(network.GetName(), "tavolo")}))
	token, err := consultant.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: "Thunderbird"})
	put(token.GetCalendarToken(), err)
	put(consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntryId: "ore",
		SupportEntry: matrixEntry(network.GetName(), fixtureDay, 60)}))
	put(admin.ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: lombardia, ClosedPeriodId: "giugno",
		ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2014-06-01", EndDate: "2014-06-30", Reason: "chiuso"}}))
	put(consultant.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: network.GetName(), CapacityAssessmentId: "co-progettazione",
		CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Co-progettazione", T0: 2, T0Date: "2024-02-10"}}))
	put(consultant.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "gradimento", Survey: &famiv1.Survey{
		Title: "Gradimento", Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}},
		CloseTime: timestamppb.New(ts.Clock.Now().Add(time.Hour))}}))
	put(admin.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: projectName("lab"), MonitoringReportId: "2024-q1",
		MonitoringReport: &famiv1.MonitoringReport{}}))
	put(admin.UpdateMonitoringSettings(ctx, &famiv1.UpdateMonitoringSettingsRequest{MonitoringSettings: &famiv1.MonitoringSettings{
		Name: lombardia + "/settings/monitoring", BehindThresholdPercent: 30}}))
	return names
}
