package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/protocolhashtest"
	"github.com/raccordo/raccordo/internal/server"
)

// --- the scenario ---

func protocolName(id string) string { return lombardia + "/protocols/" + id }

// TestProtocolsEverySurface runs the protocol lifecycle of issue 6 through
// grpc-go, Connect, gRPC-Web and REST, each against its own fresh server,
// and requires the four transcripts to be identical: a draft with three
// parties, edits, opening for signature, three signatures by three
// partners' staff, IN_FORCE; the refusals; an amendment that supersedes the
// first version once in force.
func TestProtocolsEverySurface(t *testing.T) {
	t.Parallel()
	onEverySurface(t, server.Config{}, rendered(summary), false, func(on *onSurface) {
		(&protocolScenario{on}).run()
	})
}

type protocolScenario struct{ *onSurface }

// staff is a network member working for partner id of lombardia.
func (sc *protocolScenario) staff(id, displayName string) surface {
	return sc.as(auth.TokenSpec{Subject: "test:staff:" + id, Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName(id), Name: displayName})
}

// summary is what the transcript keeps of a protocol: everything but
// times, which differ between servers.
func summary(p *famiv1.Protocol) string {
	var sigs []string
	for _, s := range p.GetSignatures() {
		sigs = append(sigs, fmt.Sprintf("%s by %s (%s, %s) hash %.8s", s.GetParty(), s.GetSigner(), s.GetSignerDisplayName(), s.GetSignerRole(), s.GetContentHash()))
	}
	return fmt.Sprintf("%s v%d %s etag=%s hash=%s supersedes=%q superseded_by=%q title=%q signatures=%q",
		p.GetName(), p.GetVersion(), p.GetState(), p.GetEtag(), p.GetContentHash(), p.GetSupersedes(), p.GetSupersededBy(), p.GetTitle(), sigs)
}

// ok checks that a step succeeded and records its result:
// sc.ok(step)(client.Call(...)).
func (sc *protocolScenario) ok(step string) func(*famiv1.Protocol, error) *famiv1.Protocol {
	return succeeded[*famiv1.Protocol](sc.transcript, step)
}

func (sc *protocolScenario) wantState(step string, p *famiv1.Protocol, want famiv1.ProtocolState) {
	sc.t.Helper()
	if p.GetState() != want {
		sc.t.Errorf("%s: state %s, want %s", step, p.GetState(), want)
	}
}

