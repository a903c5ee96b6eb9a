package server_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// protocolRight is a refusal expected from a protocol RPC, or ok.
type protocolRight struct {
	code   codes.Code
	reason string
}

var (
	prOK          = protocolRight{codes.OK, ""}
	prRoleRefused = protocolRight{codes.PermissionDenied, "ROLE_NOT_ALLOWED"}
	prNotAParty   = protocolRight{codes.PermissionDenied, "NOT_A_PARTY"}
	prOutside     = protocolRight{codes.PermissionDenied, "OUTSIDE_REGION"}
	prNoToken     = protocolRight{codes.Unauthenticated, "TOKEN_REQUIRED"}
	prNotFound    = protocolRight{codes.NotFound, "NOT_FOUND"}
)

// The callers of the protocol rights: DESIGN.md section 6, "draft / edit
// protocols: region_admin own, consultant own, network_member if a party,
// regional_system own; sign: network_member for its own partner; read:
// ministry all, the others own".
var protocolCallers = []string{"anonymous", "ministry", "region_admin", "consultant", "regional_system", "party_staff", "other_staff"}

// The answers to a protocol read, and to a change of a draft or a
// protocol in force: the region's writers, and the parties' staff only.
var (
	prRead  = map[string]protocolRight{"anonymous": prNoToken, "ministry": prOK, "region_admin": prOK, "consultant": prOK, "regional_system": prOK, "party_staff": prOK, "other_staff": prOK}
	prWrite = map[string]protocolRight{"anonymous": prNoToken, "ministry": prRoleRefused, "region_admin": prOK, "consultant": prOK, "regional_system": prOK,
		"party_staff": prOK, "other_staff": prNotAParty}
)

// protocolRights gives, per RPC, the answer each caller gets in its own
// region (the ministry: in lombardia).
var protocolRights = map[string]map[string]protocolRight{
	"GetProtocol":              prRead,
	"ListProtocols":            prRead,
	"CreateProtocol":           prWrite,
	"UpdateProtocol":           prWrite,
	"DeleteProtocol":           prWrite,
	"OpenProtocolForSignature": prWrite,
	"TerminateProtocol":        prWrite,
	"AmendProtocol":            prWrite,
	"SignProtocol": {"anonymous": prNoToken, "ministry": prRoleRefused, "region_admin": prRoleRefused, "consultant": prRoleRefused, "regional_system": prRoleRefused,
		"party_staff": prOK, "other_staff": prNotAParty},
}

// inForeignRegion is the answer to a call on another region's protocol:
// refused as outside the region for a role that may make the call at
// home, for its role otherwise; the ministry reads everywhere (and finds
// nothing there).
func inForeignRegion(rpc, caller string) protocolRight {
	home := protocolRights[rpc][caller]
	switch {
	case caller == "anonymous":
		return prNoToken
	case caller == "ministry" && home == prOK && rpc == "GetProtocol":
		return prNotFound
	case caller == "ministry" || home == prRoleRefused:
		return home
	}
	return prOutside
}

