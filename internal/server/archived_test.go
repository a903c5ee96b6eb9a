package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestArchivedTakesNothingNew: an archived network or partner (ADR 30)
// takes no new meeting, support entry, protocol, contact, member or
// signature, on every surface: each such write is FAILED_PRECONDITION
// (409 on REST), reason ARCHIVED, naming the field that names it, and
// nothing is written (the region's revision stays). The records that
// already name it stay readable and editable, and once it is active again
// it takes new ones. Before, every one of these writes passed.
func TestArchivedTakesNothingNew(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
		udpStaff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:archived:udp", Role: principal.NetworkMember, Region: ownRegion, Partner: partnerName("udp")})
		rete, cpia := names["fami.v1.Network"], partnerName("cpia")

		// Before archiving: another network, led by udp with ets, and
		// the protocol of rete opened for signature.
		if _, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "ets",
			Partner: &famiv1.Partner{DisplayName: "ETS", Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR}}); err != nil {
			t.Fatal(err)
		}
		altra := otherNetwork(t, admin, partnerName("ets"))
		patto, err := admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: names["fami.v1.Protocol"]})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := admin.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: cpia, Archived: true},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"archived"}}}); err != nil {
			t.Fatalf("archive %s: %v", cpia, err)
		}
		if _, err := admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: rete, State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
			t.Fatalf("archive %s: %v", rete, err)
		}
		revision := func() int64 { return admin.revision(t, lombardia) }
		before := revision()

		withMember := func(n *famiv1.Network, partner string) *famiv1.Network {
			members := slices.Clone(n.GetMembers())
			return &famiv1.Network{Name: n.GetName(), Members: append(members, &famiv1.Member{Partner: partner, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})}
		}
		reteNow, err := admin.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: rete})
		if err != nil {
			t.Fatal(err)
		}
		invited := matrixMeeting(altra.GetName(), "invito")
		invited.InvitedPartners = []string{cpia}
		members := &fieldmaskpb.FieldMask{Paths: []string{"members"}}
		for _, tc := range []struct {
			name, field string
			call        func() error
		}{
			{"a meeting of the archived network", "meeting.networks[0]", func() error {
				_, err := admin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "nuovo-tavolo", Meeting: matrixMeeting(rete, "nuovo-tavolo")})
				return err
			}},
			{"a support entry for the archived network", "support_entry.network", func() error {
				_, err := consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntryId: "altre-ore",
					SupportEntry: matrixEntry(rete, "2020-02-03", 30)})
				return err
			}},
			{"a protocol of the archived network", "protocol.network", func() error {
				_, err := admin.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "nuovo-patto",
					Protocol: matrixProtocol(rete, "nuovo-patto", partnerName("udp"), partnerName("ets"))})
				return err
			}},
			{"a protocol with the archived partner as a party", "protocol.parties[1].partner", func() error {
				_, err := admin.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "altro-patto",
					Protocol: matrixProtocol(altra.GetName(), "altro-patto", partnerName("udp"), cpia)})
				return err
			}},
			{"the archived partner invited to a meeting", "meeting.invited_partners[0]", func() error {
				_, err := admin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "invito", Meeting: invited})
				return err
			}},
			{"the archived partner as a new member", "network.members[2].partner", func() error {
				_, err := admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: withMember(altra, cpia), UpdateMask: members})
				return err
			}},
			{"a new member of the archived network", "network.members[2].partner", func() error {
				_, err := admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: withMember(reteNow, partnerName("ets")), UpdateMask: members})
				return err
			}},
			{"a contact of the archived partner", "contact.partner", func() error {
				_, err := admin.CreateContact(ctx, &famiv1.CreateContactRequest{Parent: lombardia, ContactId: "bianchi", Contact: &famiv1.Contact{
					DisplayName: "Anna Bianchi", Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_TEACHER, Partner: cpia}})
				return err
			}},
			{"a signature on a protocol of the archived network", "name", func() error {
				_, err := udpStaff.SignProtocol(ctx, &famiv1.SignProtocolRequest{Name: patto.GetName(), ContentHash: patto.GetContentHash()})
				return err
			}},
		} {
			got, ok := asCallError(tc.call())
			if !ok || got.Code != codes.FailedPrecondition || got.Reason != "ARCHIVED" || !slices.Contains(got.Fields, tc.field) ||
				(kind == "rest" && got.HTTPStatus != http.StatusConflict) {
				t.Errorf("%s: %v, want FAILED_PRECONDITION ARCHIVED naming %s (409 on REST)", tc.name, got, tc.field)
				continue
			}
			if i := slices.Index(got.Fields, tc.field); got.FieldReasons[i] != "ARCHIVED" {
				t.Errorf("%s: the violation of %s has reason %q, want ARCHIVED", tc.name, tc.field, got.FieldReasons[i])
			}
		}
		if after := revision(); after != before {
			t.Errorf("the region's revision went from %d to %d: a refused write wrote", before, after)
		}

		// What already names them stays readable and editable.
		title := &fieldmaskpb.FieldMask{Paths: []string{"title"}}
		if _, err := admin.UpdateMeeting(ctx, &famiv1.UpdateMeetingRequest{Meeting: &famiv1.Meeting{Name: names["fami.v1.Meeting"], Title: "Tavolo rinominato"},
			UpdateMask: title}); err != nil {
			t.Errorf("edit a meeting of the archived network: %v", err)
		}
		if _, err := consultant.UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{SupportEntry: &famiv1.SupportEntry{Name: names["fami.v1.SupportEntry"], Notes: "Corrette"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}}); err != nil {
			t.Errorf("edit a support entry of the archived network: %v", err)
		}
		if _, err := admin.UpdateContact(ctx, &famiv1.UpdateContactRequest{Contact: &famiv1.Contact{Name: names["fami.v1.Contact"], DisplayName: "Mario Rossi Verdi"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}); err != nil {
			t.Errorf("edit a contact of the archived partner: %v", err)
		}
		if _, err := admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: rete, DisplayName: "Rete (chiusa)"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}); err != nil {
			t.Errorf("edit the archived network, keeping its archived member: %v", err)
		}
		if _, err := admin.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: patto.GetName()}); err != nil {
			t.Errorf("read the protocol of the archived network: %v", err)
		}

		// Active again, the network takes a new meeting.
		if _, err := admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: rete, State: famiv1.NetworkState_NETWORK_STATE_ACTIVE},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
			t.Fatalf("make %s active again: %v", rete, err)
		}
		if _, err := admin.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: lombardia, MeetingId: "nuovo-tavolo", Meeting: matrixMeeting(rete, "nuovo-tavolo")}); err != nil {
			t.Errorf("a meeting of the network active again: %v", err)
		}
	})
}

