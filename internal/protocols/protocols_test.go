package protocols_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/errs/errstest"
	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/registry/registrytest"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/territory"
	"github.com/raccordo/raccordo/sdk/protocolhash"
)

const (
	lombardia = registrytest.Region
	parent    = registrytest.Parent
)

var partnerName, networkName = registrytest.PartnerName, registrytest.NetworkName

// setDay moves clock to 10:00 in Rome on day (YYYY-MM-DD).
func setDay(t *testing.T, clock *fakeclock.Clock, day string) {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02", day, territory.Rome)
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(d.Add(10 * time.Hour))
}

func protocolName(id string) string { return parent + "/protocols/" + id }

// env is a protocol service on a fresh bbolt store with a region's
// registry: four partners (three of them parties of the protocols the
// tests draft) and two networks.
type env struct {
	*registrytest.Env
	svc *protocols.Service
}

var partners = []string{"udp-bergamo", "cpia-bergamo", "cpi-bergamo", "caritas"}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: registrytest.New(t)}
	setDay(t, e.Clock, "2026-03-02")
	e.svc = protocols.New(e.Store, protocols.Options{Now: e.Clock.Now})
	ctx := e.admin()
	for _, id := range partners {
		_, err := e.Reg.Partners().CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: id, Partner: &famiv1.Partner{
			DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
		if err != nil {
			t.Fatalf("create partner %s: %v", id, err)
		}
	}
	// Every partner is a member of rete-bergamo, the drafts' network: only
	// members of a protocol's networks may sign it.
	lead := []*famiv1.Member{{Partner: partnerName("udp-bergamo"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
	all := lead
	for _, id := range partners {
		if id != "udp-bergamo" {
			all = append(all, &famiv1.Member{Partner: partnerName(id), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
		}
	}
	for id, members := range map[string][]*famiv1.Member{"rete-bergamo": all, "rete-dalmine": lead} {
		_, err := e.Reg.Networks().CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: id, Network: &famiv1.Network{
			DisplayName: id, LeadPartner: partnerName("udp-bergamo"),
			Members: members}})
		if err != nil {
			t.Fatalf("create network %s: %v", id, err)
		}
	}
	return e
}

func (e *env) admin() context.Context {
	return e.As(principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: lombardia, DisplayName: "Region admin"})
}

// draft is a protocol with three parties valid through 2026-2028.
func draft() *famiv1.Protocol {
	return &famiv1.Protocol{
		Network:    networkName("rete-bergamo"),
		Title:      "Protocollo UdP-CPIA-CPI per l'italiano L2",
		Objectives: "Corsi di italiano L2 vicini ai servizi",
		Body:       "Art. 1 - Oggetto\nLe parti collaborano.",
		Themes:     []string{"italiano L2"},
		ValidFrom:  "2026-01-01",
		ValidUntil: "2028-12-31",
		Parties: []*famiv1.Party{
			{Partner: partnerName("udp-bergamo"), Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT, Commitments: "Coordina"},
			{Partner: partnerName("cpia-bergamo"), Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY, Commitments: "Tiene i corsi"},
			{Partner: partnerName("cpi-bergamo"), Role: famiv1.PartyRole_PARTY_ROLE_OTHER, RoleLabel: "orientamento al lavoro", Commitments: "Orienta"},
		},
	}
}

func (e *env) create(id string, p *famiv1.Protocol) *famiv1.Protocol {
	e.T.Helper()
	got, err := e.svc.CreateProtocol(e.admin(), &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: id, Protocol: p})
	if err != nil {
		e.T.Fatalf("create %s: %v", id, err)
	}
	return got
}

func (e *env) open(name string) *famiv1.Protocol {
	e.T.Helper()
	got, err := e.svc.OpenProtocolForSignature(e.admin(), &famiv1.OpenProtocolForSignatureRequest{Name: name})
	if err != nil {
		e.T.Fatalf("open %s: %v", name, err)
	}
	return got
}

func (e *env) sign(partner, name, hash string) (*famiv1.Protocol, error) {
	return e.svc.SignProtocol(e.Member(partner), &famiv1.SignProtocolRequest{Name: name, ContentHash: hash})
}

// signAll signs name by its three parties and returns the result of the
// last signature.
func (e *env) signAll(name, hash string) *famiv1.Protocol {
	e.T.Helper()
	var p *famiv1.Protocol
	for _, id := range partners[:3] {
		var err error
		if p, err = e.sign(id, name, hash); err != nil {
			e.T.Fatalf("sign %s by %s: %v", name, id, err)
		}
	}
	return p
}

func (e *env) get(name string) *famiv1.Protocol {
	e.T.Helper()
	p, err := e.svc.GetProtocol(e.admin(), &famiv1.GetProtocolRequest{Name: name})
	if err != nil {
		e.T.Fatalf("get %s: %v", name, err)
	}
	return p
}

// stored reads a protocol as the store holds it, without derivation.
func (e *env) stored(name string) *famiv1.Protocol {
	e.T.Helper()
	p := &famiv1.Protocol{}
	if err := e.Store.View(e.T.Context(), lombardia, func(tx store.ReadTx) error { return tx.Get(name, p) }); err != nil {
		e.T.Fatalf("read %s: %v", name, err)
	}
	return p
}

// changesSince returns the change log after revision rev.
func (e *env) changesSince(rev int64) []*famiv1.Change {
	e.T.Helper()
	var out []*famiv1.Change
	err := e.Store.View(e.T.Context(), lombardia, func(tx store.ReadTx) error {
		return tx.Changes(rev, func(c *famiv1.Change) bool { out = append(out, c); return true })
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return out
}

func (e *env) revision() int64 {
	e.T.Helper()
	var rev int64
	e.Store.View(e.T.Context(), lombardia, func(tx store.ReadTx) error { rev = tx.Revision(); return nil })
	return rev
}

func wantState(t *testing.T, step string, p *famiv1.Protocol, want famiv1.ProtocolState) {
	t.Helper()
	if p.GetState() != want {
		t.Errorf("%s: state %s, want %s", step, p.GetState(), want)
	}
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	name := protocolName("udp-cpia")
	p := e.create("udp-cpia", draft())
	wantState(t, "create", p, famiv1.ProtocolState_PROTOCOL_STATE_DRAFT)
	if p.GetVersion() != 1 || p.GetContentHash() != "" || p.GetEtag() == "" || p.GetCreateTime() == nil {
		t.Errorf("create: got version %d, hash %q, etag %q, create_time %v", p.GetVersion(), p.GetContentHash(), p.GetEtag(), p.GetCreateTime())
	}

	upd, err := e.svc.UpdateProtocol(e.Member("cpia-bergamo"), &famiv1.UpdateProtocolRequest{
		Protocol:   &famiv1.Protocol{Name: name, Title: "Protocollo per l'italiano L2", Etag: p.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
	})
	if err != nil {
		t.Fatalf("update by a party: %v", err)
	}
	if upd.GetTitle() != "Protocollo per l'italiano L2" || upd.GetBody() != p.GetBody() || upd.GetEtag() == p.GetEtag() {
		t.Errorf("update: got title %q body %q etag %q", upd.GetTitle(), upd.GetBody(), upd.GetEtag())
	}
	_, err = e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: name, Title: "x", Etag: p.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	errstest.Want(t, "update with a stale etag", err, errs.Conflict, "ETAG_MISMATCH")

	opened := e.open(name)
	wantState(t, "open", opened, famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE)
	if got, want := opened.GetContentHash(), protocolhash.Of(upd); got != want || len(got) != 64 {
		t.Errorf("open: content_hash %q, want %q", got, want)
	}

	rev := e.revision()
	for i, id := range partners[:3] {
		got, err := e.sign(id, name, opened.GetContentHash())
		if err != nil {
			t.Fatalf("sign by %s: %v", id, err)
		}
		want := famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE
		if i == 2 {
			want = famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE
		}
		wantState(t, "sign by "+id, got, want)
		sig := got.GetSignatures()[i]
		if sig.GetParty() != partnerName(id) || sig.GetSigner() != "test:staff:"+id || sig.GetSignerDisplayName() != "Staff of "+id ||
			sig.GetSignerRole() != "network_member" || sig.GetContentHash() != opened.GetContentHash() || !sig.GetSignTime().AsTime().Equal(e.Clock.Now()) {
			t.Errorf("sign by %s: signature %v", id, sig)
		}
	}
	wantState(t, "get after three signatures", e.get(name), famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
	if got := e.stored(name).GetState(); got != famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE {
		t.Errorf("stored state %s, want IN_FORCE", got)
	}
	// Every signature went through the change log, with its signer.
	changes := e.changesSince(rev)
	if len(changes) != 3 {
		t.Fatalf("got %d changes for three signatures, want 3", len(changes))
	}
	for i, c := range changes {
		if c.GetResourceName() != name || c.GetPrincipal() != "test:staff:"+partners[i] {
			t.Errorf("change %d: %s by %s", i, c.GetResourceName(), c.GetPrincipal())
		}
	}
}

func TestSignRefusals(t *testing.T) {
	e := newEnv(t)
	name := protocolName("udp-cpia")
	e.create("udp-cpia", draft())

	_, err := e.sign("udp-bergamo", name, "0000000000000000000000000000000000000000000000000000000000000000")
	errstest.Want(t, "sign a draft", err, errs.FailedPrecondition, "PROTOCOL_NOT_OPEN")

	hash := e.open(name).GetContentHash()
	_, err = e.sign("caritas", name, hash)
	errstest.Want(t, "sign by a partner that is not a party", err, errs.PermissionDenied, "NOT_A_PARTY")
	_, err = e.svc.SignProtocol(e.admin(), &famiv1.SignProtocolRequest{Name: name, ContentHash: hash})
	errstest.Want(t, "sign by a region admin", err, errs.PermissionDenied, "ROLE_NOT_ALLOWED")
	_, err = e.sign("udp-bergamo", name, "")
	errstest.Want(t, "sign without a hash", err, errs.Invalid, "INVALID_ARGUMENT", "content_hash")
	stale := protocolhash.Of(draft())
	_, err = e.sign("udp-bergamo", name, stale)
	errstest.Want(t, "sign with a stale hash", err, errs.Conflict, "CONTENT_HASH_MISMATCH")

	if _, err := e.sign("udp-bergamo", name, hash); err != nil {
		t.Fatalf("first signature: %v", err)
	}
	_, err = e.sign("udp-bergamo", name, hash)
	errstest.Want(t, "second signature by the same party", err, errs.FailedPrecondition, "ALREADY_SIGNED")
	e.sign("cpia-bergamo", name, hash)
	e.sign("cpi-bergamo", name, hash)
	_, err = e.sign("caritas", name, hash)
	errstest.Want(t, "a fourth signature", err, errs.PermissionDenied, "NOT_A_PARTY")
	if n := len(e.get(name).GetSignatures()); n != 3 {
		t.Errorf("got %d signatures, want 3", n)
	}

	// A retried signature (same request_id) returns the first result and
	// writes nothing.
	name2 := protocolName("retry")
	e.create("retry", draft())
	hash2 := e.open(name2).GetContentHash()
	req := &famiv1.SignProtocolRequest{Name: name2, ContentHash: hash2, RequestId: "sign-1"}
	first, err := e.svc.SignProtocol(e.Member("udp-bergamo"), req)
	if err != nil {
		t.Fatal(err)
	}
	rev := e.revision()
	again, err := e.svc.SignProtocol(e.Member("udp-bergamo"), req)
	if err != nil || !proto.Equal(first, again) || e.revision() != rev {
		t.Errorf("retried signature: got %v, %v at revision %d; want the first result at revision %d", again, err, e.revision(), rev)
	}

	// Terminated and expired protocols can no longer be signed.
	if _, err := e.svc.TerminateProtocol(e.admin(), &famiv1.TerminateProtocolRequest{Name: name2, Reason: "Rinuncia del CPI"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.sign("cpia-bergamo", name2, hash2)
	errstest.Want(t, "sign a terminated protocol", err, errs.FailedPrecondition, "PROTOCOL_NOT_OPEN")
	name3 := protocolName("late")
	e.create("late", draft())
	hash3 := e.open(name3).GetContentHash()
	setDay(t, e.Clock, "2029-01-01")
	_, err = e.sign("cpia-bergamo", name3, hash3)
	errstest.Want(t, "sign an expired protocol", err, errs.FailedPrecondition, "PROTOCOL_NOT_OPEN")
}

func TestDerivedStates(t *testing.T) {
	e := newEnv(t)
	name := protocolName("future")
	d := draft()
	d.ValidFrom, d.ValidUntil = "2026-06-01", "2026-12-31"
	e.create("future", d)
	hash := e.open(name).GetContentHash()
	last := e.signAll(name, hash)
	wantState(t, "all signed before validity", last, famiv1.ProtocolState_PROTOCOL_STATE_SIGNED)

	for _, c := range []struct {
		day  string
		want famiv1.ProtocolState
	}{
		{"2026-05-31", famiv1.ProtocolState_PROTOCOL_STATE_SIGNED},
		{"2026-06-01", famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE},
		{"2026-12-31", famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE},
		{"2027-01-01", famiv1.ProtocolState_PROTOCOL_STATE_EXPIRED},
	} {
		setDay(t, e.Clock, c.day)
		wantState(t, "get on "+c.day, e.get(name), c.want)
		res, err := e.svc.ListProtocols(e.admin(), &famiv1.ListProtocolsRequest{Parent: parent, State: c.want})
		if err != nil || len(res.GetProtocols()) != 1 {
			t.Errorf("list %s on %s: got %v, %v; want the protocol", c.want, c.day, res, err)
		}
		if n, err := e.svc.CountProtocols(e.admin(), "lombardia", c.want); err != nil || n != 1 {
			t.Errorf("count %s on %s: got %d, %v; want 1, as listed", c.want, c.day, n, err)
		}
	}
	// Reading wrote nothing: the stored state is the one of the last write.
	if got := e.stored(name).GetState(); got != famiv1.ProtocolState_PROTOCOL_STATE_SIGNED {
		t.Errorf("stored state %s, want SIGNED", got)
	}

	// Midnight in Rome, not UTC, ends a day.
	e.Clock.Set(time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)) // 00:30 on 1 January in Rome
	wantState(t, "half an hour after midnight in Rome", e.get(name), famiv1.ProtocolState_PROTOCOL_STATE_EXPIRED)

	// Open-ended validity never expires.
	setDay(t, e.Clock, "2026-03-02")
	d = draft()
	d.ValidUntil = ""
	e.create("open-ended", d)
	e.signAll(protocolName("open-ended"), e.open(protocolName("open-ended")).GetContentHash())
	setDay(t, e.Clock, "2099-01-01")
	wantState(t, "open-ended in 2099", e.get(protocolName("open-ended")), famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
}

func TestAmendment(t *testing.T) {
	e := newEnv(t)
	v1 := protocolName("udp-cpia")
	e.create("udp-cpia", draft())
	e.signAll(v1, e.open(v1).GetContentHash())

	_, err := e.svc.AmendProtocol(e.Member("caritas"), &famiv1.AmendProtocolRequest{Name: v1, ProtocolId: "x"})
	errstest.Want(t, "amend by a non-party", err, errs.PermissionDenied, "NOT_A_PARTY")

	v2name := protocolName("udp-cpia-v2")
	v2, err := e.svc.AmendProtocol(e.Member("udp-bergamo"), &famiv1.AmendProtocolRequest{Name: v1, ProtocolId: "udp-cpia-v2"})
	if err != nil {
		t.Fatalf("amend: %v", err)
	}
	wantState(t, "amendment", v2, famiv1.ProtocolState_PROTOCOL_STATE_DRAFT)
	old := e.get(v1)
	if v2.GetName() != v2name || v2.GetVersion() != 2 || v2.GetSupersedes() != v1 || v2.GetBody() != old.GetBody() ||
		!proto.Equal(&famiv1.Protocol{Parties: v2.GetParties()}, &famiv1.Protocol{Parties: old.GetParties()}) ||
		len(v2.GetSignatures()) != 0 || v2.GetContentHash() != "" {
		t.Errorf("amendment: got %v", v2)
	}
	_, err = e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: v1, ProtocolId: "udp-cpia-v3"})
	errstest.Want(t, "a second amendment while one is pending", err, errs.FailedPrecondition, "AMENDMENT_PENDING")
	_, err = e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: v2name})
	errstest.Want(t, "amend a draft", err, errs.FailedPrecondition, "PROTOCOL_NOT_OPEN")

	// The amendment moves the start to the future: the old version stays
	// in force until the new one starts.
	_, err = e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{
		Protocol:   &famiv1.Protocol{Name: v2name, Body: old.GetBody() + "\nArt. 2 - Mediazione", ValidFrom: "2026-04-01"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"body", "valid_from"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	hash2 := e.open(v2name).GetContentHash()
	if hash2 == old.GetContentHash() {
		t.Fatal("the amendment has the old version's content hash")
	}
	_, err = e.sign("udp-bergamo", v2name, old.GetContentHash())
	errstest.Want(t, "sign the amendment with the old version's hash", err, errs.Conflict, "CONTENT_HASH_MISMATCH")
	last := e.signAll(v2name, hash2)
	wantState(t, "amendment signed before its start", last, famiv1.ProtocolState_PROTOCOL_STATE_SIGNED)
	wantState(t, "old version while the amendment waits", e.get(v1), famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)

	setDay(t, e.Clock, "2026-04-01")
	got := e.get(v1)
	wantState(t, "old version once the amendment started", got, famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED)
	if got.GetSupersededBy() != v2name {
		t.Errorf("derived superseded_by %q, want %q", got.GetSupersededBy(), v2name)
	}
	wantState(t, "amendment on its first day", e.get(v2name), famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
	res, err := e.svc.ListProtocols(e.admin(), &famiv1.ListProtocolsRequest{Parent: parent, State: famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED})
	if err != nil || !slices.Equal(registrytest.Names(res.GetProtocols()), []string{v1}) {
		t.Errorf("list SUPERSEDED: got %v, %v", res, err)
	}
	_, err = e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: v1})
	errstest.Want(t, "amend a superseded version", err, errs.FailedPrecondition, "PROTOCOL_ENDED")

	// An amendment signed within its validity supersedes the earlier
	// versions at once, on record: v3, then v2 and v1 (until now only
	// derived as superseded) in the same transaction.
	v3name := protocolName("udp-cpia-v3")
	if _, err := e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: v2name, ProtocolId: "udp-cpia-v3"}); err != nil {
		t.Fatal(err)
	}
	hash3 := e.open(v3name).GetContentHash()
	e.sign("udp-bergamo", v3name, hash3)
	e.sign("cpia-bergamo", v3name, hash3)
	rev := e.revision()
	last, err = e.sign("cpi-bergamo", v3name, hash3)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, "v3 signed", last, famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
	if last.GetVersion() != 3 {
		t.Errorf("v3 version %d", last.GetVersion())
	}
	changes := e.changesSince(rev)
	if len(changes) != 3 || changes[0].GetResourceName() != v3name || changes[1].GetResourceName() != v2name || changes[2].GetResourceName() != v1 ||
		changes[0].GetRevision()+2 != changes[2].GetRevision() {
		t.Fatalf("last signature of v3: got changes %v, want v3, v2, v1", changes)
	}
	if s := e.stored(v1); s.GetSupersededBy() != v2name {
		t.Errorf("stored v1: superseded_by %q, want %q", s.GetSupersededBy(), v2name)
	}
	if s := e.stored(v2name); s.GetSupersededBy() != v3name || s.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED {
		t.Errorf("stored v2: superseded_by %q state %s", s.GetSupersededBy(), s.GetState())
	}
	got = e.get(v1)
	wantState(t, "v1 after v3", got, famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED)
	if got.GetSupersededBy() != v2name {
		t.Errorf("v1 superseded_by %q, want %q", got.GetSupersededBy(), v2name)
	}
}

// TestDamagedRecords: a signature whose protocol's network fails its
// checksum is refused with the store's DATA_LOSS, not with "no longer a
// member" (the members of a damaged network are unknown, not none); an
// amendment whose id is taken by a damaged protocol is refused as taken
// (ALREADY_EXISTS naming protocol_id) and the damaged record is left for
// the operator to restore.
func TestDamagedRecords(t *testing.T) {
	e := newEnv(t)
	members := []*famiv1.Member{{Partner: partnerName("udp-bergamo"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
	for _, id := range partners[1:] {
		members = append(members, &famiv1.Member{Partner: partnerName(id), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
	}
	if _, err := e.Reg.Networks().CreateNetwork(e.admin(), &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: "rete-guasta", Network: &famiv1.Network{
		DisplayName: "MARKER-network", LeadPartner: partnerName("udp-bergamo"), Members: members}}); err != nil {
		t.Fatal(err)
	}
	v1 := protocolName("udp-cpia")
	e.create("udp-cpia", draft())
	e.signAll(v1, e.open(v1).GetContentHash())
	onDamaged := draft()
	onDamaged.Network = networkName("rete-guasta")
	e.create("su-rete-guasta", onDamaged)
	hash := e.open(protocolName("su-rete-guasta")).GetContentHash()
	taken := draft()
	taken.Title = "MARKER-protocol"
	e.create("guasto", taken)
	bolttest.Damage(t, e.Dir, lombardia, "MARKER-network")
	bolttest.Damage(t, e.Dir, lombardia, "MARKER-protocol")

	_, err := e.sign("udp-bergamo", protocolName("su-rete-guasta"), hash)
	bolttest.WantRecordCorrupt(t, "sign a protocol of a damaged network", err)
	_, err = e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: v1, ProtocolId: "guasto"})
	errstest.Want(t, "amend into a damaged protocol's id", err, errs.AlreadyExists, "ALREADY_EXISTS", "protocol_id")
	_, err = e.svc.GetProtocol(e.admin(), &famiv1.GetProtocolRequest{Name: protocolName("guasto")})
	bolttest.WantRecordCorrupt(t, "the damaged protocol, after", err)
}

// TestDamagedAmendment: a protocol whose amendment came into force by
// date (so the old version's superseded_by is derived, not stored) and
// whose amendment's record then fails its checksum is DATA_LOSS on every
// read that presents its state, and nothing acts on it: read past, the
// damaged amendment left the old version IN_FORCE, a wrong state served
// as data and terminated on request.
func TestDamagedAmendment(t *testing.T) {
	e := newEnv(t)
	// In id order: the old version, another protocol in force, the
	// amendment, so a page of one ends before the amendment's record.
	v1, other, v2 := protocolName("a-protocollo"), protocolName("b-protocollo"), protocolName("c-emendamento")
	e.create("a-protocollo", draft())
	e.signAll(v1, e.open(v1).GetContentHash())
	e.create("b-protocollo", draft())
	e.signAll(other, e.open(other).GetContentHash())
	if _, err := e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: v1, ProtocolId: "c-emendamento"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{
		Protocol:   &famiv1.Protocol{Name: v2, Title: "MARKER-amendment", ValidFrom: "2026-04-01"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title", "valid_from"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, "amendment signed before its start", e.signAll(v2, e.open(v2).GetContentHash()), famiv1.ProtocolState_PROTOCOL_STATE_SIGNED)
	setDay(t, e.Clock, "2026-04-01")
	wantState(t, "old version once the amendment started", e.get(v1), famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED)
	if s := e.stored(v1); s.GetSupersededBy() != "" {
		t.Fatalf("stored v1 superseded_by %q: the test needs it derived", s.GetSupersededBy())
	}

	bolttest.Damage(t, e.Dir, lombardia, "MARKER-amendment")
	rev := e.revision()
	_, err = e.svc.GetProtocol(e.admin(), &famiv1.GetProtocolRequest{Name: v1})
	bolttest.WantRecordCorrupt(t, "get the old version", err)
	for _, state := range []famiv1.ProtocolState{0, famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE} {
		res, err := e.svc.ListProtocols(e.admin(), &famiv1.ListProtocolsRequest{Parent: parent, PageSize: 1, State: state})
		bolttest.WantRecordCorrupt(t, "list, state "+state.String()+", a page of the old version alone", err)
		if res != nil {
			t.Errorf("list, state %s: got a page of %v with the error", state, registrytest.Names(res.GetProtocols()))
		}
	}
	_, err = e.svc.TerminateProtocol(e.admin(), &famiv1.TerminateProtocolRequest{Name: v1, Reason: "read as in force"})
	bolttest.WantRecordCorrupt(t, "terminate the old version", err)
	_, err = e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{
		Protocol: &famiv1.Protocol{Name: v1, Title: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	bolttest.WantRecordCorrupt(t, "edit the old version", err)
	if got := e.revision(); got != rev {
		t.Errorf("revision %d after the refused calls, want %d", got, rev)
	}
	// The other protocol's state depends on no damaged record.
	wantState(t, "the other protocol", e.get(other), famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE)
}

func TestAmendmentChainSkipsAVersionNeverInForce(t *testing.T) {
	e := newEnv(t)
	v1, v2, v3 := protocolName("v1"), protocolName("v2"), protocolName("v3")
	e.create("v1", draft())
	e.signAll(v1, e.open(v1).GetContentHash())
	e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: v1, ProtocolId: "v2"})
	e.open(v2)
	// v2 never gets its signatures; v3 amends it and comes into force.
	if _, err := e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: v2, ProtocolId: "v3"}); err != nil {
		t.Fatal(err)
	}
	e.signAll(v3, e.open(v3).GetContentHash())
	for _, n := range []string{v1, v2} {
		s := e.stored(n)
		if s.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED {
			t.Errorf("%s: stored state %s, want SUPERSEDED", n, s.GetState())
		}
	}
	if got := e.get(v1).GetSupersededBy(); got != v2 {
		t.Errorf("v1 superseded_by %q, want %q", got, v2)
	}
	if got := e.get(v2).GetSupersededBy(); got != v3 {
		t.Errorf("v2 superseded_by %q, want %q", got, v3)
	}
}

// TestAmendmentChainIsBounded: a chain of versions holds at most 64
// amendments, the steps the walks along it take, so the walk from the
// first version still finds the last one in force; the 65th amendment is
// refused as the chain's state (LIMIT_REACHED, its limit in the
// metadata) and nothing is written.
func TestAmendmentChainIsBounded(t *testing.T) {
	e := newEnv(t)
	first := protocolName("v0")
	e.create("v0", draft())
	e.open(first)
	last := first
	for i := 1; i <= 64; i++ {
		a, err := e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: last, ProtocolId: fmt.Sprintf("v%d", i)})
		if err != nil {
			t.Fatalf("amendment %d: %v", i, err)
		}
		last = a.GetName()
		if i == 64 {
			// The last version starts later, so only the walk (no
			// signature's record) supersedes the earlier ones.
			_, err := e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{
				Protocol:   &famiv1.Protocol{Name: last, ValidFrom: "2026-04-01"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"valid_from"}},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		e.open(last)
	}
	before := e.revision()
	_, err := e.svc.AmendProtocol(e.admin(), &famiv1.AmendProtocolRequest{Name: last, ProtocolId: "v65"})
	errstest.Want(t, "the 65th amendment", err, errs.FailedPrecondition, "LIMIT_REACHED")
	if e := errs.As(err); e != nil && !maps.Equal(e.Metadata, map[string]string{"resource": last, "items": "amendments", "limit": "64"}) {
		t.Errorf("the 65th amendment: metadata %v, want the version amended, its amendments and the limit 64", e.Metadata)
	}
	if after := e.revision(); after != before {
		t.Errorf("the refused amendment moved the revision from %d to %d", before, after)
	}

	e.signAll(last, e.get(last).GetContentHash())
	setDay(t, e.Clock, "2026-04-01")
	got := e.get(first)
	wantState(t, "the first version once the 64th amendment started", got, famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED)
	if want := protocolName("v1"); got.GetSupersededBy() != want {
		t.Errorf("the first version superseded by %q, want %q", got.GetSupersededBy(), want)
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t)
	rev := e.revision()
	tests := []struct {
		name   string
		edit   func(p *famiv1.Protocol)
		fields []string
	}{
		{"end before start", func(p *famiv1.Protocol) { p.ValidFrom, p.ValidUntil = "2026-06-01", "2026-05-31" }, []string{"protocol.valid_until"}},
		{"a party that does not exist", func(p *famiv1.Protocol) { p.Parties[1].Partner = partnerName("nessuno") }, []string{"protocol.parties[1].partner"}},
		{"a party of another region", func(p *famiv1.Protocol) { p.Parties[2].Partner = "regions/veneto/partners/udp-bergamo" }, []string{"protocol.parties[2].partner"}},
		{"a party twice", func(p *famiv1.Protocol) { p.Parties[2].Partner = p.Parties[0].Partner }, []string{"protocol.parties[2].partner"}},
		{"no network", func(p *famiv1.Protocol) { p.Network = "" }, []string{"protocol.network"}},
		{"a network that does not exist", func(p *famiv1.Protocol) { p.AdditionalNetworks = []string{networkName("nessuna")} }, []string{"protocol.additional_networks[0]"}},
		{"the network again", func(p *famiv1.Protocol) { p.AdditionalNetworks = []string{p.Network} }, []string{"protocol.additional_networks[0]"}},
		{"no title, no role", func(p *famiv1.Protocol) { p.Title = ""; p.Parties[0].Role = 0 }, []string{"protocol.title", "protocol.parties[0].role"}},
		{"OTHER without a label", func(p *famiv1.Protocol) { p.Parties[2].RoleLabel = "" }, []string{"protocol.parties[2].role_label"}},
		{"a bad date", func(p *famiv1.Protocol) { p.ValidFrom = "2026-02-30" }, []string{"protocol.valid_from"}},
		{"a control character in the title", func(p *famiv1.Protocol) { p.Title = "a\x00b" }, []string{"protocol.title"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := draft()
			tt.edit(p)
			_, err := e.svc.CreateProtocol(e.admin(), &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "bad", Protocol: p})
			errstest.Want(t, "create", err, errs.Invalid, "INVALID_ARGUMENT", tt.fields...)
		})
	}
	_, err := e.svc.CreateProtocol(e.admin(), &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "Bad_Id", Protocol: draft()})
	errstest.Want(t, "bad id", err, errs.Invalid, "INVALID_ARGUMENT", "protocol_id")
	if e.revision() != rev {
		t.Errorf("invalid requests wrote: revision %d, want %d", e.revision(), rev)
	}

	// Opening needs two parties, a text and a start.
	p := draft()
	p.Parties, p.Body, p.ValidFrom = p.Parties[:1], "", ""
	e.create("incomplete", p)
	_, err = e.svc.OpenProtocolForSignature(e.admin(), &famiv1.OpenProtocolForSignatureRequest{Name: protocolName("incomplete")})
	errstest.Want(t, "open an incomplete draft", err, errs.FailedPrecondition, "PROTOCOL_INCOMPLETE", "protocol.parties", "protocol.body", "protocol.valid_from")
	p = draft()
	p.ValidFrom, p.ValidUntil = "2025-01-01", "2025-12-31"
	e.create("past", p)
	_, err = e.svc.OpenProtocolForSignature(e.admin(), &famiv1.OpenProtocolForSignatureRequest{Name: protocolName("past")})
	errstest.Want(t, "open a protocol whose validity has passed", err, errs.FailedPrecondition, "PROTOCOL_INCOMPLETE", "protocol.valid_until")

	_, err = e.svc.TerminateProtocol(e.admin(), &famiv1.TerminateProtocolRequest{Name: protocolName("past")})
	errstest.Want(t, "terminate without a reason", err, errs.Invalid, "INVALID_ARGUMENT", "reason")
}

func TestFrozenText(t *testing.T) {
	e := newEnv(t)
	name := protocolName("udp-cpia")
	e.create("udp-cpia", draft())
	opened := e.open(name)
	_, err := e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{
		Protocol: &famiv1.Protocol{Name: name, Body: "Altro testo"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"body"}}})
	errstest.Want(t, "edit after opening", err, errs.FailedPrecondition, "PROTOCOL_NOT_DRAFT")
	err = deleteErr(e.svc.DeleteProtocol(e.admin(), &famiv1.DeleteProtocolRequest{Name: name}))
	errstest.Want(t, "delete after opening", err, errs.FailedPrecondition, "PROTOCOL_NOT_DRAFT")
	_, err = e.svc.OpenProtocolForSignature(e.admin(), &famiv1.OpenProtocolForSignatureRequest{Name: name})
	errstest.Want(t, "open twice", err, errs.FailedPrecondition, "PROTOCOL_NOT_DRAFT")
	if got := e.get(name); got.GetBody() != opened.GetBody() || got.GetEtag() != opened.GetEtag() {
		t.Errorf("the refused calls changed the protocol: %v", got)
	}

	term, err := e.svc.TerminateProtocol(e.Member("cpi-bergamo"), &famiv1.TerminateProtocolRequest{Name: name, Reason: "Il CPI si ritira"})
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, "terminate", term, famiv1.ProtocolState_PROTOCOL_STATE_TERMINATED)
	if tm := term.GetTermination(); tm.GetReason() != "Il CPI si ritira" || tm.GetBy() != "test:staff:cpi-bergamo" || !tm.GetTime().AsTime().Equal(e.Clock.Now()) {
		t.Errorf("termination %v", tm)
	}
	_, err = e.svc.TerminateProtocol(e.admin(), &famiv1.TerminateProtocolRequest{Name: name, Reason: "again"})
	errstest.Want(t, "terminate twice", err, errs.FailedPrecondition, "PROTOCOL_ENDED")
}

