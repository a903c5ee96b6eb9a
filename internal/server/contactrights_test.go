package server_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestNetworkStaffReadTheirNetworksContactsOnly: DESIGN.md section 6 gives
// network members the contacts of "its networks' partners"; they read
// every contact of the region, the staff of networks they have nothing to
// do with included. A contact they may not read is answered as a missing
// one.
func TestNetworkStaffReadTheirNetworksContactsOnly(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_OTHER, "udp-milano", "cpia-milano", "cpi-monza", "caritas")
		seedNetwork(t, ctx, s, "cpia-milano")
		seedNetworkLedBy(t, ctx, s, "rete-monza", "cpi-monza")
		for _, p := range []string{"udp-milano", "cpia-milano", "cpi-monza", "caritas"} {
			if _, err := s.CreateContact(ctx, &famiv1.CreateContactRequest{Parent: lombardia, ContactId: "op-" + p, Contact: &famiv1.Contact{
				DisplayName: "Operatore " + p, Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_SOCIAL_WORKER, Partner: partnerName(p)}}); err != nil {
				t.Fatalf("create contact: %v", err)
			}
		}
		for _, tc := range []struct {
			partner string
			want    []string
		}{
			{"cpia-milano", []string{"op-cpia-milano", "op-udp-milano"}},
			{"cpi-monza", []string{"op-cpi-monza"}},
			{"caritas", []string{"op-caritas"}}, // of no network: its own staff
		} {
			staff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:staff:" + tc.partner, Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName(tc.partner)})
			var got []string
			req := &famiv1.ListContactsRequest{Parent: lombardia, PageSize: 1}
			for {
				list, err := staff.ListContacts(ctx, req)
				if err != nil {
					t.Fatalf("staff of %s list contacts: %v", tc.partner, err)
				}
				for _, c := range list.GetContacts() {
					got = append(got, c.GetName()[len(lombardia+"/contacts/"):])
				}
				if req.PageToken = list.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("staff of %s list %v, want %v", tc.partner, got, tc.want)
			}
			for _, p := range []string{"udp-milano", "cpia-milano", "cpi-monza", "caritas"} {
				name := lombardia + "/contacts/op-" + p
				_, err := staff.GetContact(ctx, &famiv1.GetContactRequest{Name: name})
				if slices.Contains(tc.want, "op-"+p) {
					if err != nil {
						t.Errorf("staff of %s get %s: %v", tc.partner, name, err)
					}
					continue
				}
				checkErr(t, "staff of "+tc.partner+" get "+name, err, wantErr{codes.NotFound, "NOT_FOUND", nil})
			}
		}
		admin, err := s.ListContacts(ctx, &famiv1.ListContactsRequest{Parent: lombardia})
		if err != nil || len(admin.GetContacts()) != 4 {
			t.Errorf("the region lists %d contacts (%v), want 4", len(admin.GetContacts()), err)
		}
	})
}
