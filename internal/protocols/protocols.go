// Package protocols implements fami.v1.ProtocolService: protocols of
// collaboration drafted by a region, its consultants or the parties' staff,
// frozen and signed by every party, amended by new versions, and in force,
// expired or superseded according to the calendar. The rules live here,
// below every transport; the policy table (internal/auth) admits callers by
// role and region, and this package checks what depends on the data (who is
// a party, which state a protocol is in).
package protocols

import (
	"context"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
	"github.com/raccordo/raccordo/sdk/protocolhash"
)

// indexSuccessors holds "{protocol}\x00{amendment}" for every amendment of
// a protocol, so a read can tell whether a later version is in force.
const indexSuccessors = "protocol_successors"

// mutable lists the fields UpdateProtocol may change (in DRAFT only).
var mutable = []string{"network", "additional_networks", "title", "parties", "objectives", "body", "themes", "valid_from", "valid_until"}

// outputOnly are the fields of a Protocol the server owns besides the
// standard ones (name, etag, times). aip.ApplyMask ignores them in an
// update mask, as grpc-gateway derives it from a PATCH body copied from a
// GET (AIP-203); a mask naming only them changes nothing and writes nothing.
var outputOnly = []string{"state", "content_hash", "signatures", "version", "supersedes", "superseded_by", "termination"}

// Options configure the service.
type Options struct {
	// Now is the clock: "today" for the states that depend on the date,
	// and the time of signatures and terminations. Defaults to time.Now.
	Now func() time.Time
	// Location is where validity dates are calendar days. Defaults to
	// Europe/Rome.
	Location *time.Location
}

// Service implements fami.v1.ProtocolService.
type Service struct {
	famiv1.UnimplementedProtocolServiceServer
	store store.Store
	cal   territory.Calendar
}

// New returns the service over a region store.
func New(s store.Store, opts Options) *Service {
	return &Service{store: s, cal: territory.NewCalendar(opts.Now, opts.Location)}
}

// CreateProtocol implements fami.v1.ProtocolService.
func (s *Service) CreateProtocol(ctx context.Context, req *famiv1.CreateProtocolRequest) (*famiv1.Protocol, error) {
	who := principal.From(ctx)
	return resource.Create(ctx, s.store, req, "protocol", req.GetProtocol(), req.GetProtocolId(), func(tx store.WriteTx, id string) (*famiv1.Protocol, error) {
		region := tx.Region()
		p := &famiv1.Protocol{}
		aip.ApplyMask(p, req.GetProtocol(), nil, mutable)
		p.Name = aip.Name(region, resource.Protocols, id)
		p.Version = 1
		p.State = famiv1.ProtocolState_PROTOCOL_STATE_DRAFT
		if err := partyOnly(who, p, "draft"); err != nil {
			return nil, err
		}
		err := resource.Validate("protocol", nil, p, func(v *errs.Violations, p *famiv1.Protocol) { validate(tx, v, p, region) })
		if err != nil {
			return nil, err
		}
		if err := inItsNetworks(tx, who, p, "draft"); err != nil {
			return nil, err
		}
		if err := resource.Absent(tx, p, "protocol_id"); err != nil {
			return nil, err
		}
		if err := registry.SetRefs(tx, p.Name, nil, refs(p)); err != nil {
			return nil, err
		}
		return p, tx.Put(p)
	})
}

// GetProtocol implements fami.v1.ProtocolService.
func (s *Service) GetProtocol(ctx context.Context, req *famiv1.GetProtocolRequest) (*famiv1.Protocol, error) {
	return resource.GetShown(ctx, s.store, resource.Protocols, req.GetName(), func(tx store.ReadTx, p *famiv1.Protocol) error {
		_, err := s.present(tx, p, s.cal.Today())
		return err
	})
}

// ListProtocols implements fami.v1.ProtocolService.
func (s *Service) ListProtocols(ctx context.Context, req *famiv1.ListProtocolsRequest) (*famiv1.ListProtocolsResponse, error) {
	region, res, done, err := aip.OpenList(ctx, req, s.ListProtocols)
	if done {
		return res, err
	}
	f, err := newProtocolFilter(req)
	if err != nil {
		return nil, err
	}
	return resource.ListWithin[*famiv1.ListProtocolsResponse](ctx, s.store, region, req, s.matching(f))
}

// CountProtocols counts the protocols of region (an id) in state, any
// state when unspecified, as ListProtocols would list them (the state is
// the derived one), in one read and without building a page: the
// dashboard's protocols in force. It is no RPC: its callers must hold the
// rights of a ListProtocols of region (the dashboard's readers do).
//
// Errors: as store.Store's View (errs.NotFound for an unknown region).
func (s *Service) CountProtocols(ctx context.Context, region string, state famiv1.ProtocolState) (int32, error) {
	return resource.CountWithin(ctx, s.store, region, s.matching(protocolFilter{state: state}))
}