func deleteErr(_ any, err error) error { return err }

func TestReferences(t *testing.T) {
	e := newEnv(t)
	// Here the parties are referenced by the protocol alone: the network
	// keeps only its lead (a draft may list parties that are not members).
	if _, err := e.Reg.Networks().UpdateNetwork(e.admin(), &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: networkName("rete-bergamo"), Members: []*famiv1.Member{{Partner: partnerName("udp-bergamo"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"members"}},
	}); err != nil {
		t.Fatal(err)
	}
	d := draft()
	d.AdditionalNetworks = []string{networkName("rete-dalmine")}
	e.create("udp-cpia", d)
	ctx := e.admin()

	_, err := e.Reg.Partners().DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("cpia-bergamo")})
	errstest.Want(t, "delete a party's partner", err, errs.FailedPrecondition, "PARTNER_IN_USE")
	if got := errs.As(err).Metadata["referenced_by"]; got != protocolName("udp-cpia") {
		t.Errorf("referenced_by %q, want the protocol", got)
	}
	_, err = e.Reg.Networks().DeleteNetwork(ctx, &famiv1.DeleteNetworkRequest{Name: networkName("rete-dalmine")})
	errstest.Want(t, "delete an additional network", err, errs.FailedPrecondition, "NETWORK_IN_USE")

	// An edit that drops a party releases its partner; deleting the draft
	// releases the rest.
	upd := &famiv1.Protocol{Name: protocolName("udp-cpia"), Parties: d.Parties[:2]}
	if _, err := e.svc.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{Protocol: upd, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"parties"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reg.Partners().DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("cpi-bergamo")}); err != nil {
		t.Errorf("delete a partner no longer a party: %v", err)
	}
	if _, err := e.svc.DeleteProtocol(ctx, &famiv1.DeleteProtocolRequest{Name: protocolName("udp-cpia")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reg.Partners().DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("cpia-bergamo")}); err != nil {
		t.Errorf("delete a partner after the draft went: %v", err)
	}
	if _, err := e.Reg.Networks().DeleteNetwork(ctx, &famiv1.DeleteNetworkRequest{Name: networkName("rete-dalmine")}); err != nil {
		t.Errorf("delete a network after the draft went: %v", err)
	}
}