// TestArchivedTakesNoAmendmentOrEvaluation: an amendment of a protocol
// naming an archived party or network, a capacity assessment of an
// archived network and a survey of a meeting of one are refused at once
// (ADR 36), on every surface: FAILED_PRECONDITION (409 on REST), reason
// ARCHIVED, one violation of the field for each archived network or
// partner, the message naming the first, with nothing written. Before, the amendment copied the archived references
// into a draft that opening for signature then refused, and the
// evaluations passed. The assessments already recorded stay editable, and
// once active again each write passes.
func TestArchivedTakesNoAmendmentOrEvaluation(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
		rete, cpia, meeting := names["fami.v1.Network"], partnerName("cpia"), names["fami.v1.Meeting"]
		patto, err := admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: names["fami.v1.Protocol"]})
		if err != nil {
			t.Fatal(err)
		}
		archive := func(partner bool, archived bool) {
			t.Helper()
			if partner {
				_, err = admin.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: cpia, Archived: archived},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"archived"}}})
			} else {
				state := famiv1.NetworkState_NETWORK_STATE_ACTIVE
				if archived {
					state = famiv1.NetworkState_NETWORK_STATE_ARCHIVED
				}
				_, err = admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: rete, State: state},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}})
			}
			if err != nil {
				t.Fatalf("archived=%v: %v", archived, err)
			}
		}
		revision := func() int64 { return admin.revision(t, lombardia) }
		amend := func() error {
			_, err := admin.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: patto.GetName(), ProtocolId: "patto-v2"})
			return err
		}
		assess := func() error {
			_, err := consultant.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: rete, CapacityAssessmentId: "governance",
				CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Governance", T0: 3, T0Date: "2024-02-10"}})
			return err
		}
		survey := func() error {
			_, err := consultant.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "tavolo", Survey: &famiv1.Survey{
				Title: "Il tavolo", Meeting: meeting, Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}},
				CloseTime: timestamppb.New(ts.Clock.Now().Add(time.Hour))}})
			return err
		}
		refused := func(what string, err error, field string, archived ...string) {
			t.Helper()
			got, ok := asCallError(err)
			if !ok || got.Code != codes.FailedPrecondition || got.Reason != "ARCHIVED" || len(got.Fields) != len(archived) ||
				(kind == "rest" && got.HTTPStatus != http.StatusConflict) {
				t.Errorf("%s: %v, want FAILED_PRECONDITION ARCHIVED with %d violations (409 on REST)", what, err, len(archived))
				return
			}
			for i, f := range got.Fields {
				if f != field || got.FieldReasons[i] != "ARCHIVED" {
					t.Errorf("%s: violation %d of %s reason %s, want %s ARCHIVED", what, i, f, got.FieldReasons[i], field)
				}
			}
			// The message says the first violation; each names its own.
			if !strings.Contains(got.Message, archived[0]) {
				t.Errorf("%s: %q does not name %s", what, got.Message, archived[0])
			}
		}

		unwritten := func(before int64) {
			t.Helper()
			if after := revision(); after != before {
				t.Errorf("the region's revision went from %d to %d: a refused write wrote", before, after)
			}
		}
		archive(true, true)
		before := revision()
		refused("an amendment of a protocol with an archived party", amend(), "name", cpia)
		unwritten(before)
		archive(false, true)
		before = revision()
		refused("an amendment of a protocol of an archived network with an archived party", amend(), "name", rete, cpia)
		refused("a capacity assessment of an archived network", assess(), "parent", rete)
		refused("a survey of a meeting of an archived network", survey(), "survey.meeting", rete)
		unwritten(before)

		// What was recorded stays editable.
		if _, err := consultant.UpdateCapacityAssessment(ctx, &famiv1.UpdateCapacityAssessmentRequest{CapacityAssessment: &famiv1.CapacityAssessment{
			Name: names["fami.v1.CapacityAssessment"], Notes: "Rete chiusa"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}}); err != nil {
			t.Errorf("edit an assessment of the archived network: %v", err)
		}

		// Active again, each passes.
		archive(false, false)
		archive(true, false)
		for what, call := range map[string]func() error{"amendment": amend, "assessment": assess, "survey": survey} {
			if err := call(); err != nil {
				t.Errorf("%s once active again: %v", what, err)
			}
		}
		if _, err := admin.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: lombardia + "/protocols/patto-v2"}); err != nil {
			t.Errorf("the amendment made once active again: %v", err)
		}
	})
}

