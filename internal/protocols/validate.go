package protocols

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/namekey"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Limits of a protocol's fields.
const (
	maxParties    = 200
	maxNetworks   = 50
	maxThemes     = 30
	maxTitle      = 300
	maxLabel      = 100
	maxText       = 20000
	maxBody       = 200000
	minSignatures = 2
)

// validate checks a protocol's fields and that the networks and partners
// it names exist in its region, recording their violations in v.
func validate(tx store.ReadTx, v *errs.Violations, p *famiv1.Protocol, region string) {
	networks := resource.NewRefList[*famiv1.Network](tx, v, region, resource.Networks)
	networks.Check("protocol.network", p.GetNetwork())
	if check.AtMost(v, "protocol.additional_networks", len(p.GetAdditionalNetworks()), maxNetworks, "networks") {
		networks.Twice = "%s is already listed as a network of the protocol"
		networks.CheckAll("protocol.additional_networks", p.GetAdditionalNetworks())
	}

	check.Text(v, "protocol.title", p.GetTitle(), true, maxTitle, false)
	if check.AtMost(v, "protocol.parties", len(p.GetParties()), maxParties, "parties") {
		parties := resource.NewRefList[*famiv1.Partner](tx, v, region, resource.Partners)
		for i, party := range p.GetParties() {
			f := errs.Indexed("protocol.parties", i)
			parties.Check(f+".partner", party.GetPartner())
			check.Enum(v, f+".role", party.GetRole(), true)
			other := party.GetRole() == famiv1.PartyRole_PARTY_ROLE_OTHER
			check.Text(v, f+".role_label", party.GetRoleLabel(), other, maxLabel, false)
			check.Text(v, f+".commitments", party.GetCommitments(), false, maxText, true)
		}
	}
	check.Text(v, "protocol.objectives", p.GetObjectives(), false, maxText, true)
	check.Text(v, "protocol.body", p.GetBody(), false, maxBody, true)
	if check.AtMost(v, "protocol.themes", len(p.GetThemes()), maxThemes, "themes") {
		// Themes are compared as names are (namekey), as a claim's
		// references are: "Mediazione culturale" and "mediazione
		// culturale ", or "Società" composed and decomposed, are one theme
		// listed twice, not two.
		seen := check.Set[string]{}
		for i, th := range p.GetThemes() {
			f := errs.Indexed("protocol.themes", i)
			check.Text(v, f, th, true, maxLabel, false)
			if seen.Again(namekey.Of(th)) {
				v.Add(f, "%q is listed twice", errs.Clip(th, errs.MaxEcho))
			}
		}
	}
	from, okFrom := check.Date(v, "protocol.valid_from", p.GetValidFrom(), false)
	until, okUntil := check.Date(v, "protocol.valid_until", p.GetValidUntil(), false)
	if okFrom && okUntil && until.Before(from) {
		v.Add("protocol.valid_until", "%s is before valid_from %s", p.GetValidUntil(), p.GetValidFrom())
	}
}

// ready checks that a DRAFT has what signing needs: at least two parties,
// a text, a start of validity, and an end (if any) not yet past. It
// returns FAILED_PRECONDITION (PROTOCOL_INCOMPLETE) naming every missing
// field.
func ready(p *famiv1.Protocol, today string) error {
	var v errs.Violations
	if n := len(p.GetParties()); n < minSignatures {
		v.Add("protocol.parties", "lists %d parties; at least %d are needed to open a protocol for signature", n, minSignatures)
	}
	if p.GetBody() == "" {
		v.Add("protocol.body", "is required to open a protocol for signature")
	}
	if p.GetValidFrom() == "" {
		v.Add("protocol.valid_from", "is required to open a protocol for signature")
	}
	if u := p.GetValidUntil(); u != "" && u < today {
		v.Add("protocol.valid_until", "%s has passed: the protocol could never come into force", u)
	}
	if v.Len() == 0 {
		return nil
	}
	e := errs.As(v.Err())
	e.Message = p.GetName() + " cannot be opened for signature: " + e.Message
	return errs.ProtocolIncomplete.With(*e)
}

// refs lists the registry resources p references: its networks and its
// parties' partners.
func refs(p *famiv1.Protocol) []string {
	var out []string
	if p.GetNetwork() != "" {
		out = append(out, p.GetNetwork())
	}
	out = append(out, p.GetAdditionalNetworks()...)
	for _, party := range p.GetParties() {
		out = append(out, party.GetPartner())
	}
	return out
}

// members returns the partners of a protocol's network and additional
// networks: the only partners that may sign it. A network that does not
// exist has none; one that cannot be read (a damaged record, DATA_LOSS)
// fails the check rather than take its members for none.
func members(tx store.ReadTx, p *famiv1.Protocol) (map[string]bool, error) {
	networks, err := networksOf(tx, p)
	return memberSet(networks), err
}

// networksOf reads p's network and additional networks as they are now.
func networksOf(tx store.ReadTx, p *famiv1.Protocol) ([]*famiv1.Network, error) {
	var out []*famiv1.Network
	for _, name := range append([]string{p.GetNetwork()}, p.GetAdditionalNetworks()...) {
		n := &famiv1.Network{}
		if _, err := store.Find(tx, name, n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// memberSet is the partners that are members of any of networks.
func memberSet(networks []*famiv1.Network) map[string]bool {
	out := map[string]bool{}
	for _, n := range networks {
		for _, m := range n.GetMembers() {
			out[m.GetPartner()] = true
		}
	}
	return out
}

// errNotMember is the FAILED_PRECONDITION of a party (or signer) that is
// not a member of the protocol's networks.
func errNotMember(p *famiv1.Protocol, v *errs.Violations) error {
	e := errs.As(v.Err())
	e.Message = "a protocol is signed by members of its network or of its additional networks: " + e.Message
	e.Metadata = map[string]string{"protocol": p.GetName()}
	return errs.PartyNotAMember.With(*e)
}

// partiesAreMembers checks that every party of p is a member of its
// network or of one of its additional networks.
func partiesAreMembers(tx store.ReadTx, p *famiv1.Protocol) error {
	in, err := members(tx, p)
	if err != nil {
		return err
	}
	var v errs.Violations
	for i, party := range p.GetParties() {
		if !in[party.GetPartner()] {
			v.Add(errs.Indexed("protocol.parties", i)+".partner", "%s is not a member of the protocol's network or of its additional networks", party.GetPartner())
		}
	}
	if v.Len() == 0 {
		return nil
	}
	return errNotMember(p, &v)
}
