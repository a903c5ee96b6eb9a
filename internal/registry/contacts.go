package registry

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
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

// GetContact implements fami.v1.ContactService.
func (s *Contacts) GetContact(ctx context.Context, req *famiv1.GetContactRequest) (*famiv1.Contact, error) {
	return resource.Get[*famiv1.Contact](ctx, s.r.store, resource.Contacts, req.GetName())
}

// ListContacts implements fami.v1.ContactService.
func (s *Contacts) ListContacts(ctx context.Context, req *famiv1.ListContactsRequest) (*famiv1.ListContactsResponse, error) {
	return resource.ListAnswer[*famiv1.ListContactsResponse](ctx, s.r.store, resource.Contacts, req, nil,
		func(c *famiv1.Contact) bool { return req.GetPartner() == "" || c.GetPartner() == req.GetPartner() })
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