func TestNetworkMembers(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.CreateProtocol(e.Member("caritas"), &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "p", Protocol: draft()})
	errstest.Want(t, "draft without its partner", err, errs.PermissionDenied, "NOT_A_PARTY")
	p, err := e.svc.CreateProtocol(e.Member("cpia-bergamo"), &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "p", Protocol: draft()})
	if err != nil {
		t.Fatalf("draft by a party: %v", err)
	}
	_, err = e.svc.UpdateProtocol(e.Member("caritas"), &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: p.GetName(), Title: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	errstest.Want(t, "edit by a non-party", err, errs.PermissionDenied, "NOT_A_PARTY")
	_, err = e.svc.UpdateProtocol(e.Member("cpia-bergamo"), &famiv1.UpdateProtocolRequest{
		Protocol:   &famiv1.Protocol{Name: p.GetName(), Parties: []*famiv1.Party{p.GetParties()[0], p.GetParties()[2]}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"parties"}}})
	errstest.Want(t, "a party removes itself", err, errs.PermissionDenied, "NOT_A_PARTY")
	err = deleteErr(e.svc.DeleteProtocol(e.Member("caritas"), &famiv1.DeleteProtocolRequest{Name: p.GetName()}))
	errstest.Want(t, "delete by a non-party", err, errs.PermissionDenied, "NOT_A_PARTY")
	_, err = e.svc.OpenProtocolForSignature(e.Member("caritas"), &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()})
	errstest.Want(t, "open by a non-party", err, errs.PermissionDenied, "NOT_A_PARTY")
	if _, err := e.svc.OpenProtocolForSignature(e.Member("udp-bergamo"), &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}); err != nil {
		t.Errorf("open by a party: %v", err)
	}
}