func (sc *protocolScenario) run() {
	t, ctx := sc.t, sc.ctx
	reg := newSurface(t, sc.ts, sc.kind) // region_admin of lombardia
	for _, p := range []struct{ id, name string }{
		{"udp-milano", "Ufficio di Piano di Milano"},
		{"cpia-milano", "CPIA 5 Milano"},
		{"cpi-milano", "Centro per l'impiego di Milano"},
		{"caritas", "Caritas Ambrosiana"},
	} {
		if _, err := reg.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: p.id,
			Partner: &famiv1.Partner{DisplayName: p.name, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			t.Fatalf("create partner %s: %v", p.id, err)
		}
	}
	seedNetwork(t, ctx, reg, "cpia-milano", "cpi-milano")

	admin := newSurfaceAs(t, sc.ts, sc.kind, sc.ts.token)
	consultant := sc.as(auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia", Name: "Consulente ANCI"})
	udp := sc.staff("udp-milano", "Anna Bianchi")
	cpia := sc.staff("cpia-milano", "Marco Verdi")
	cpi := sc.staff("cpi-milano", "Giulia Neri")
	caritas := sc.staff("caritas", "Luca Russo")
	veneto := sc.as(auth.TokenSpec{Subject: "test:staff:veneto", Role: principal.NetworkMember, Region: "veneto", Partner: "regions/veneto/partners/udp-milano"})

	draft := &famiv1.Protocol{
		Network:    networkName("rete-milano"),
		Title:      "Protocollo UdP-CPIA-CPI",
		Objectives: "Percorsi di italiano L2 e orientamento al lavoro",
		Body:       "Art. 1 - Oggetto\nLe parti collaborano.",
		Themes:     []string{"italiano L2", "lavoro"},
		ValidFrom:  "2024-01-01",
		ValidUntil: "2099-12-31",
		Parties: []*famiv1.Party{
			{Partner: partnerName("udp-milano"), Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT, Commitments: "Coordina il tavolo"},
			{Partner: partnerName("cpia-milano"), Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY, Commitments: "Tiene i corsi L2"},
			{Partner: partnerName("cpi-milano"), Role: famiv1.PartyRole_PARTY_ROLE_OTHER, RoleLabel: "orientamento", Commitments: "Orienta al lavoro"},
		},
	}

	// Invalid drafts name the field at fault.
	bad := proto.CloneOf(draft)
	bad.ValidFrom, bad.ValidUntil = "2026-06-01", "2026-05-31"
	_, err := consultant.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "bad", Protocol: bad})
	sc.fails("create with validity ending before it starts", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"protocol.valid_until"}}, "before valid_from")
	bad = proto.CloneOf(draft)
	bad.Parties[1].Partner = partnerName("nessuno")
	_, err = consultant.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "bad", Protocol: bad})
	sc.fails("create with a party that does not exist", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"protocol.parties[1].partner"}}, "does not exist")
	// A theme is compared as names are: in another case, its accent
	// decomposed (NFD) and its words spaced apart, it is the same theme.
	bad = proto.CloneOf(draft)
	bad.Themes = []string{"Società civile", "italiano L2", "SOCIETA\u0300  civile"}
	_, err = consultant.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "bad", Protocol: bad})
	sc.fails("create with a theme listed twice in two forms", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"protocol.themes[2]"}}, "listed twice")
	_, err = caritas.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "p", Protocol: draft})
	sc.fails("create by the staff of a partner that is not a party", err, wantErr{codes.PermissionDenied, "NOT_A_PARTY", nil}, "not a party")

	// A consultant drafts; a party's staff and the region edit.
	v1 := protocolName("udp-cpia-cpi")
	p := sc.ok("create draft")(consultant.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: "udp-cpia-cpi", Protocol: draft}))
	sc.wantState("create draft", p, famiv1.ProtocolState_PROTOCOL_STATE_DRAFT)
	p = sc.ok("edit body by the CPIA")(cpia.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{
		Protocol:   &famiv1.Protocol{Name: v1, Body: draft.Body + "\nArt. 2 - Impegni\nCome indicato per ciascuna parte.", Etag: p.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"body"}},
	}))
	p = sc.ok("edit title by the region")(admin.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{
		Protocol:   &famiv1.Protocol{Name: v1, Title: "Protocollo di collaborazione UdP-CPIA-CPI di Milano", Etag: p.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
	}))

	// Opening freezes the text; its hash is the documented one.
	p = sc.ok("open for signature")(admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: v1, Etag: p.GetEtag()}))
	sc.wantState("open for signature", p, famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE)
	if got, want := p.GetContentHash(), protocolhashtest.ContentHash(t, p); got != want {
		t.Errorf("content_hash %s, recomputed from docs/protocol-content-hash.md: %s", got, want)
	}
	hash := p.GetContentHash()
	_, err = admin.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{
		Protocol: &famiv1.Protocol{Name: v1, Title: "Altro titolo"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	sc.fails("edit after opening", err, wantErr{codes.FailedPrecondition, "PROTOCOL_NOT_DRAFT", nil}, "frozen", "amend")
	_, err = admin.DeleteProtocol(ctx, &famiv1.DeleteProtocolRequest{Name: v1})
	sc.fails("delete after opening", err, wantErr{codes.FailedPrecondition, "PROTOCOL_NOT_DRAFT", nil}, "only a DRAFT can be deleted")

	// Only a party's staff sign, for their own partner, the current text.
	sign := func(c surface, name, h string) (*famiv1.Protocol, error) {
		return c.SignProtocol(ctx, &famiv1.SignProtocolRequest{Name: name, ContentHash: h})
	}
	_, err = sign(admin, v1, hash)
	sc.fails("sign by a region admin", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil}, "region_admin")
	_, err = sign(veneto, v1, hash)
	sc.fails("sign by another region's staff", err, wantErr{codes.PermissionDenied, "OUTSIDE_REGION", nil}, "lombardia")
	_, err = sign(caritas, v1, hash)
	sc.fails("sign by a partner that is not a party", err, wantErr{codes.PermissionDenied, "NOT_A_PARTY", nil}, partnerName("caritas")+" is not a party")
	stale := strings.Repeat("0", 64)
	_, err = sign(udp, v1, stale)
	sc.fails("sign with a stale content hash", err, wantErr{codes.Aborted, "CONTENT_HASH_MISMATCH", nil}, "read the protocol again")

	p = sc.ok("sign by the UdP")(sign(udp, v1, hash))
	sc.wantState("sign by the UdP", p, famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE)
	_, err = sign(udp, v1, hash)
	sc.fails("second signature by the UdP", err, wantErr{codes.FailedPrecondition, "ALREADY_SIGNED", nil}, "already signed")
	p = sc.ok("sign by the CPIA")(sign(cpia, v1, hash))
	sc.wantState("sign by the CPIA", p, famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE)
	p = sc.ok("sign by the CPI")(sign(cpi, v1, hash))
	sc.wantState("sign by the CPI", p, famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
	_, err = sign(caritas, v1, hash)
	sc.fails("a fourth signature", err, wantErr{codes.PermissionDenied, "NOT_A_PARTY", nil}, "not a party")

	p = sc.ok("get after three signatures")(caritas.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: v1}))
	sc.wantState("get after three signatures", p, famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
	if n := len(p.GetSignatures()); n != 3 {
		t.Errorf("get after three signatures: %d signatures, want 3", n)
	}
	res, err := udp.ListProtocols(ctx, &famiv1.ListProtocolsRequest{Parent: lombardia, State: famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE, Partner: partnerName("cpi-milano")})
	if err != nil || len(res.GetProtocols()) != 1 {
		t.Errorf("list IN_FORCE with the CPI as a party: %v, %v", res, err)
	}
	sc.record("list IN_FORCE with the CPI as a party: %q", names(res.GetProtocols()))

	// A partner a protocol references cannot go.
	_, err = reg.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("cpi-milano")})
	sc.fails("delete a partner that is a party", err, wantErr{codes.FailedPrecondition, "PARTNER_IN_USE", nil}, v1)

	// An amendment: a new DRAFT version, copied, edited, signed again.
	v2 := protocolName("udp-cpia-cpi-2")
	a := sc.ok("amend")(udp.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: v1, ProtocolId: "udp-cpia-cpi-2"}))
	sc.wantState("amend", a, famiv1.ProtocolState_PROTOCOL_STATE_DRAFT)
	if a.GetVersion() != 2 || a.GetSupersedes() != v1 || a.GetBody() != p.GetBody() || len(a.GetParties()) != 3 {
		t.Errorf("amend: got %s", summary(a))
	}
	sc.ok("edit the amendment")(cpia.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{
		Protocol:   &famiv1.Protocol{Name: v2, Body: p.GetBody() + "\nArt. 3 - Mediazione culturale"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"body"}},
	}))
	a = sc.ok("open the amendment")(cpi.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: v2}))
	if a.GetContentHash() == hash || a.GetContentHash() != protocolhashtest.ContentHash(t, a) {
		t.Errorf("amendment content_hash %s (first version %s)", a.GetContentHash(), hash)
	}
	_, err = sign(udp, v2, hash)
	sc.fails("sign the amendment with the first version's hash", err, wantErr{codes.Aborted, "CONTENT_HASH_MISMATCH", nil}, "read the protocol again")
	sc.ok("sign the amendment by the UdP")(sign(udp, v2, a.GetContentHash()))
	sc.ok("sign the amendment by the CPIA")(sign(cpia, v2, a.GetContentHash()))
	old := sc.ok("the first version while the amendment waits")(admin.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: v1}))
	sc.wantState("the first version while the amendment waits", old, famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
	a = sc.ok("sign the amendment by the CPI")(sign(cpi, v2, a.GetContentHash()))
	sc.wantState("sign the amendment by the CPI", a, famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
	old = sc.ok("the first version once the amendment is in force")(admin.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: v1}))
	sc.wantState("the first version once the amendment is in force", old, famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED)
	if old.GetSupersededBy() != v2 {
		t.Errorf("superseded_by %q, want %q", old.GetSupersededBy(), v2)
	}
	res, err = admin.ListProtocols(ctx, &famiv1.ListProtocolsRequest{Parent: lombardia, State: famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED})
	if err != nil || len(res.GetProtocols()) != 1 || res.GetProtocols()[0].GetName() != v1 {
		t.Errorf("list SUPERSEDED: %v, %v", res, err)
	}
	sc.record("list SUPERSEDED: %q", names(res.GetProtocols()))

	_, err = admin.TerminateProtocol(ctx, &famiv1.TerminateProtocolRequest{Name: v2})
	sc.fails("terminate without a reason", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"reason"}}, "reason")
	_, err = admin.TerminateProtocol(ctx, &famiv1.TerminateProtocolRequest{Name: v1, Reason: "Sostituito"})
	sc.fails("terminate a superseded version", err, wantErr{codes.FailedPrecondition, "PROTOCOL_ENDED", nil}, "SUPERSEDED")
	term := sc.ok("terminate the amendment")(udp.TerminateProtocol(ctx, &famiv1.TerminateProtocolRequest{Name: v2, Reason: "Il CPI si ritira dal tavolo"}))
	sc.wantState("terminate the amendment", term, famiv1.ProtocolState_PROTOCOL_STATE_TERMINATED)
	if tm := term.GetTermination(); tm.GetReason() != "Il CPI si ritira dal tavolo" || tm.GetBy() != "test:staff:udp-milano" || tm.GetTime() == nil {
		t.Errorf("termination %v", tm)
	}
}

