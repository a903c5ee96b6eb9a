package registry

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/namekey"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// Partners implements fami.v1.PartnerService.
type Partners struct {
	famiv1.UnimplementedPartnerServiceServer
	r *Registry
}

// Partners returns the PartnerService.
func (r *Registry) Partners() *Partners { return &Partners{r: r} }

// maxDisplayName is the longest display name of a partner, in characters:
// the bound of the name ListPartners' display_name filter compares too.
const maxDisplayName = 200

// partnerMutable lists the fields UpdatePartner may change.
var partnerMutable = []string{"display_name", "kind", "fiscal_code", "istat_code", "municipalities", "certified_email", "description", "archived"}

// validate checks a partner's own fields, recording their violations in
// v.
func (s *Partners) validate(v *errs.Violations, p *famiv1.Partner, region string) {
	check.Name(v, "partner.display_name", p.GetDisplayName(), true, maxDisplayName)
	check.Enum(v, "partner.kind", p.GetKind(), true)
	check.FiscalCode(v, "partner.fiscal_code", p.GetFiscalCode())
	switch {
	case p.GetKind() == famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY && p.GetIstatCode() == "":
		v.Add("partner.istat_code", "is required for a MUNICIPALITY partner")
	case p.GetKind() != famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY && p.GetIstatCode() != "":
		v.Add("partner.istat_code", "is only for MUNICIPALITY partners (use municipalities for the area a body covers)")
	case p.GetIstatCode() != "":
		s.r.municipality(v, "partner.istat_code", p.GetIstatCode(), region)
	}
	s.r.municipalities(v, "partner.municipalities", p.GetMunicipalities(), region)
	check.Email(v, "partner.certified_email", p.GetCertifiedEmail())
	check.Text(v, "partner.description", p.GetDescription(), false, 4000, true)
}

// claimFiscalCode keeps the fiscal-code index in step with a partner and
// enforces uniqueness within the region when the partner's code is new or
// changes (old is the code it has). A code kept as it is that another
// partner holds too (both stored before the rule, or imported) is left
// to that partner and not refused, as resource.Validate does not refuse a
// value an update keeps.
func claimFiscalCode(tx store.WriteTx, p *famiv1.Partner, old string) error {
	code := p.GetFiscalCode()
	if code != "" {
		if owner, ok := tx.IndexGet(indexFiscalCode, code); ok && owner != p.GetName() {
			if code == old {
				return nil // the namesake keeps the index
			}
			return errs.FiscalCodeTaken.With(errs.Error{
				Message:    "fiscal code " + code + " is already registered for " + owner,
				Violations: []errs.Violation{{Field: "partner.fiscal_code", Description: "is already registered for " + owner}},
				Metadata:   map[string]string{"partner": owner},
			})
		}
	}
	if old != code {
		if err := releaseFiscalCode(tx, p.GetName(), old); err != nil {
			return err
		}
	}
	if code != "" {
		return tx.IndexPut(indexFiscalCode, code, p.GetName())
	}
	return nil
}

// releaseFiscalCode frees code (when set) in the fiscal-code index, when
// the partner called name holds it there: a namesake's stays.
func releaseFiscalCode(tx store.WriteTx, name, code string) error {
	if code == "" {
		return nil
	}
	if owner, _ := tx.IndexGet(indexFiscalCode, code); owner != name {
		return nil
	}
	return tx.IndexDelete(indexFiscalCode, code)
}

// CreatePartner implements fami.v1.PartnerService.
func (s *Partners) CreatePartner(ctx context.Context, req *famiv1.CreatePartnerRequest) (*famiv1.Partner, error) {
	// The partner's copy and its own checks (the municipalities are
	// reference data, not the store's) run before its transaction.
	prepare := func(region, id string) (*famiv1.Partner, error) {
		p := &famiv1.Partner{}
		aip.ApplyMask(p, req.GetPartner(), nil, partnerMutable)
		p.Name = aip.Name(region, resource.Partners, id)
		return p, resource.Validate("partner", nil, p, func(v *errs.Violations, p *famiv1.Partner) { s.validate(v, p, region) })
	}
	return resource.CreatePrepared(ctx, s.r.store, req, "partner", req.GetPartner(), req.GetPartnerId(), prepare, func(tx store.WriteTx, p *famiv1.Partner) (*famiv1.Partner, error) {
		if err := unused(tx, indexRetiredPartners, p, "partner_id"); err != nil {
			return nil, err
		}
		if err := claimFiscalCode(tx, p, ""); err != nil {
			return nil, err
		}
		return p, tx.Put(p)
	})
}