func TestUpdateIgnoresOutputOnlyFields(t *testing.T) {
	e := newEnv(t)
	p := e.create("p", draft())
	// A PATCH body copied from a GET carries output-only fields; they are
	// ignored, the others applied.
	in := proto.CloneOf(p)
	in.Title = "Nuovo titolo"
	in.State = famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE
	in.ContentHash = "f00d"
	in.Version = 9
	in.Signatures = []*famiv1.Signature{{Party: partnerName("udp-bergamo")}}
	got, err := e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{Protocol: in,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title", "state", "contentHash", "version", "signatures", "etag"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetTitle() != "Nuovo titolo" || got.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_DRAFT || got.GetContentHash() != "" ||
		got.GetVersion() != 1 || len(got.GetSignatures()) != 0 {
		t.Errorf("update: got %v", got)
	}
	// A mask of output-only fields only changes nothing.
	in.Etag = ""
	rev := e.revision()
	got, err = e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{Protocol: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}})
	if err != nil || got.GetTitle() != "Nuovo titolo" || e.revision() != rev {
		t.Errorf("update of output-only fields: %v, %v, revision %d (want %d)", got, err, e.revision(), rev)
	}
	_, err = e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{Protocol: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"nope"}}})
	errstest.Want(t, "unknown mask path", err, errs.Invalid, "INVALID_ARGUMENT", "update_mask")
}

