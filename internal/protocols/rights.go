package protocols

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// The protocol rights of DESIGN.md section 6. Protocols of collaboration
// are drafted and edited by the region, its consultants and systems, and by
// network members for the protocols their partner is a party to: partyOnly
// (protocols.go) checks the party against the stored protocol, and
// UpdateProtocol keeps a party's staff from removing their own partner.
var protocolEditors = []principal.Role{principal.RegionAdmin, principal.Consultant, principal.NetworkMember, principal.RegionalSystem}

// Only a party's staff sign, each for its own partner: SignProtocol checks
// the party, and its membership of the networks, against the stored
// protocol.
var protocolSigners = []principal.Role{principal.NetworkMember}

// Rights are the rows of the rights table for the ProtocolService's RPCs.
func Rights() auth.Policy {
	readers := auth.Readers()
	return auth.Policy{
		famiv1.ProtocolService_GetProtocol_FullMethodName:              auth.InRegion("name", readers...),
		famiv1.ProtocolService_ListProtocols_FullMethodName:            auth.InRegion("parent", readers...),
		famiv1.ProtocolService_CreateProtocol_FullMethodName:           auth.InRegion("parent", protocolEditors...),
		famiv1.ProtocolService_UpdateProtocol_FullMethodName:           auth.InRegion("protocol.name", protocolEditors...),
		famiv1.ProtocolService_DeleteProtocol_FullMethodName:           auth.InRegion("name", protocolEditors...),
		famiv1.ProtocolService_OpenProtocolForSignature_FullMethodName: auth.InRegion("name", protocolEditors...),
		famiv1.ProtocolService_TerminateProtocol_FullMethodName:        auth.InRegion("name", protocolEditors...),
		famiv1.ProtocolService_AmendProtocol_FullMethodName:            auth.InRegion("name", protocolEditors...),
		famiv1.ProtocolService_SignProtocol_FullMethodName:             auth.InRegion("name", protocolSigners...),
	}
}