// matching is the collection and test of the protocols f keeps, read in
// tx: each protocol is presented as of today first, since the state a
// filter asks for is the derived one.
func (s *Service) matching(f protocolFilter) func(tx store.ReadTx) (string, func(*famiv1.Protocol) (bool, error), error) {
	return func(tx store.ReadTx) (string, func(*famiv1.Protocol) (bool, error), error) {
		today := s.cal.Today()
		return resource.Protocols, func(p *famiv1.Protocol) (bool, error) {
			p, err := s.present(tx, p, today)
			if err != nil {
				return false, err
			}
			return f.match(p), nil
		}, nil
	}
}

// protocolFilter is a ListProtocols request's filters.
type protocolFilter struct {
	state            famiv1.ProtocolState // 0 is any
	network, partner string               // names
	validOn          string               // a date
}

// newProtocolFilter checks the filters of req.
func newProtocolFilter(req *famiv1.ListProtocolsRequest) (protocolFilter, error) {
	var v errs.Violations
	check.Enum(&v, "state", req.GetState(), false)
	resource.CheckName(&v, "network", req.GetNetwork(), resource.Networks)
	resource.CheckName(&v, "partner", req.GetPartner(), resource.Partners)
	check.Date(&v, "valid_on", req.GetValidOn(), false)
	f := protocolFilter{state: req.GetState(), network: req.GetNetwork(), partner: req.GetPartner(), validOn: req.GetValidOn()}
	return f, v.Err()
}

// match reports whether p is in the state asked for, of the network (its
// own or an additional one), with the partner as a party, and valid on the
// date.
func (f protocolFilter) match(p *famiv1.Protocol) bool {
	return (f.state == 0 || p.GetState() == f.state) &&
		(f.network == "" || p.GetNetwork() == f.network || slices.Contains(p.GetAdditionalNetworks(), f.network)) &&
		(f.partner == "" || isParty(p, f.partner)) &&
		(f.validOn == "" || validOn(p, f.validOn))
}

// validOn reports whether day falls within p's validity; a protocol
// without a start of validity is valid on no day.
func validOn(p *famiv1.Protocol, day string) bool {
	return p.GetValidFrom() != "" && day >= p.GetValidFrom() && (p.GetValidUntil() == "" || day <= p.GetValidUntil())
}

// UpdateProtocol implements fami.v1.ProtocolService.
func (s *Service) UpdateProtocol(ctx context.Context, req *famiv1.UpdateProtocolRequest) (*famiv1.Protocol, error) {
	in := req.GetProtocol()
	who := principal.From(ctx)
	return resource.Update(ctx, s.store, req, "protocol", in, resource.Protocols, func(tx store.WriteTx, cur *famiv1.Protocol) (*famiv1.Protocol, error) {
		if err := actsOn(tx, who, cur, "edit"); err != nil {
			return nil, err
		}
		today := s.cal.Today()
		if err := s.draftOnly(tx, cur, today, "its text was frozen when it was opened for signature; amend it (:amend) to change it"); err != nil {
			return nil, err
		}
		next := proto.CloneOf(cur)
		unchanged, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), mutable, outputOnly...)
		if err != nil {
			return nil, err
		}
		if unchanged != nil { // the answer, as GetProtocol shows it
			if _, err := s.present(tx, unchanged, today); err != nil {
				return nil, err
			}
		}
		if who.Role == principal.NetworkMember && !isParty(next, who.Partner) {
			return nil, errs.NotAParty.New(
				"%s would no longer be a party to %s: its staff cannot remove it; ask the region", who.Partner, cur.GetName())
		}
		err = resource.Validate("protocol", cur, next, func(v *errs.Violations, p *famiv1.Protocol) { validate(tx, v, p, tx.Region()) })
		if err != nil {
			return nil, err
		}
		if !sameNetworks(cur, next) {
			if err := inItsNetworks(tx, who, next, "move"); err != nil {
				return nil, err
			}
		}
		if err := registry.SetRefs(tx, next.GetName(), refs(cur), refs(next)); err != nil {
			return nil, err
		}
		next.State = famiv1.ProtocolState_PROTOCOL_STATE_DRAFT
		return next, tx.Put(next)
	})
}

