package server_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestFeedOpensNoDeniedRight: the ministry reads every region's change
// feed, but the rights table denies it a region's contacts (professional
// data of partners' staff, DESIGN.md section 6). On every surface its list
// and watch of Lombardia's changes carry the partner and leave the
// contact out, asking for contacts is refused, and the region's admin
// still reads both.
func TestFeedOpensNoDeniedRight(t *testing.T) {
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
