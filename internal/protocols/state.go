package protocols

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
)

// A protocol's state follows from facts stored with it (content_hash,
// signatures, termination, superseded_by), from its validity dates and
// from today's date, so nothing has to run at midnight: every read derives
// it again. The state stored with each write is the one derived at that
// moment, so the change log shows what readers saw then.

// maxChain is how many amendments a chain of versions may hold after its
// first version: AmendProtocol refuses the next (LIMIT_REACHED), so the
// walks along a chain (supersededBy, supersedeChain), which stop after
// maxChain steps, always reach its end. A chain stored longer before the
// refusal existed is still read (docs/limits.md): failing its reads would
// leave its versions, and every page of the region's protocols that lists
// them, unreadable.
const maxChain = 64

// dateOf is the calendar date of a stored timestamp.
func (s *Service) dateOf(ts *timestamppb.Timestamp) string {
	return s.cal.Day(ts.AsTime())
}

// isDraft reports whether p has not been opened for signature.
func isDraft(p *famiv1.Protocol) bool { return p.GetContentHash() == "" }

// signatureOf returns the signature of party, or nil.
func signatureOf(p *famiv1.Protocol, party string) *famiv1.Signature {
	for _, sig := range p.GetSignatures() {
		if sig.GetParty() == party {
			return sig
		}
	}
	return nil
}

// isParty reports whether partner is one of p's parties.
func isParty(p *famiv1.Protocol, partner string) bool {
	for _, party := range p.GetParties() {
		if partner != "" && party.GetPartner() == partner {
			return true
		}
	}
	return false
}

// allSigned reports whether every party of an opened protocol signed.
func allSigned(p *famiv1.Protocol) bool {
	if isDraft(p) || len(p.GetParties()) == 0 {
		return false
	}
	for _, party := range p.GetParties() {
		if signatureOf(p, party.GetPartner()) == nil {
			return false
		}
	}
	return true
}

// startDate is the day p comes (or came) into force once every party has
// signed: valid_from, or the day of the last signature if later.
func (s *Service) startDate(p *famiv1.Protocol) string {
	start := p.GetValidFrom()
	for _, sig := range p.GetSignatures() {
		if d := s.dateOf(sig.GetSignTime()); d > start {
			start = d
		}
	}
	return start
}

// cameIntoForce reports whether p was in force at some day up to today:
// signed by every party, started by today and within its validity, and not
// terminated before it started.
func (s *Service) cameIntoForce(p *famiv1.Protocol, today string) bool {
	if !allSigned(p) {
		return false
	}
	start := s.startDate(p)
	if start > today || (p.GetValidUntil() != "" && start > p.GetValidUntil()) {
		return false
	}
	if t := p.GetTermination(); t != nil && s.dateOf(t.GetTime()) < start {
		return false
	}
	return true
}

// successors lists the amendments of the protocol called name.
func successors(tx store.ReadTx, name string) []string {
	var out []string
	tx.IndexScan(indexSuccessors, name+"\x00", func(key, _ string) bool {
		out = append(out, key[len(name)+1:])
		return true
	})
	return out
}

// supersededBy returns the amendment of p through which a later version
// came into force by today, or "": an amendment in force supersedes every
// earlier version of its chain. An amendment that cannot be read fails
// the derivation (a damaged one is DATA_LOSS): skipping it would present
// p as still in force when a later version may have replaced it. Only a
// missing one is skipped: a deleted draft supersedes nothing (its index
// entry goes with it, in the same transaction).
func (s *Service) supersededBy(tx store.ReadTx, p *famiv1.Protocol, today string, depth int) (string, error) {
	if depth >= maxChain {
		return "", nil
	}
	for _, name := range successors(tx, p.GetName()) {
		a := &famiv1.Protocol{}
		found, err := store.Find(tx, name, a)
		if err != nil {
			return "", err
		}
		if !found {
			continue
		}
		if a.GetSupersededBy() != "" || s.cameIntoForce(a, today) {
			return name, nil
		}
		by, err := s.supersededBy(tx, a, today, depth+1)
		if err != nil {
			return "", err
		}
		if by != "" {
			return name, nil
		}
	}
	return "", nil
}

// derive returns p's state as of today and, when it is SUPERSEDED, the
// version that superseded it; it fails when a record the state depends on
// cannot be read.
func (s *Service) derive(tx store.ReadTx, p *famiv1.Protocol, today string) (famiv1.ProtocolState, string, error) {
	switch {
	case p.GetTermination() != nil:
		return famiv1.ProtocolState_PROTOCOL_STATE_TERMINATED, "", nil
	case p.GetSupersededBy() != "":
		return famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED, p.GetSupersededBy(), nil
	case isDraft(p):
		return famiv1.ProtocolState_PROTOCOL_STATE_DRAFT, "", nil
	}
	by, err := s.supersededBy(tx, p, today, 0)
	switch {
	case err != nil:
		return famiv1.ProtocolState_PROTOCOL_STATE_UNSPECIFIED, "", err
	case by != "":
		return famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED, by, nil
	case p.GetValidUntil() != "" && today > p.GetValidUntil():
		return famiv1.ProtocolState_PROTOCOL_STATE_EXPIRED, "", nil
	case !allSigned(p):
		return famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE, "", nil
	case today < p.GetValidFrom():
		return famiv1.ProtocolState_PROTOCOL_STATE_SIGNED, "", nil
	}
	return famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE, "", nil
}

// present sets p's output-only derived fields (state, and superseded_by
// when a later version is in force) as of today, and returns p; it fails
// as derive does, leaving p as it was.
func (s *Service) present(tx store.ReadTx, p *famiv1.Protocol, today string) (*famiv1.Protocol, error) {
	st, by, err := s.derive(tx, p, today)
	if err != nil {
		return nil, err
	}
	p.State = st
	if by != "" {
		p.SupersededBy = by
	}
	return p, nil
}