func TestList(t *testing.T) {
	e := newEnv(t)
	a := draft() // parties udp, cpia, cpi; rete-bergamo; 2026-2028
	e.create("a", a)
	b := draft()
	b.Network = networkName("rete-dalmine")
	b.AdditionalNetworks = []string{networkName("rete-bergamo")}
	b.Parties = b.Parties[:2]
	b.ValidFrom, b.ValidUntil = "2027-01-01", ""
	e.create("b", b)
	c := draft()
	c.Network = networkName("rete-dalmine")
	c.Parties = []*famiv1.Party{b.Parties[0], {Partner: partnerName("caritas"), Role: famiv1.PartyRole_PARTY_ROLE_SUPPORTER}}
	e.create("c", c)
	e.signAll(protocolName("a"), e.open(protocolName("a")).GetContentHash())

	for _, tt := range []struct {
		name string
		req  *famiv1.ListProtocolsRequest
		want []string
	}{
		{"all", &famiv1.ListProtocolsRequest{}, []string{"a", "b", "c"}},
		{"network as additional network", &famiv1.ListProtocolsRequest{Network: networkName("rete-bergamo")}, []string{"a", "b"}},
		{"party", &famiv1.ListProtocolsRequest{Partner: partnerName("caritas")}, []string{"c"}},
		{"valid on", &famiv1.ListProtocolsRequest{ValidOn: "2029-06-01"}, []string{"b"}},
		{"in force", &famiv1.ListProtocolsRequest{State: famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE}, []string{"a"}},
		{"drafts", &famiv1.ListProtocolsRequest{State: famiv1.ProtocolState_PROTOCOL_STATE_DRAFT}, []string{"b", "c"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Parent = parent
			res, err := e.svc.ListProtocols(e.Member("caritas"), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, id := range tt.want {
				want = append(want, protocolName(id))
			}
			if got := registrytest.Names(res.GetProtocols()); !slices.Equal(got, want) || res.GetRevision() != e.revision() {
				t.Errorf("got %q at revision %d, want %q at %d", got, res.GetRevision(), want, e.revision())
			}
		})
	}

	// Paging with a filter: one per page, a token while more remain.
	var got []string
	token := ""
	for range 5 {
		res, err := e.svc.ListProtocols(e.admin(), &famiv1.ListProtocolsRequest{Parent: parent, PageSize: 1, PageToken: token, Network: networkName("rete-dalmine")})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, registrytest.Names(res.GetProtocols())...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if want := []string{protocolName("b"), protocolName("c")}; !slices.Equal(got, want) {
		t.Errorf("paged: got %q, want %q", got, want)
	}

	// A count in each state (and in any) is the listing's.
	for st := range famiv1.ProtocolState_name {
		state := famiv1.ProtocolState(st)
		res, err := e.svc.ListProtocols(e.admin(), &famiv1.ListProtocolsRequest{Parent: parent, State: state})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.CountProtocols(e.admin(), "lombardia", state); err != nil || int(n) != len(res.GetProtocols()) {
			t.Errorf("count in state %s: got %d, %v; want %d, as listed", state, n, err, len(res.GetProtocols()))
		}
	}
	if _, err := e.svc.CountProtocols(e.admin(), "atlantide", 0); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("count in an unknown region: got %v, want NOT_FOUND", err)
	}

	_, err := e.svc.ListProtocols(e.admin(), &famiv1.ListProtocolsRequest{Parent: parent, ValidOn: "2026-13-01", Partner: "udp"})
	errstest.Want(t, "bad filters", err, errs.Invalid, "INVALID_ARGUMENT", "partner", "valid_on")
}

// TestPartiesMustBeMembers: a protocol opens for signature only when every
// party is a member of its network or of an additional network, and a
// party removed from the networks afterwards can no longer sign. Any
// partner of the region could sign before.
func TestPartiesMustBeMembers(t *testing.T) {
	e := newEnv(t)
	d := draft()
	d.Network = networkName("rete-dalmine") // its only member is the lead, udp-bergamo
	e.create("outsiders", d)
	_, err := e.svc.OpenProtocolForSignature(e.admin(), &famiv1.OpenProtocolForSignatureRequest{Name: protocolName("outsiders")})
	errstest.Want(t, "open with parties outside the network", err, errs.FailedPrecondition, "PARTY_NOT_A_MEMBER", "protocol.parties[1].partner", "protocol.parties[2].partner")

	// Joined through an additional network, they may.
	d.AdditionalNetworks = []string{networkName("rete-bergamo")}
	e.create("joined", d)
	p := e.open(protocolName("joined"))

	// A party that leaves the networks before signing cannot sign.
	for _, n := range []string{"rete-bergamo"} {
		if _, err := e.Reg.Networks().UpdateNetwork(e.admin(), &famiv1.UpdateNetworkRequest{
			Network:    &famiv1.Network{Name: networkName(n), Members: []*famiv1.Member{{Partner: partnerName("udp-bergamo"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"members"}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.sign(partners[1], p.GetName(), p.GetContentHash())
	errstest.Want(t, "sign after leaving the networks", err, errs.FailedPrecondition, "PARTY_NOT_A_MEMBER", "name")
	if _, err := e.sign("udp-bergamo", p.GetName(), p.GetContentHash()); err != nil {
		t.Errorf("the lead, still a member, signs: %v", err)
	}
}

// TestDraftStoredUnderOlderRules: a draft whose title holds a zero-width
// space, which the rules now refuse (written here straight to the store),
// takes new objectives with its title as it is, where every edit was
// refused; a new title with such a character is refused naming it; the
// draft cannot be opened for signature until its title is fixed, since
// the text it freezes keeps every rule of today.
func TestDraftStoredUnderOlderRules(t *testing.T) {
	e := newEnv(t)
	cur := e.create("vecchio", draft())
	const old = "Protocollo\u200B L2"
	stored := proto.CloneOf(cur)
	stored.Title = old
	bolttest.Put(t, e.Store, "lombardia", stored)
	update := func(in *famiv1.Protocol, paths ...string) (*famiv1.Protocol, error) {
		in.Name = cur.GetName()
		return e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{Protocol: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
	}
	got, err := update(&famiv1.Protocol{Objectives: "Corsi serali"}, "objectives")
	if err != nil || got.GetObjectives() != "Corsi serali" || got.GetTitle() != old {
		t.Errorf("new objectives: %v, %v; want them saved and the title kept", got, err)
	}
	_, err = update(&famiv1.Protocol{Title: "Protocollo\u200C L2"}, "title")
	errstest.Want(t, "a new title with a zero-width character", err, errs.Invalid, "INVALID_ARGUMENT", "protocol.title")
	_, err = e.svc.OpenProtocolForSignature(e.admin(), &famiv1.OpenProtocolForSignatureRequest{Name: cur.GetName()})
	errstest.Want(t, "open the draft with its old title", err, errs.Invalid, "INVALID_ARGUMENT", "protocol.title")
	if _, err := update(&famiv1.Protocol{Title: "Protocollo L2"}, "title"); err != nil {
		t.Fatalf("a proper title: %v", err)
	}
	e.open(cur.GetName())
}

// TestNetworkStaffDraftInTheirNetworksOnly: a network member's staff
// drafted protocols on any network of the region, naming their partner a
// party, though only members of a protocol's networks may sign it.
func TestNetworkStaffDraftInTheirNetworksOnly(t *testing.T) {
	e := newEnv(t)
	cpia := e.Member("cpia-bergamo") // a member of rete-bergamo, not of rete-dalmine
	dalmine := draft()
	dalmine.Network = networkName("rete-dalmine")
	_, err := e.svc.CreateProtocol(cpia, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "altrove", Protocol: dalmine})
	errstest.Want(t, "draft in a network the partner is not a member of", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	if _, err := e.svc.GetProtocol(e.admin(), &famiv1.GetProtocolRequest{Name: protocolName("altrove")}); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("the refused draft: %v, want NOT_FOUND", err)
	}

	also := proto.CloneOf(dalmine)
	also.AdditionalNetworks = []string{networkName("rete-bergamo")}
	if _, err := e.svc.CreateProtocol(cpia, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "anche-bergamo", Protocol: also}); err != nil {
		t.Errorf("draft with the partner's network as an additional one: %v", err)
	}
	own, err := e.svc.CreateProtocol(cpia, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "proprio", Protocol: draft()})
	if err != nil {
		t.Fatalf("draft in the partner's network: %v", err)
	}
	_, err = e.svc.UpdateProtocol(cpia, &famiv1.UpdateProtocolRequest{
		Protocol: &famiv1.Protocol{Name: own.GetName(), Network: networkName("rete-dalmine")}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"network"}}})
	errstest.Want(t, "move a draft to a network the partner is not a member of", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")

	// A draft the region put there is not the party's to edit until one
	// of its networks is the party's (ADR 31): its staff could not sign
	// it either, and act on a protocol as its signers do.
	byRegion := e.create("della-regione", proto.CloneOf(dalmine))
	retitle := func() error {
		_, err := e.svc.UpdateProtocol(cpia, &famiv1.UpdateProtocolRequest{
			Protocol: &famiv1.Protocol{Name: byRegion.GetName(), Title: "Protocollo rivisto"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
		return err
	}
	errstest.Want(t, "a party edits the title of the region's draft in a network it is not a member of", retitle(), errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	if _, err := e.svc.UpdateProtocol(e.admin(), &famiv1.UpdateProtocolRequest{
		Protocol:   &famiv1.Protocol{Name: byRegion.GetName(), AdditionalNetworks: []string{networkName("rete-bergamo")}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"additional_networks"}}}); err != nil {
		t.Fatal(err)
	}
	if err := retitle(); err != nil {
		t.Errorf("a party edits the title of the region's draft, its network now one of the draft's: %v", err)
	}
}

// TestRemovedMemberActsOnNoDraft: staff of a partner removed from a
// network edit, delete and open none of the drafts already in it, and
// terminate none of its protocols, as they sign none (NOT_NETWORK_MEMBER,
// nothing written); before, only signing refused them. Back in the
// network, they edit the draft again.
func TestRemovedMemberActsOnNoDraft(t *testing.T) {
	e := newEnv(t)
	cpia := e.Member("cpia-bergamo")
	own, err := e.svc.CreateProtocol(cpia, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "proprio", Protocol: draft()})
	if err != nil {
		t.Fatal(err)
	}
	signed := e.open(e.create("firmato", draft()).GetName())
	members := func(ids ...string) {
		t.Helper()
		list := []*famiv1.Member{{Partner: partnerName("udp-bergamo"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
		for _, id := range ids {
			list = append(list, &famiv1.Member{Partner: partnerName(id), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
		}
		if _, err := e.Reg.Networks().UpdateNetwork(e.admin(), &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: networkName("rete-bergamo"), Members: list},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"members"}}}); err != nil {
			t.Fatal(err)
		}
	}
	var others []string
	for _, id := range partners {
		if id != "udp-bergamo" && id != "cpia-bergamo" {
			others = append(others, id)
		}
	}
	members(others...)
	rev := e.revision()
	retitle := func() error {
		_, err := e.svc.UpdateProtocol(cpia, &famiv1.UpdateProtocolRequest{
			Protocol: &famiv1.Protocol{Name: own.GetName(), Title: "Protocollo rivisto"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
		return err
	}
	errstest.Want(t, "edit", retitle(), errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	_, err = e.svc.DeleteProtocol(cpia, &famiv1.DeleteProtocolRequest{Name: own.GetName()})
	errstest.Want(t, "delete", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	_, err = e.svc.OpenProtocolForSignature(cpia, &famiv1.OpenProtocolForSignatureRequest{Name: own.GetName()})
	errstest.Want(t, "open", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	_, err = e.svc.TerminateProtocol(cpia, &famiv1.TerminateProtocolRequest{Name: signed.GetName(), Reason: "Usciti dalla rete"})
	errstest.Want(t, "terminate", err, errs.PermissionDenied, "NOT_NETWORK_MEMBER")
	if got := e.revision(); got != rev {
		t.Errorf("the region's revision went from %d to %d: a refused change wrote", rev, got)
	}

	members(append(others, "cpia-bergamo")...)
	if err := retitle(); err != nil {
		t.Errorf("edit, back in the network: %v", err)
	}
}
