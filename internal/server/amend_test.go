package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestAmendmentKeepsAnOpenableDraft: an amendment is refused at once,
// naming the element of its request, rather than make a draft that
// could never be opened or that its maker may not edit, on every
// surface, with nothing written (ADR 40):
//   - leaving out an additional network while keeping a party that was a
//     member only through it is FAILED_PRECONDITION, PARTY_NOT_A_MEMBER,
//     naming remove_additional_networks[0] and the party;
//   - a network member leaving out their own partner is
//     PERMISSION_DENIED, NOT_A_PARTY, naming remove_parties[0].
//
// Leaving out the network and that party, the amendment is made. Before,
// both refused amendments made a draft.
func TestAmendmentKeepsAnOpenableDraft(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		udp, cpia := partnerName("udp"), partnerName("cpia")
		ets, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "ets",
			Partner: &famiv1.Partner{DisplayName: "ets", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
		if err != nil {
			t.Fatal(err)
		}
		altra := otherNetwork(t, admin, ets.GetName())
		cur, err := admin.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: names["fami.v1.Protocol"]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: cur.GetName(),
			AdditionalNetworks: []string{altra.GetName()},
			Parties:            append(cur.GetParties(), &famiv1.Party{Partner: ets.GetName(), Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY})},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"additional_networks", "parties"}}}); err != nil {
			t.Fatal(err)
		}
		patto, err := admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: cur.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		cpiaStaff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:amend:cpia", Role: principal.NetworkMember, Region: ownRegion, Partner: cpia})

		before := admin.revision(t, lombardia)
		_, err = admin.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: patto.GetName(), ProtocolId: "patto-v2",
			RemoveAdditionalNetworks: []string{altra.GetName()}})
		checkErr(t, "an amendment leaving ets alone", err, wantErr{codes.FailedPrecondition, "PARTY_NOT_A_MEMBER", []string{"remove_additional_networks[0]"}})
		if e, ok := asCallError(err); ok && !strings.Contains(e.Message, ets.GetName()) {
			t.Errorf("an amendment leaving ets alone: %q does not name %s", e.Message, ets.GetName())
		}
		// A state conflict, as ARCHIVED is for a network closed (docs/errors.md).
		if e, ok := asCallError(err); ok && e.HTTPStatus != 0 && e.HTTPStatus != http.StatusConflict {
			t.Errorf("an amendment leaving ets alone: HTTP %d, want 409", e.HTTPStatus)
		}
		_, err = cpiaStaff.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: patto.GetName(), ProtocolId: "patto-v2",
			RemoveParties: []string{cpia}})
		checkErr(t, "cpia's staff amending cpia out", err, wantErr{codes.PermissionDenied, "NOT_A_PARTY", []string{"remove_parties[0]"}})
		if after := admin.revision(t, lombardia); after != before {
			t.Errorf("the region's revision went from %d to %d: a refused amendment wrote", before, after)
		}

		next, err := admin.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: patto.GetName(), ProtocolId: "patto-v2",
			RemoveParties: []string{ets.GetName()}, RemoveAdditionalNetworks: []string{altra.GetName()}})
		if err != nil {
			t.Fatalf("an amendment leaving out the network and ets: %v", err)
		}
		if got := partnersOf(next); !slices.Equal(got, []string{udp, cpia}) || len(next.GetAdditionalNetworks()) != 0 {
			t.Errorf("the amendment: parties %q, additional networks %q; want [%s %s], none", got, next.GetAdditionalNetworks(), udp, cpia)
		}
	})
}