// GetPartner implements fami.v1.PartnerService.
func (s *Partners) GetPartner(ctx context.Context, req *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	return resource.GetAnswer[*famiv1.Partner](ctx, s.r.store, resource.Partners, req)
}

// BatchGetPartners implements fami.v1.PartnerService.
func (s *Partners) BatchGetPartners(ctx context.Context, req *famiv1.BatchGetPartnersRequest) (*famiv1.BatchGetPartnersResponse, error) {
	return resource.BatchGetAnswer[*famiv1.BatchGetPartnersResponse, *famiv1.Partner](ctx, s.r.store, resource.Partners, req)
}

// ListPartners implements fami.v1.PartnerService.
func (s *Partners) ListPartners(ctx context.Context, req *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
	if res, ok, err := aip.ForAllRegions(ctx, req, s.ListPartners); ok {
		return res, err
	}
	// A display_name of white space alone is no filter; one of combining
	// marks alone, whose key is empty, is refused (check.Name), never taken
	// for no filter.
	matches, named, byName := namekey.Matcher(req.GetQuery()), namekey.Of(req.GetDisplayName()), strings.TrimSpace(req.GetDisplayName()) != ""
	return resource.ListAnswer[*famiv1.ListPartnersResponse](ctx, s.r.store, resource.Partners, req,
		func(v *errs.Violations) {
			check.Enum(v, "kind", req.GetKind(), false)
			aip.CheckQuery(v, req.GetQuery())
			check.Name(v, "display_name", req.GetDisplayName(), false, maxDisplayName)
		},
		func(p *famiv1.Partner) bool {
			return (req.GetShowArchived() || !p.GetArchived()) &&
				(req.GetKind() == 0 || p.GetKind() == req.GetKind()) && matches(p.GetDisplayName()) &&
				(!byName || namekey.Of(p.GetDisplayName()) == named)
		})
}

// UpdatePartner implements fami.v1.PartnerService.
func (s *Partners) UpdatePartner(ctx context.Context, req *famiv1.UpdatePartnerRequest) (*famiv1.Partner, error) {
	in := req.GetPartner()
	return resource.Update(ctx, s.r.store, req, "partner", in, resource.Partners, func(tx store.WriteTx, cur *famiv1.Partner) (*famiv1.Partner, error) {
		next := proto.CloneOf(cur)
		if _, err := resource.ApplyMask(tx, next, in, req.GetUpdateMask(), partnerMutable); err != nil {
			return nil, err
		}
		err := resource.Validate("partner", cur, next, func(v *errs.Violations, p *famiv1.Partner) { s.validate(v, p, tx.Region()) })
		if err != nil {
			return nil, err
		}
		if err := claimFiscalCode(tx, next, cur.GetFiscalCode()); err != nil {
			return nil, err
		}
		return next, tx.Put(next)
	})
}

// DeletePartner implements fami.v1.PartnerService.
func (s *Partners) DeletePartner(ctx context.Context, req *famiv1.DeletePartnerRequest) (*emptypb.Empty, error) {
	return resource.Change(ctx, s.r.store, resource.Partners, req, func(tx store.WriteTx, cur *famiv1.Partner) (*emptypb.Empty, error) {
		if err := inUse(tx, cur.GetName(), errs.PartnerInUse); err != nil {
			return nil, err
		}
		if err := releaseFiscalCode(tx, cur.GetName(), cur.GetFiscalCode()); err != nil {
			return nil, err
		}
		if err := tx.IndexPut(indexRetiredPartners, resource.ID(cur.GetName()), ""); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, tx.Delete(cur.GetName())
	})
}
