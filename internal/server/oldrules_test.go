package server_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
)

// Values the rules refuse today, stored before the rules existed.
const (
	accentsAlone = "\u0301\u0301" // a name no search could find (check.Name)
	otherAccents = "\u0308"
	fiscalCode   = "80034840167"
)

// TestRecordsStoredUnderOlderRulesCanBeEdited: on every surface, a partner
// and a network stored (straight to the region's file) before the rules
// that now refuse them, a name of accents alone, a fiscal code another
// partner holds and a member listed twice, take an edit of another field,
// by mask and whole as the web sends it, and keep the old values. Changing
// an old value to another the rules refuse is refused naming it, and so
// is a new fault between fields the stored network did not have (its lead
// no longer LEAD); fixing the value is accepted. Before, the whole
// resource was checked again on each update, and such a record refused
// every edit.
func TestRecordsStoredUnderOlderRulesCanBeEdited(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		for _, id := range []string{"udp", "cpia"} {
			mustOK(s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id,
				Partner: &famiv1.Partner{DisplayName: "Partner " + id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}))(t, "create "+id)
		}
		mustOK(s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "codice",
			Partner: &famiv1.Partner{DisplayName: "Codice", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER, FiscalCode: fiscalCode}}))(t, "create codice")
		ts = ts.storedDirectly(func(tx store.WriteTx) error {
			if err := tx.Put(&famiv1.Partner{Name: partnerName("accenti"), DisplayName: accentsAlone,
				Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER, FiscalCode: fiscalCode}); err != nil {
				return err
			}
			return tx.Put(&famiv1.Network{Name: networkName("doppia"), DisplayName: accentsAlone, LeadPartner: partnerName("udp"),
				State: famiv1.NetworkState_NETWORK_STATE_ACTIVE, Members: membersLedBy("udp", "cpia", "cpia")})
		})
		s = newSurface(t, ts, kind)
		invalid := func(fields ...string) wantErr {
			return wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: fields}
		}

		// The partner: another field, by mask and whole; then its name.
		p := mustOK(s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("accenti")}))(t, "get the partner")
		p.Description = "Descritto"
		p = mustOK(s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: p, UpdateMask: mask("description")}))(t, "describe the partner")
		p.Description = "Descritto per intero"
		p = mustOK(s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: p}))(t, "send the partner whole")
		if p.GetDisplayName() != accentsAlone || p.GetFiscalCode() != fiscalCode || p.GetDescription() != "Descritto per intero" {
			t.Errorf("the partner after its edits: %v, want its old name and code kept, its description changed", p)
		}
		_, err := s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: p.GetName(), DisplayName: otherAccents}, UpdateMask: mask("display_name")})
		checkErr(t, "rename the partner to other accents", err, invalid("partner.display_name"))
		_, err = s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "terzo",
			Partner: &famiv1.Partner{DisplayName: "Terzo", Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER, FiscalCode: fiscalCode}})
		checkErr(t, "a new partner with the code both hold", err, wantErr{code: codes.AlreadyExists, reason: "FISCAL_CODE_TAKEN", fields: []string{"partner.fiscal_code"}})
		p = mustOK(s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: p.GetName(), DisplayName: "Comune di Àccenti"}, UpdateMask: mask("display_name")}))(t, "rename the partner")
		if p.GetDisplayName() != "Comune di Àccenti" {
			t.Errorf("the partner renamed: %q", p.GetDisplayName())
		}

		// The network: another field; a new fault of its members, and
		// one between fields; its name; then the duplicate removed.
		n := mustOK(s.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: networkName("doppia")}))(t, "get the network")
		n.Description = "Rete descritta"
		n = mustOK(s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: n, UpdateMask: mask("description")}))(t, "describe the network")
		n.Ats = "ATS Milano"
		n = mustOK(s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: n}))(t, "send the network whole")
		if n.GetDisplayName() != accentsAlone || len(n.GetMembers()) != 3 || n.GetAts() != "ATS Milano" {
			t.Errorf("the network after its edits: %v, want its old name and members kept", n)
		}
		edited := proto.CloneOf(n)
		edited.Members = append(edited.Members, &famiv1.Member{Partner: partnerName("udp"), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
		_, err = s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: edited, UpdateMask: mask("members")})
		checkErr(t, "list another member twice", err, invalid("network.members[3].partner"))
		edited = proto.CloneOf(n)
		edited.Members[0].Role = famiv1.MemberRole_MEMBER_ROLE_PARTNER
		_, err = s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: edited, UpdateMask: mask("members")})
		checkErr(t, "make the lead a partner", err, invalid("network.lead_partner"))
		_, err = s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: n.GetName(), DisplayName: otherAccents}, UpdateMask: mask("display_name")})
		checkErr(t, "rename the network to other accents", err, invalid("network.display_name"))
		edited = &famiv1.Network{Name: n.GetName(), DisplayName: "Rete Àccenti", Members: n.GetMembers()[:2]}
		n = mustOK(s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{Network: edited, UpdateMask: mask("display_name", "members")}))(t, "fix the network")
		if n.GetDisplayName() != "Rete Àccenti" || len(n.GetMembers()) != 2 {
			t.Errorf("the network fixed: %v", n)
		}
	})
}

// mask is an update mask of paths.
func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
