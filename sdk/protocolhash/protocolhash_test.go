package protocolhash_test

import (
	"errors"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/protocolhashtest"
	"github.com/raccordo/raccordo/sdk/protocolhash"
)

// golden is the protocol of the worked example in
// docs/protocol-content-hash.md.
func golden() *famiv1.Protocol {
	return &famiv1.Protocol{
		Name:       "regions/lombardia/protocols/udp-cpia",
		Version:    2,
		Network:    "regions/lombardia/networks/rete-bergamo", // not signed
		Themes:     []string{"italiano L2"},                   // not signed
		Title:      "Protocollo d'intesa UdP\u2013CPIA \"Italiano L2\"",
		Objectives: "Corsi <A2> & orientamento",
		Body:       "Art. 1\r\nOggetto:\tcorsi\u2028fine \\ ok / \u00e8 \u20ac \U0001F91D",
		Parties: []*famiv1.Party{
			{Partner: "regions/lombardia/partners/udp-bergamo", Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT, Commitments: "Coordina"},
			{Partner: "regions/lombardia/partners/cpia-bergamo", Role: famiv1.PartyRole_PARTY_ROLE_OTHER, RoleLabel: "ente erogatore", Commitments: "Tiene i corsi\n"},
		},
		ValidFrom: "2026-01-01",
	}
}

// TestContentHashGolden pins the canonical form: the bytes and the hash
// were computed outside Go, with the Python recipe of
// docs/protocol-content-hash.md. If this test fails, signatures already
// given would no longer verify: the canonical form must never change
// (a new form needs a new "format").
func TestContentHashGolden(t *testing.T) {
	const (
		wantDoc  = `{"body":"Art. 1\r\nOggetto:\tcorsi` + "\u2028" + `fine \\ ok / è € 🤝","format":"raccordo.protocol-content.v1","name":"regions/lombardia/protocols/udp-cpia","objectives":"Corsi <A2> & orientamento","parties":[{"commitments":"Coordina","partner":"regions/lombardia/partners/udp-bergamo","role":"PARTY_ROLE_PROPONENT","role_label":""},{"commitments":"Tiene i corsi\n","partner":"regions/lombardia/partners/cpia-bergamo","role":"PARTY_ROLE_OTHER","role_label":"ente erogatore"}],"title":"Protocollo d'intesa UdP–CPIA \"Italiano L2\"","valid_from":"2026-01-01","valid_until":"","version":2}`
		wantHash = "10e05e3abf120f055221059372d4733d7f37005cc3647adb39b066abe0bfc89f"
	)
	if got := string(protocolhash.Canonical(golden())); got != wantDoc {
		t.Errorf("canonical content:\n got  %s\n want %s", got, wantDoc)
	}
	if got := protocolhash.Of(golden()); got != wantHash {
		t.Errorf("content hash %s, want %s", got, wantHash)
	}
}

// draft is a protocol as a client drafts it: no name or version yet.
func draft() *famiv1.Protocol {
	return &famiv1.Protocol{
		Title:      "Protocollo UdP-CPIA-CPI per l'italiano L2",
		Objectives: "Corsi di italiano L2 vicini ai servizi",
		Body:       "Art. 1 - Oggetto\nLe parti collaborano.",
		ValidFrom:  "2026-01-01",
		ValidUntil: "2028-12-31",
		Parties: []*famiv1.Party{
			{Partner: "regions/lombardia/partners/udp-bergamo", Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT, Commitments: "Coordina"},
			{Partner: "regions/lombardia/partners/cpia-bergamo", Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY, Commitments: "Tiene i corsi"},
			{Partner: "regions/lombardia/partners/cpi-bergamo", Role: famiv1.PartyRole_PARTY_ROLE_OTHER, RoleLabel: "orientamento al lavoro", Commitments: "Orienta"},
		},
	}
}

