package registry

import (
	"context"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Contacts implements fami.v1.ContactService: the register of partners'
// staff that support entries name, so operators are counted once.
type Contacts struct {
	famiv1.UnimplementedContactServiceServer
	r *Registry
}

// Contacts returns the ContactService.
func (r *Registry) Contacts() *Contacts { return &Contacts{r: r} }

// contactMutable lists the fields UpdateContact may change.
var contactMutable = []string{"display_name", "role", "partner", "email", "phone"}

// validate checks a contact's fields and that its partner exists,
// recording their violations in v.
func (s *Contacts) validate(tx store.ReadTx, v *errs.Violations, c *famiv1.Contact, region string) {
	check.Name(v, "contact.display_name", c.GetDisplayName(), true, 200)
	check.Enum(v, "contact.role", c.GetRole(), true)
	resource.Refs{Tx: tx, V: v, Region: region}.Required("contact.partner", c.GetPartner(), resource.Partners, &famiv1.Partner{})
	check.Email(v, "contact.email", c.GetEmail())
	check.Text(v, "contact.phone", c.GetPhone(), false, 40, false)
}

// CreateContact implements fami.v1.ContactService. The id of a deleted
// contact is never used again: support figures still count under it.
func (s *Contacts) CreateContact(ctx context.Context, req *famiv1.CreateContactRequest) (*famiv1.Contact, error) {
	return resource.Create(ctx, s.r.store, req, "contact", req.GetContact(), req.GetContactId(), func(tx store.WriteTx, id string) (*famiv1.Contact, error) {
		region := tx.Region()
		c := &famiv1.Contact{}
		aip.ApplyMask(c, req.GetContact(), nil, contactMutable)
		c.Name = aip.Name(region, resource.Contacts, id)
		err := resource.Validate("contact", nil, c, func(v *errs.Violations, c *famiv1.Contact) { s.validate(tx, v, c, region) })
		if err != nil {
			return nil, err
		}
		if err := unused(tx, indexRetiredContacts, c, "contact_id"); err != nil {
			return nil, err
		}
		if err := setRefs(tx, c.Name, nil, []string{c.GetPartner()}); err != nil {
			return nil, err
		}
		return c, tx.Put(c)
	})
}

// GetContact implements fami.v1.ContactService. A contact a network
// member may not read is answered as a missing one.
func (s *Contacts) GetContact(ctx context.Context, req *famiv1.GetContactRequest) (*famiv1.Contact, error) {
	who := principal.From(ctx)
	return resource.GetShown(ctx, s.r.store, resource.Contacts, req.GetName(), func(tx store.ReadTx, c *famiv1.Contact) error {
		seen, err := readableStaff(tx, who)
		if err != nil || seen == nil || seen[c.GetPartner()] {
			return err
		}
		return errs.NotFoundf("%s not found", c.GetName())
	})
}

// ListContacts implements fami.v1.ContactService. A network member lists
// the contacts it may read only (readableStaff).
func (s *Contacts) ListContacts(ctx context.Context, req *famiv1.ListContactsRequest) (*famiv1.ListContactsResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	who := principal.From(ctx)
	return resource.ListWithin[*famiv1.ListContactsResponse](ctx, s.r.store, region, req, func(tx store.ReadTx) (string, func(*famiv1.Contact) (bool, error), error) {
		seen, err := readableStaff(tx, who)
		return resource.Contacts, func(c *famiv1.Contact) (bool, error) {
			return (req.GetPartner() == "" || c.GetPartner() == req.GetPartner()) && (seen == nil || seen[c.GetPartner()]), nil
		}, err
	})
}

// readableStaff is the set of partners whose contacts who may read, nil
// for all of the region. DESIGN.md section 6 gives network members the
// contacts of "its networks' partners": those of every network their
// partner is a member of (or leads), their own partner's included; the
// policy table, which admits them to the region's contacts, cannot tell.
// Their networks are those the refs index names (referencing, as
// MemberNetworks), and only they are read: a contact read cost a read of
// every network of the region (BenchmarkContactReadByANetworkMember).
func readableStaff(tx store.ReadTx, who principal.Principal) (map[string]bool, error) {
	if who.Role != principal.NetworkMember {
		return nil, nil
	}
	seen := map[string]bool{}
	if who.Partner == "" {
		return seen, nil
	}
	seen[who.Partner] = true
	for _, name := range referencing(tx, who.Partner) {
		n := &famiv1.Network{}
		found, err := store.Find(tx, name, n)
		if err != nil {
			return nil, err
		}
		// The index is written with the network, in its transaction; an
		// entry that outlived it (a network gone, or no longer naming the
		// partner) grants nothing, nor fails the read: the network
		// itself says who is in it.
		if !found || !inNetwork(n, who.Partner) {
			continue
		}
		seen[n.GetLeadPartner()] = true
		for _, m := range n.GetMembers() {
			seen[m.GetPartner()] = true
		}
	}
	return seen, nil
}

// inNetwork reports whether partner leads n or is one of its members.
func inNetwork(n *famiv1.Network, partner string) bool {
	return n.GetLeadPartner() == partner || slices.ContainsFunc(n.GetMembers(), func(m *famiv1.Member) bool { return m.GetPartner() == partner })
}

// UpdateContact implements fami.v1.ContactService.
func (s *Contacts) UpdateContact(ctx context.Context, req *famiv1.UpdateContactRequest) (*famiv1.Contact, error) {
	in := req.GetContact()
	return resource.Update(ctx, s.r.store, req, "contact", in, resource.Contacts, func(tx store.WriteTx, cur *famiv1.Contact) (*famiv1.Contact, error) {
		next := proto.CloneOf(cur)
		if _, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), contactMutable); err != nil {
			return nil, err
		}
		err := resource.Validate("contact", cur, next, func(v *errs.Violations, c *famiv1.Contact) { s.validate(tx, v, c, tx.Region()) })
		if err != nil {
			return nil, err
		}
		if err := setRefs(tx, next.Name, []string{cur.GetPartner()}, []string{next.GetPartner()}); err != nil {
			return nil, err
		}
		return next, tx.Put(next)
	})
}

// DeleteContact implements fami.v1.ContactService: the contact's data go,
// its id is retired, and the support entries that named it keep counting
// it under that id.
func (s *Contacts) DeleteContact(ctx context.Context, req *famiv1.DeleteContactRequest) (*emptypb.Empty, error) {
	return resource.Change(ctx, s.r.store, resource.Contacts, req, func(tx store.WriteTx, cur *famiv1.Contact) (*emptypb.Empty, error) {
		if err := setRefs(tx, cur.Name, []string{cur.GetPartner()}, nil); err != nil {
			return nil, err
		}
		if err := tx.IndexPut(indexRetiredContacts, resource.ID(cur.GetName()), ""); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, tx.Delete(cur.GetName())
	})
}