// TestProtocolRights calls every ProtocolService RPC as every kind of
// caller, in its own region and in another, on every surface.
func TestProtocolRights(t *testing.T) {
	t.Parallel()
	if len(protocolRights) != 9 {
		t.Fatalf("protocolRights covers %d RPCs, want the 9 of ProtocolService", len(protocolRights))
	}
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		reg := newSurface(t, ts, kind)
		seedPartners(t, ctx, reg, famiv1.PartnerKind_PARTNER_KIND_OTHER, "udp-milano", "cpia-milano", "caritas")
		seedNetwork(t, ctx, reg, "cpia-milano", "caritas")
		admin := newSurfaceAs(t, ts, kind, ts.token)
		draft := func() *famiv1.Protocol {
			return &famiv1.Protocol{Network: networkName("rete-milano"), Title: "Protocollo", Body: "Art. 1", ValidFrom: "2024-01-01",
				Parties: []*famiv1.Party{
					{Partner: partnerName("udp-milano"), Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT},
					{Partner: partnerName("cpia-milano"), Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY},
				}}
		}
		n := 0
		// fresh creates a protocol for one call, opened when open.
		fresh := func(open bool) (string, string) {
			t.Helper()
			n++
			id := fmt.Sprintf("p%d", n)
			p, err := admin.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: lombardia, ProtocolId: id, Protocol: draft()})
			if err != nil {
				t.Fatalf("create %s: %v", id, err)
			}
			if open {
				if p, err = admin.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: p.GetName()}); err != nil {
					t.Fatalf("open %s: %v", id, err)
				}
			}
			return p.GetName(), p.GetContentHash()
		}
		tokens := map[string]string{
			"anonymous":       "",
			"ministry":        ts.mintToken(auth.TokenSpec{Subject: "m", Role: principal.Ministry}),
			"region_admin":    ts.token,
			"consultant":      ts.mintToken(auth.TokenSpec{Subject: "c", Role: principal.Consultant, Region: "lombardia"}),
			"regional_system": ts.mintToken(auth.TokenSpec{Subject: "s", Role: principal.RegionalSystem, Region: "lombardia"}),
			"party_staff":     ts.mintToken(auth.TokenSpec{Subject: "u", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("cpia-milano")}),
			"other_staff":     ts.mintToken(auth.TokenSpec{Subject: "o", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("caritas")}),
		}
		// Callers bound to lombardia reach veneto; the ministry is
		// sent to veneto to show it reads there too.
		for _, caller := range protocolCallers {
			c := newSurfaceAs(t, ts, kind, tokens[caller])
			for rpc, byCaller := range protocolRights {
				for _, foreign := range []bool{false, true} {
					want := byCaller[caller]
					region := lombardia
					if foreign {
						want, region = inForeignRegion(rpc, caller), "regions/veneto"
					}
					step := fmt.Sprintf("%s as %s in %s", rpc, caller, region)
					err := callProtocolRPC(ctx, c, rpc, region, fresh)
					if want == prOK {
						if err != nil {
							t.Errorf("%s: %v, want success", step, err)
						}
						continue
					}
					checkErr(t, step, err, wantErr{code: want.code, reason: want.reason})
				}
			}
		}
	})
}

// callProtocolRPC makes one call of rpc on a protocol of region: in
// lombardia a fresh one in the state the call needs, elsewhere a name that
// does not exist.
func callProtocolRPC(ctx context.Context, c surface, rpc, region string, fresh func(open bool) (string, string)) error {
	name, hash := region+"/protocols/elsewhere", "0000000000000000000000000000000000000000000000000000000000000000"
	if region == lombardia {
		open := rpc == "SignProtocol" || rpc == "TerminateProtocol" || rpc == "AmendProtocol"
		if rpc != "CreateProtocol" && rpc != "ListProtocols" {
			name, hash = fresh(open)
		}
	}
	var err error
	switch rpc {
	case "GetProtocol":
		_, err = c.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: name})
	case "ListProtocols":
		_, err = c.ListProtocols(ctx, &famiv1.ListProtocolsRequest{Parent: region})
	case "CreateProtocol":
		_, err = c.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: region, Protocol: &famiv1.Protocol{
			Network: networkName("rete-milano"), Title: "Nuovo",
			Parties: []*famiv1.Party{{Partner: partnerName("cpia-milano"), Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}}}})
	case "UpdateProtocol":
		_, err = c.UpdateProtocol(ctx, &famiv1.UpdateProtocolRequest{Protocol: &famiv1.Protocol{Name: name, Title: "Titolo nuovo"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	case "DeleteProtocol":
		_, err = c.DeleteProtocol(ctx, &famiv1.DeleteProtocolRequest{Name: name})
	case "OpenProtocolForSignature":
		_, err = c.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: name})
	case "TerminateProtocol":
		_, err = c.TerminateProtocol(ctx, &famiv1.TerminateProtocolRequest{Name: name, Reason: "Prova"})
	case "AmendProtocol":
		_, err = c.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: name})
	case "SignProtocol":
		_, err = c.SignProtocol(ctx, &famiv1.SignProtocolRequest{Name: name, ContentHash: hash})
	default:
		err = fmt.Errorf("unknown RPC %s", rpc)
	}
	return err
}