// draftProtocol creates, as s, lombardia's protocol id of rete-milano
// (seedNetwork), proposed by udp-milano and signed by cpia-milano, valid
// from 2024.
func draftProtocol(t *testing.T, ctx context.Context, s surface, id string) *famiv1.Protocol {
	t.Helper()
	return mustOK(s.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: id, Protocol: &famiv1.Protocol{
		Network: networkName("rete-milano"), Title: "Protocollo", Body: "Art. 1", ValidFrom: "2024-01-01",
		Parties: []*famiv1.Party{
			{Partner: partnerName("udp-milano"), Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT},
			{Partner: partnerName("cpia-milano"), Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY},
		}}}))(t, "create "+id)
}

// TestProtocolAmendmentsAreBounded: a chain of versions holds at most 64
// amendments, the steps the server's walks along it take to derive each
// version's state. The 65th is refused as the chain's state
// (FAILED_PRECONDITION, LIMIT_REACHED, naming no field of the request but
// the limit in its metadata), and nothing is written.
func TestProtocolAmendmentsAreBounded(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_OTHER, "udp-milano", "cpia-milano")
		seedNetwork(t, ctx, s, "cpia-milano")
		p := draftProtocol(t, ctx, s, "v0")
		for i := 1; i <= 64; i++ {
			p = mustOK(s.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}))(t, "open "+p.GetName())
			p = mustOK(s.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: p.GetName(), ProtocolId: fmt.Sprintf("v%d", i)}))(t, fmt.Sprintf("amendment %d", i))
		}
		p = mustOK(s.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}))(t, "open "+p.GetName())
		before := snapshot(t, ctx, s)
		_, err := s.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: p.GetName(), ProtocolId: "v65"})
		checkErr(t, "the 65th amendment", err, wantErr{codes.FailedPrecondition, "LIMIT_REACHED", nil})
		wantLimit(t, "the 65th amendment", err, p.GetName(), "amendments", 64)
		wantNothingWritten(t, ctx, s, before)
		_, err = s.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: protocolName("v65")})
		checkErr(t, "get the refused amendment", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
	})
}
