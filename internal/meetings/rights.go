package meetings

import (
	"fmt"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
)

// memberOnly enforces the network members' right of DESIGN.md section 6,
// "create / edit meetings: network_member its networks": their staff write
// only meetings whose every network has their partner as a member (a
// meeting across networks is the region's, or a consultant's, to
// schedule). Other roles pass: the policy table already bound them to a
// region.
func memberOnly(tx store.ReadTx, who principal.Principal, mt *famiv1.Meeting, verb string) error {
	if who.Role != principal.NetworkMember {
		return nil
	}
	for _, n := range mt.GetNetworks() {
		if !isMember(tx, n, who.Partner) {
			return &errs.Error{
				Code:   errs.PermissionDenied,
				Reason: "NOT_NETWORK_MEMBER",
				Message: fmt.Sprintf("%s is not a member of %s: network members may %s only meetings of networks their partner is a member of",
					orNone(who.Partner), n, verb),
				Metadata: map[string]string{"meeting": mt.GetName(), "network": n, "partner": who.Partner},
			}
		}
	}
	return nil
}

// isMember reports whether partner is a member of the network called
// network.
func isMember(tx store.ReadTx, network, partner string) bool {
	if partner == "" {
		return false
	}
	n := &famiv1.Network{}
	if tx.Get(network, n) != nil {
		return false
	}
	if n.GetLeadPartner() == partner {
		return true
	}
	for _, m := range n.GetMembers() {
		if m.GetPartner() == partner {
			return true
		}
	}
	return false
}

func orNone(partner string) string {
	if partner == "" {
		return "a network member without a partner"
	}
	return partner
}