// TestAmendmentLeavesOutWhatClosed: an amendment leaves out the parties
// and additional networks its request names (remove_parties,
// remove_additional_networks), so a protocol whose partner or additional
// network was archived (a body that closed) is amended without it, on
// every surface (ADR 36, revised). An amendment that keeps an archived
// one is still refused ARCHIVED, one violation for each kept, and one
// that leaves out what the protocol does not hold is INVALID_ARGUMENT
// naming the element, with nothing written; the draft takes no archived
// party back. Before, the only way was to make the record active again,
// amend, and archive it again.
func TestAmendmentLeavesOutWhatClosed(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		admin := newSurface(t, ts, kind)
		udp, cpia := partnerName("udp"), partnerName("cpia")
		altra := otherNetwork(t, admin, cpia)
		if _, err := admin.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: names["fami.v1.Protocol"],
			AdditionalNetworks: []string{altra.GetName()}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"additional_networks"}}}); err != nil {
			t.Fatal(err)
		}
		patto, err := admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: names["fami.v1.Protocol"]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: cpia, Archived: true},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"archived"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: altra.GetName(), State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
			t.Fatal(err)
		}
		revision := func() int64 { return admin.revision(t, lombardia) }
		amend := func(parties, networks []string) (*famiv1.Protocol, error) {
			return admin.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: patto.GetName(), ProtocolId: "patto-v2",
				RemoveParties: parties, RemoveAdditionalNetworks: networks})
		}
		before := revision()
		for _, c := range []struct {
			what              string
			parties, networks []string
			want              wantErr
			named             string
		}{
			{"keeping both", nil, nil, wantErr{codes.FailedPrecondition, "ARCHIVED", []string{"name", "name"}}, altra.GetName()},
			{"keeping the archived network", []string{cpia}, nil, wantErr{codes.FailedPrecondition, "ARCHIVED", []string{"name"}}, altra.GetName()},
			{"keeping the archived party", nil, []string{altra.GetName()}, wantErr{codes.FailedPrecondition, "ARCHIVED", []string{"name"}}, cpia},
			{"leaving out what it does not hold, or twice", []string{cpia, partnerName("ets"), cpia, "x\x00"}, []string{names["fami.v1.Network"]},
				wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"remove_parties[1]", "remove_parties[2]", "remove_parties[3]", "remove_additional_networks[0]"}}, "remove_parties"},
		} {
			_, err := amend(c.parties, c.networks)
			checkErr(t, "an amendment "+c.what, err, c.want)
			if e, ok := asCallError(err); ok && !strings.Contains(e.Message, c.named) {
				t.Errorf("an amendment %s: %q does not name %s", c.what, e.Message, c.named)
			}
		}
		if after := revision(); after != before {
			t.Errorf("the region's revision went from %d to %d: a refused amendment wrote", before, after)
		}

		// Leaving out both, the amendment is made, of the rest.
		next, err := amend([]string{cpia}, []string{altra.GetName()})
		if err != nil {
			t.Fatalf("an amendment leaving out the archived party and network: %v", err)
		}
		if got := partnersOf(next); !slices.Equal(got, []string{udp}) || len(next.GetAdditionalNetworks()) != 0 ||
			next.GetNetwork() != patto.GetNetwork() || next.GetSupersedes() != patto.GetName() || next.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_DRAFT {
			t.Errorf("the amendment: parties %q, additional networks %q, network %s, supersedes %s, %s; want [%s], none, %s, %s, DRAFT",
				got, next.GetAdditionalNetworks(), next.GetNetwork(), next.GetSupersedes(), next.GetState(), udp, patto.GetNetwork(), patto.GetName())
		}
		// The draft takes no archived party back.
		_, err = admin.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: next.GetName(),
			Parties: append(next.GetParties(), &famiv1.Party{Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY})},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"parties"}}})
		checkErr(t, "the archived party added to the amendment", err, wantErr{codes.FailedPrecondition, "ARCHIVED", []string{"protocol.parties[1].partner"}})
	})
}

// partnersOf lists the partners of p's parties.
func partnersOf(p *famiv1.Protocol) []string {
	var out []string
	for _, party := range p.GetParties() {
		out = append(out, party.GetPartner())
	}
	return out
}

// otherNetwork creates the network "altra", led by udp with partner as
// its other member.
func otherNetwork(t *testing.T, admin surface, partner string) *famiv1.Network {
	t.Helper()
	n, err := admin.CreateNetwork(t.Context(), &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "altra", Network: &famiv1.Network{
		DisplayName: "Altra", LeadPartner: partnerName("udp"), Members: []*famiv1.Member{
			{Partner: partnerName("udp"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: partner, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