// DeleteProtocol implements fami.v1.ProtocolService.
func (s *Service) DeleteProtocol(ctx context.Context, req *famiv1.DeleteProtocolRequest) (*emptypb.Empty, error) {
	who := principal.From(ctx)
	return resource.Change(ctx, s.store, resource.Protocols, req, func(tx store.WriteTx, cur *famiv1.Protocol) (*emptypb.Empty, error) {
		if err := actsOn(tx, who, cur, "delete"); err != nil {
			return nil, err
		}
		err := s.draftOnly(tx, cur, s.cal.Today(), "only a DRAFT can be deleted; terminate it (:terminate) to withdraw it, keeping its signatures on record")
		if err != nil {
			return nil, err
		}
		if err := registry.InUse(tx, cur.GetName(), errs.ProtocolInUse); err != nil {
			return nil, err
		}
		if err := registry.SetRefs(tx, cur.GetName(), refs(cur), nil); err != nil {
			return nil, err
		}
		if pred := cur.GetSupersedes(); pred != "" {
			if err := tx.IndexDelete(indexSuccessors, pred+"\x00"+cur.GetName()); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, tx.Delete(cur.GetName())
	})
}

// OpenProtocolForSignature implements fami.v1.ProtocolService.
func (s *Service) OpenProtocolForSignature(ctx context.Context, req *famiv1.OpenProtocolForSignatureRequest) (*famiv1.Protocol, error) {
	who := principal.From(ctx)
	return resource.Change(ctx, s.store, resource.Protocols, req, func(tx store.WriteTx, p *famiv1.Protocol) (*famiv1.Protocol, error) {
		if err := actsOn(tx, who, p, "open"); err != nil {
			return nil, err
		}
		today := s.cal.Today()
		if err := s.draftOnly(tx, p, today, "it was already opened for signature"); err != nil {
			return nil, err
		}
		// The text it freezes keeps every rule of today, whenever it
		// was written: an amendment's, copied from a version written
		// under older rules, is fixed in the draft.
		err := resource.Validate("protocol", nil, p, func(v *errs.Violations, p *famiv1.Protocol) { validate(tx, v, p, tx.Region()) })
		if err != nil {
			return nil, errs.Advise(err, "the text opened for signature keeps every rule of today: edit the draft to fix it, then open it")
		}
		if err := ready(p, today); err != nil {
			return nil, err
		}
		if err := partiesAreMembers(tx, p); err != nil {
			return nil, err
		}
		p.ContentHash = protocolhash.Of(p)
		st, _, err := s.derive(tx, p, today)
		if err != nil {
			return nil, err
		}
		p.State = st
		return p, tx.Put(p)
	})
}

// SignProtocol implements fami.v1.ProtocolService.
func (s *Service) SignProtocol(ctx context.Context, req *famiv1.SignProtocolRequest) (*famiv1.Protocol, error) {
	region, err := aip.RegionOfName("name", req.GetName(), resource.Protocols)
	if err != nil {
		return nil, err
	}
	if err := checkHash("content_hash", req.GetContentHash()); err != nil {
		return nil, err
	}
	m, err := store.MutationOf(ctx, req.GetRequestId(), req)
	if err != nil {
		return nil, err
	}
	who := principal.From(ctx)
	if who.Role != principal.NetworkMember || who.Partner == "" {
		// The policy admits only network members; this keeps the rule
		// where the data is, too.
		return nil, errs.RoleNotAllowed.New("only the staff of a party sign a protocol, each for their own partner; the %s role cannot sign", who.Role)
	}
	return store.Mutate(ctx, s.store, region, m, func(tx store.WriteTx) (*famiv1.Protocol, error) {
		p := &famiv1.Protocol{}
		if err := tx.Get(req.GetName(), p); err != nil {
			return nil, err
		}
		if !isParty(p, who.Partner) {
			return nil, errs.NotAParty.With(errs.Error{
				Message:  errs.Sprintf("%s is not a party to %s: only its parties' staff can sign it", who.Partner, p.GetName()),
				Metadata: map[string]string{"protocol": p.GetName(), "partner": who.Partner},
			})
		}
		// Membership may have changed since the protocol was opened.
		in, err := members(tx, p)
		if err != nil {
			return nil, err
		}
		if !in[who.Partner] {
			var v errs.Violations
			v.Add("name", "%s is no longer a member of the network or the additional networks of %s", who.Partner, p.GetName())
			return nil, errNotMember(p, &v)
		}
		if err := unarchived(tx, p, takingPartners(who, p, Sign)...); err != nil {
			return nil, err
		}
		if sig := signatureOf(p, who.Partner); sig != nil {
			return nil, errs.AlreadySigned.With(errs.Error{
				Message: errs.Sprintf("%s already signed %s on %s (signer %s); a party signs once",
					who.Partner, p.GetName(), sig.GetSignTime().AsTime().In(s.cal.Location()).Format(time.RFC3339), sig.GetSigner()),
				Metadata: map[string]string{"protocol": p.GetName(), "partner": who.Partner},
			})
		}
		now := s.cal.Now()
		today := s.cal.Day(now)
		st, _, err := s.derive(tx, p, today)
		if err != nil {
			return nil, err
		}
		switch st {
		case famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE:
		case famiv1.ProtocolState_PROTOCOL_STATE_DRAFT:
			return nil, errs.ProtocolNotOpen.New("%s is a DRAFT: it can be signed once it is opened for signature", p.GetName())
		default:
			return nil, errs.ProtocolNotOpen.New("%s is %s: it can no longer be signed", p.GetName(), aip.EnumName(st))
		}
		if req.GetContentHash() != p.GetContentHash() {
			return nil, errs.ContentHashMismatch.With(errs.Error{
				Message: errs.Sprintf("content_hash %s is not the hash of the text of %s (%s): the text you read is not the one open for signature (another version, or an old copy); read the protocol again before signing",
					req.GetContentHash(), p.GetName(), p.GetContentHash()),
				Metadata: map[string]string{"protocol": p.GetName(), "content_hash": p.GetContentHash()},
			})
		}
		p.Signatures = append(p.Signatures, &famiv1.Signature{
			Party:             who.Partner,
			Signer:            who.Subject,
			SignerDisplayName: who.Name(),
			SignerRole:        string(who.Role),
			SignTime:          timestamppb.New(now),
			ContentHash:       p.GetContentHash(),
		})
		if p.State, _, err = s.derive(tx, p, today); err != nil {
			return nil, err
		}
		if err := tx.Put(p); err != nil {
			return nil, err
		}
		if p.State == famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE {
			// The last signature brought an amendment into force: every
			// earlier version of its chain is superseded from now on.
			if err := supersedeChain(tx, p); err != nil {
				return nil, err
			}
		}
		return p, nil
	})
}

// supersedeChain records, on each earlier version of p's chain still
// standing, which version superseded it.
func supersedeChain(tx store.WriteTx, p *famiv1.Protocol) error {
	cur := p
	for range maxChain {
		if cur.GetSupersedes() == "" {
			return nil
		}
		pred := &famiv1.Protocol{}
		if err := tx.Get(cur.GetSupersedes(), pred); err != nil {
			return err
		}
		if pred.GetTermination() != nil || pred.GetSupersededBy() != "" {
			return nil
		}
		pred.SupersededBy = cur.GetName()
		pred.State = famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED
		if err := tx.Put(pred); err != nil {
			return err
		}
		cur = pred
	}
	return nil
}

// TerminateProtocol implements fami.v1.ProtocolService.
func (s *Service) TerminateProtocol(ctx context.Context, req *famiv1.TerminateProtocolRequest) (*famiv1.Protocol, error) {
	who := principal.From(ctx)
	return resource.ChangeChecked(ctx, s.store, resource.Protocols, req, func(v *errs.Violations) {
		check.Reason(v, "reason", req.GetReason(), true)
	}, func(tx store.WriteTx, p *famiv1.Protocol) (*famiv1.Protocol, error) {
		if err := actsOn(tx, who, p, "terminate"); err != nil {
			return nil, err
		}
		now := s.cal.Now()
		st, _, err := s.derive(tx, p, s.cal.Day(now))
		if err != nil {
			return nil, err
		}
		switch st {
		case famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE, famiv1.ProtocolState_PROTOCOL_STATE_SIGNED, famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE:
		case famiv1.ProtocolState_PROTOCOL_STATE_DRAFT:
			return nil, errs.ProtocolNotOpen.New("%s is a DRAFT: delete it instead", p.GetName())
		default:
			return nil, errs.ProtocolEnded.New("%s is already %s", p.GetName(), aip.EnumName(st))
		}
		p.Termination = &famiv1.Termination{Reason: req.GetReason(), Time: timestamppb.New(now), By: who.Subject}
		p.State = famiv1.ProtocolState_PROTOCOL_STATE_TERMINATED
		return p, tx.Put(p)
	})
}

// AmendProtocol implements fami.v1.ProtocolService.
func (s *Service) AmendProtocol(ctx context.Context, req *famiv1.AmendProtocolRequest) (*famiv1.Protocol, error) {
	region, err := aip.RegionOfName("name", req.GetName(), resource.Protocols)
	if err != nil {
		return nil, err
	}
	id, err := aip.NewOrCheckID("protocol_id", req.GetProtocolId())
	if err != nil {
		return nil, err
	}
	who := principal.From(ctx)
	return resource.Modify(ctx, s.store, region, req, req.GetName(), req.GetEtag(), func(tx store.WriteTx, old *famiv1.Protocol) (*famiv1.Protocol, error) {
		if err := actsOn(tx, who, old, "amend"); err != nil {
			return nil, err
		}
		if err := keepsOwnPartner(who, old, req.GetRemoveParties()); err != nil {
			return nil, err
		}
		today := s.cal.Today()
		st, by, err := s.derive(tx, old, today)
		if err != nil {
			return nil, err
		}
		switch st {
		case famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE, famiv1.ProtocolState_PROTOCOL_STATE_SIGNED,
			famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE, famiv1.ProtocolState_PROTOCOL_STATE_EXPIRED:
		case famiv1.ProtocolState_PROTOCOL_STATE_DRAFT:
			return nil, errs.ProtocolNotOpen.New("%s is a DRAFT: edit it instead", old.GetName())
		case famiv1.ProtocolState_PROTOCOL_STATE_SUPERSEDED:
			return nil, errs.ProtocolEnded.New("%s is SUPERSEDED by %s: amend the later version", old.GetName(), by)
		default:
			return nil, errs.ProtocolEnded.New("%s is %s: it can no longer be amended", old.GetName(), aip.EnumName(st))
		}
		if err := chainRoom(old); err != nil {
			return nil, err
		}
		// The amendment is a new protocol of the same networks and
		// parties, less those the request leaves out: an archived one it
		// keeps is refused now, naming it, rather than copied into a draft
		// that could never be opened (ADR 36). One that closed is left out
		// by the amendment itself, as it could not be made active again
		// just to be amended out.
		p, err := amendment(req, old, aip.Name(region, resource.Protocols, id))
		if err != nil {
			return nil, err
		}
		if err := unarchived(tx, p, takingPartners(who, p, Amend)...); err != nil {
			return nil, err
		}
		if err := keptMembers(tx, old, p, req.GetRemoveAdditionalNetworks()); err != nil {
			return nil, err
		}
		// One amendment at a time, so a protocol's versions form a chain.
		for _, n := range successors(tx, old.GetName()) {
			a := &famiv1.Protocol{}
			if err := tx.Get(n, a); err != nil {
				return nil, err
			}
			st, _, err := s.derive(tx, a, today)
			if err != nil {
				return nil, err
			}
			switch st {
			case famiv1.ProtocolState_PROTOCOL_STATE_DRAFT, famiv1.ProtocolState_PROTOCOL_STATE_OPEN_FOR_SIGNATURE, famiv1.ProtocolState_PROTOCOL_STATE_SIGNED:
				return nil, errs.AmendmentPending.With(errs.Error{
					Message:  errs.Sprintf("%s already has an amendment under way, %s (%s): complete, delete or terminate it first", old.GetName(), n, aip.EnumName(st)),
					Metadata: map[string]string{"amendment": n},
				})
			}
		}
		if err := resource.Absent(tx, p, "protocol_id"); err != nil {
			return nil, err
		}
		if err := registry.SetRefs(tx, p.Name, nil, refs(p)); err != nil {
			return nil, err
		}
		if err := tx.IndexPut(indexSuccessors, old.GetName()+"\x00"+p.Name, ""); err != nil {
			return nil, err
		}
		return p, tx.Put(p)
	})
}

// amendment is the draft called name that amends old: old's network,
// text and validity, and its parties and additional networks less those
// req leaves out (remove_parties, remove_additional_networks). Each of
// those must be one of old's, named once; any other is INVALID_ARGUMENT
// naming its element, as leaving out what the protocol does not hold is a
// mistake, not a no-op.
//
// Besides its references (AmendProtocol checks them), the text is copied
// as it is, unchecked: a version written under older rules is frozen and
// can change only here, so the amendment is not refused for it. The
// draft's edits are not refused for it either (UpdateProtocol), and
// opening the draft for signature refuses it, naming the field to fix.
func amendment(req *famiv1.AmendProtocolRequest, old *famiv1.Protocol, name string) (*famiv1.Protocol, error) {
	p := &famiv1.Protocol{
		Name:       name,
		Network:    old.GetNetwork(),
		Title:      old.GetTitle(),
		Objectives: old.GetObjectives(),
		Body:       old.GetBody(),
		Themes:     slices.Clone(old.GetThemes()),
		ValidFrom:  old.GetValidFrom(),
		ValidUntil: old.GetValidUntil(),
		State:      famiv1.ProtocolState_PROTOCOL_STATE_DRAFT,
		Version:    old.GetVersion() + 1,
		Supersedes: old.GetName(),
	}
	var v errs.Violations
	gone := leftOut(&v, "remove_parties", req.GetRemoveParties(), partiesOf(old), "a party to "+old.GetName())
	for _, party := range old.GetParties() {
		if !gone[party.GetPartner()] {
			p.Parties = append(p.Parties, proto.CloneOf(party))
		}
	}
	gone = leftOut(&v, "remove_additional_networks", req.GetRemoveAdditionalNetworks(), old.GetAdditionalNetworks(), "an additional network of "+old.GetName())
	for _, n := range old.GetAdditionalNetworks() {
		if !gone[n] {
			p.AdditionalNetworks = append(p.AdditionalNetworks, n)
		}
	}
	return p, v.Err()
}

// leftOut is the set of names field lists, each of which must be one of
// has, named once: a violation of its element otherwise, saying it is
// not what (or is listed twice).
func leftOut(v *errs.Violations, field string, names, has []string, what string) check.Set[string] {
	seen := check.Set[string]{}
	for i, n := range names {
		switch {
		case seen.Again(n):
			v.Add(errs.Indexed(field, i), "%q is listed twice", errs.Clip(n, errs.MaxEcho))
		case !slices.Contains(has, n):
			v.Add(errs.Indexed(field, i), "%q is not %s", errs.Clip(n, errs.MaxEcho), what)
		}
	}
	return seen
}

// keepsOwnPartner refuses a network member's amendment that leaves out
// their own partner (remove_parties), PERMISSION_DENIED (NOT_A_PARTY)
// naming the element, as UpdateProtocol refuses an edit that would: the
// draft made would be one they may neither edit, open nor delete
// (partyOnly), left to the region. Other roles pass.
func keepsOwnPartner(who principal.Principal, old *famiv1.Protocol, removed []string) error {
	i := slices.Index(removed, who.Partner)
	if who.Role != principal.NetworkMember || i < 0 {
		return nil
	}
	var v errs.Violations
	v.Add(errs.Indexed("remove_parties", i), "%s is your own partner: its staff cannot leave it out of an amendment of %s; ask the region", who.Partner, old.GetName())
	e := errs.As(v.Err())
	e.Metadata = map[string]string{"protocol": old.GetName(), "partner": who.Partner}
	return errs.NotAParty.With(*e)
}

// keptMembers refuses an amendment that leaves out an additional network
// (remove_additional_networks) while keeping a party that was a member of
// the protocol's networks only through it: such a draft could never be
// opened (partiesAreMembers), so it is refused at once, as an archived
// party kept is (ADR 36), FAILED_PRECONDITION (PARTY_NOT_A_MEMBER) with
// one violation of the removed network's element for each such party,
// naming it. A party that was already no member of old's networks is
// not the request's doing and is left to the draft's edit, as before.
func keptMembers(tx store.ReadTx, old, p *famiv1.Protocol, removed []string) error {
	if len(removed) == 0 {
		return nil
	}
	networks, err := networksOf(tx, old)
	if err != nil {
		return err
	}
	var kept []*famiv1.Network
	for _, n := range networks {
		if !slices.Contains(removed, n.GetName()) {
			kept = append(kept, n)
		}
	}
	was, is := memberSet(networks), memberSet(kept)
	var v errs.Violations
	for _, party := range p.GetParties() {
		partner := party.GetPartner()
		if !was[partner] || is[partner] {
			continue
		}
		i := slices.IndexFunc(removed, func(name string) bool {
			return slices.ContainsFunc(networks, func(n *famiv1.Network) bool { return n.GetName() == name && memberSet([]*famiv1.Network{n})[partner] })
		})
		v.Add(errs.Indexed("remove_additional_networks", i), "%s, a party the amendment keeps, is a member of its networks only through %s: leave it out too (remove_parties) or keep the network", partner, removed[i])
	}
	if v.Len() == 0 {
		return nil
	}
	return errNotMember(old, &v)
}

// chainRoom refuses an amendment of old once old's chain holds maxChain
// amendments: old's version counts them, one more than its predecessor's
// from 1 for the first version.
func chainRoom(old *famiv1.Protocol) error {
	if n := old.GetVersion() - 1; n >= maxChain {
		return errs.AtLimit(old.GetName(), "amendments", maxChain,
			"%s is version %d: its chain already has %d amendments, the most a protocol may; draft a new protocol with its text instead", old.GetName(), old.GetVersion(), n)
	}
	return nil
}

// draftOnly refuses a change to p unless p is a DRAFT, with
// PROTOCOL_NOT_DRAFT naming the state it is in on today; why ends the
// message in the refused method's words ("{name} is {STATE}: {why}").
func (s *Service) draftOnly(tx store.ReadTx, p *famiv1.Protocol, today, why string) error {
	if isDraft(p) {
		return nil
	}
	st, _, err := s.derive(tx, p, today)
	if err != nil {
		return err
	}
	return errs.ProtocolNotDraft.New("%s is %s: %s", p.GetName(), aip.EnumName(st), why)
}

// MayChange reports whether who may edit, delete, open, terminate or amend
// p, as stored, beyond what the rights table says: the rule the service
// holds each of them to (actsOn), given networks, p's network and
// additional networks as they are now (with their members; only a network
// member's answer depends on them). The web asks it, beside the rights
// table, to show those forms and buttons only to whom the service would
// let use them: it asked by party alone, and a member removed from the
// network was shown buttons that were then refused.
func MayChange(who principal.Principal, p *famiv1.Protocol, networks []*famiv1.Network) bool {
	return mayActOn(who, p, networks, "change") == nil
}

// partyOnly enforces the network members' right of DESIGN.md section 6:
// their staff draft and edit only the protocols their partner is a party
// to. Other roles pass (the policy table already bound them to a region).
func partyOnly(who principal.Principal, p *famiv1.Protocol, verb string) error {
	if who.Role != principal.NetworkMember || isParty(p, who.Partner) {
		return nil
	}
	return errs.NotAParty.With(errs.Error{
		Message:  errs.Sprintf("%s is not a party to %s: network members may %s only protocols their partner is a party to", who.Partner, p.GetName(), verb),
		Metadata: map[string]string{"protocol": p.GetName(), "partner": who.Partner},
	})
}

// actsOn enforces a network member's right on a stored protocol, to edit,
// delete, open, terminate or amend it: its partner is a party
// (partyOnly) and still a member of the protocol's network or of one of
// its additional networks (inItsNetworks), as signing it asks (SignProtocol).
// A partner removed from the network kept editing the drafts it had
// there; it could no longer sign them, and the network's own members read
// its changes.
func actsOn(tx store.ReadTx, who principal.Principal, p *famiv1.Protocol, verb string) error {
	networks, err := networksFor(tx, who, p)
	if err != nil {
		return err
	}
	return mayActOn(who, p, networks, verb)
}

// mayActOn is actsOn's rule, given p's networks as they are now
// (networksFor): the one rule the service and the web (MayChange) ask.
func mayActOn(who principal.Principal, p *famiv1.Protocol, networks []*famiv1.Network, verb string) error {
	if err := partyOnly(who, p, verb); err != nil {
		return err
	}
	return memberOfItsNetworks(who, p, networks, verb)
}

// networksFor reads p's networks when who's rights depend on them (a
// network member's, inItsNetworks), and nothing for any other role.
func networksFor(tx store.ReadTx, who principal.Principal, p *famiv1.Protocol) ([]*famiv1.Network, error) {
	if who.Role != principal.NetworkMember {
		return nil, nil
	}
	return networksOf(tx, p)
}

// inItsNetworks keeps network members to the protocols of the networks
// their partner is a member of (the protocol's network or one of its
// additional networks). Being a party is not enough: only members of
// those networks sign (partiesAreMembers), so a member's draft in another
// network could never be opened, and it held that network's name, which
// the network's own members then saw and could not delete.
func inItsNetworks(tx store.ReadTx, who principal.Principal, p *famiv1.Protocol, verb string) error {
	networks, err := networksFor(tx, who, p)
	if err != nil {
		return err
	}
	return memberOfItsNetworks(who, p, networks, verb)
}

// memberOfItsNetworks is inItsNetworks's rule, given p's networks as they
// are now.
func memberOfItsNetworks(who principal.Principal, p *famiv1.Protocol, networks []*famiv1.Network, verb string) error {
	if who.Role != principal.NetworkMember || memberSet(networks)[who.Partner] {
		return nil
	}
	return errs.NotNetworkMember.With(errs.Error{
		Message: errs.Sprintf("%s is not a member of %s or of its additional networks: network members may %s only protocols of networks their partner is a member of",
			who.Partner, p.GetNetwork(), verb),
		Metadata: map[string]string{"protocol": p.GetName(), "network": p.GetNetwork(), "partner": who.Partner},
	})
}

// unarchived refuses a signature for an archived partner, or on a
// protocol one of whose networks is archived, and an amendment of a
// protocol naming an archived network or party (partners are then its
// parties), with FAILED_PRECONDITION (ARCHIVED) naming the request's
// protocol (its "name"), one violation for each archived network or
// partner: a signature and an amendment are something new, which neither
// takes (ADR 30, ADR 36). The protocol's references are checked as every
// write checks its own (resource.RefRead); they cannot be missing, as
// neither a network nor a partner a protocol names can be deleted.
func unarchived(tx store.ReadTx, p *famiv1.Protocol, partners ...string) error {
	var v errs.Violations
	for _, n := range append([]string{p.GetNetwork()}, p.GetAdditionalNetworks()...) {
		resource.RefRead(tx, &v, "name", n, resource.Networks, &famiv1.Network{})
	}
	for _, partner := range partners {
		resource.RefRead(tx, &v, "name", partner, resource.Partners, &famiv1.Partner{})
	}
	return v.Err()
}

// An Act is something new a protocol takes, which none of its networks
// nor the partners it names may be archived for (ADR 30): unarchived's
// refusal, and TakesNew's answer.
type Act int

const (
	// Sign is a signature, for the signer's partner (SignProtocol).
	Sign Act = iota
	// Open is an opening for signature, whose text names its parties
	// (OpenProtocolForSignature, through validate).
	Open
	// Amend is an amendment, a new draft of the same parties
	// (AmendProtocol).
	Amend
)

// takingPartners names the partners act on p by who must find active
// besides p's networks: the signer's for a signature, every party's for
// an opening or an amendment, which copy them into a text.
func takingPartners(who principal.Principal, p *famiv1.Protocol, act Act) []string {
	if act == Sign {
		return []string{who.Partner}
	}
	return partiesOf(p)
}

// TakesNew reports whether act by who on p, as stored, passes the
// archived rule the service holds it to (unarchived; opening, through
// validate's references): none of networks, p's networks as they are
// now, is archived, nor any of partners, as they are now, that act names
// (takingPartners). An amendment leaves out its archived parties and
// additional networks (LeftOut, ADR 36), so only p's own network counts,
// and a network member's own partner: leaving it out would leave them a
// draft they may not edit (partyOnly). The web asks it, beside MayChange
// and the rights table, so as not to offer a button that is then refused
// ARCHIVED; it offered signing, opening and amending a protocol whose
// network or partner was archived.
func TakesNew(who principal.Principal, p *famiv1.Protocol, act Act, networks []*famiv1.Network, partners []*famiv1.Partner) bool {
	if act == Amend {
		parties, _ := LeftOut(p, networks, partners)
		own := who.Role == principal.NetworkMember && slices.Contains(parties, who.Partner)
		return !own && !slices.ContainsFunc(networks, func(n *famiv1.Network) bool { return n.GetName() == p.GetNetwork() && resource.Archived(n) })
	}
	if slices.ContainsFunc(networks, func(n *famiv1.Network) bool { return resource.Archived(n) }) {
		return false
	}
	names := takingPartners(who, p, act)
	return !slices.ContainsFunc(partners, func(pt *famiv1.Partner) bool {
		return resource.Archived(pt) && slices.Contains(names, pt.GetName())
	})
}

// LeftOut names the parties and additional networks of p that an
// amendment must leave out (remove_parties, remove_additional_networks),
// given networks and partners as they are now: the archived ones, which
// it would otherwise be refused for (ADR 36). The web's amendment sends
// them.
func LeftOut(p *famiv1.Protocol, networks []*famiv1.Network, partners []*famiv1.Partner) (parties, additional []string) {
	for _, pt := range partners {
		if resource.Archived(pt) && isParty(p, pt.GetName()) && !slices.Contains(parties, pt.GetName()) {
			parties = append(parties, pt.GetName())
		}
	}
	for _, n := range networks {
		if resource.Archived(n) && slices.Contains(p.GetAdditionalNetworks(), n.GetName()) && !slices.Contains(additional, n.GetName()) {
			additional = append(additional, n.GetName())
		}
	}
	return parties, additional
}

// partiesOf lists the partners of p's parties.
func partiesOf(p *famiv1.Protocol) []string {
	out := make([]string, 0, len(p.GetParties()))
	for _, party := range p.GetParties() {
		out = append(out, party.GetPartner())
	}
	return out
}

// sameNetworks reports whether a and b name the same networks.
func sameNetworks(a, b *famiv1.Protocol) bool {
	return a.GetNetwork() == b.GetNetwork() && slices.Equal(a.GetAdditionalNetworks(), b.GetAdditionalNetworks())
}

// checkHash checks the format of a content hash: 64 lowercase hex digits.
func checkHash(field, h string) error {
	if h == "" {
		return errs.InvalidField(field, "is required: the content_hash of the protocol as you read it")
	}
	if len(h) != 64 || !isLowerHex(h) {
		return errs.InvalidField(field, "%q is not a content hash: want 64 lowercase hexadecimal digits (SHA-256)", errs.Clip(h, errs.MaxEcho))
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}