func TestContentHashIndependent(t *testing.T) {
	edge := golden()
	edge.Title = "\x01\x1f\b\f\"\\</script>\u2029\u007f"
	edge.Parties = nil
	edge.ValidUntil = "2030-12-31"
	edge.Version = 1234567
	for _, p := range []*famiv1.Protocol{golden(), edge, draft(), {}} {
		if got, want := protocolhash.Of(p), protocolhashtest.ContentHash(t, p); got != want {
			t.Errorf("Of(%q) = %s, want %s (independent: %s)", p.GetTitle(), got, want, protocolhash.Canonical(p))
		}
	}
}

// TestContentHashCoversTheSignedContent changes each signed field in turn:
// the hash must change; changing what is not signed must not change it.
func TestContentHashCoversTheSignedContent(t *testing.T) {
	base := protocolhash.Of(golden())
	for name, edit := range map[string]func(*famiv1.Protocol){
		"name":        func(p *famiv1.Protocol) { p.Name += "x" },
		"version":     func(p *famiv1.Protocol) { p.Version++ },
		"title":       func(p *famiv1.Protocol) { p.Title += " " },
		"objectives":  func(p *famiv1.Protocol) { p.Objectives = "" },
		"body":        func(p *famiv1.Protocol) { p.Body = strings.Replace(p.Body, "\r\n", "\n", 1) },
		"valid_from":  func(p *famiv1.Protocol) { p.ValidFrom = "2026-01-02" },
		"valid_until": func(p *famiv1.Protocol) { p.ValidUntil = "2026-12-31" },
		"party order": func(p *famiv1.Protocol) { p.Parties[0], p.Parties[1] = p.Parties[1], p.Parties[0] },
		"role":        func(p *famiv1.Protocol) { p.Parties[0].Role = famiv1.PartyRole_PARTY_ROLE_SIGNATORY },
		"role_label":  func(p *famiv1.Protocol) { p.Parties[0].RoleLabel = "capofila" },
		"commitments": func(p *famiv1.Protocol) { p.Parties[1].Commitments = "Tiene i corsi" },
		"partner":     func(p *famiv1.Protocol) { p.Parties[1].Partner += "x" },
		// A text moved from one field to the next must not hash alike.
		"boundary": func(p *famiv1.Protocol) { p.Objectives, p.Body = p.Objectives+p.Body, "" },
	} {
		p := golden()
		edit(p)
		if protocolhash.Of(p) == base {
			t.Errorf("changing %s left the content hash unchanged", name)
		}
	}
	p := golden()
	p.Network, p.AdditionalNetworks, p.Themes = "regions/lombardia/networks/altra", []string{"x"}, nil
	p.Signatures = []*famiv1.Signature{{Party: "x"}}
	p.Etag, p.State = "42", famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE
	if protocolhash.Of(p) != base {
		t.Error("fields outside the signed content changed the content hash")
	}
}

func TestVerify(t *testing.T) {
	signed := func() *famiv1.Protocol {
		p := golden()
		p.ContentHash = protocolhash.Of(p)
		p.Signatures = []*famiv1.Signature{{Party: p.Parties[0].Partner, ContentHash: p.ContentHash}}
		return p
	}
	if err := protocolhash.Verify(signed()); err != nil {
		t.Errorf("Verify(signed) = %v, want nil", err)
	}
	if err := protocolhash.Verify(golden()); !errors.Is(err, protocolhash.ErrDraft) {
		t.Errorf("Verify(draft) = %v, want ErrDraft", err)
	}
	for name, edit := range map[string]func(*famiv1.Protocol){
		"text changed after freezing": func(p *famiv1.Protocol) { p.Body += "." },
		"signature of another text":   func(p *famiv1.Protocol) { p.Signatures[0].ContentHash = strings.Repeat("0", 64) },
	} {
		p := signed()
		edit(p)
		if err := protocolhash.Verify(p); err == nil || errors.Is(err, protocolhash.ErrDraft) {
			t.Errorf("%s: Verify = %v, want a mismatch", name, err)
		}
	}
}
