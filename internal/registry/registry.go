// Package registry implements the registry services: regions and
// municipalities (reference data), partners, projects and networks. The
// same types serve grpc-go and connect-go (their unary signatures are
// identical); the rules live here, below every transport.
package registry

import (
	"strings"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
)

// The registry's networks and partners are the resources a region
// archives (ADR 30): an archived network is in state ARCHIVED, an archived
// partner has archived set. Every reference check applies the rule
// (resource.RefRead).
func init() {
	resource.Archivable(func(n *famiv1.Network) bool {
		return n.GetState() == famiv1.NetworkState_NETWORK_STATE_ARCHIVED
	})
	resource.Archivable(func(p *famiv1.Partner) bool { return p.GetArchived() })
}

// Secondary indexes kept in each region's store.
const (
	// indexRefs holds "{target}\x00{source}" for every reference from one
	// resource to another, so a delete can tell who still points at it.
	indexRefs = "refs"
	// indexFiscalCode maps a partner's fiscal code to its name.
	indexFiscalCode = "partner_fiscal_code"
	// indexProjectCode maps a project's code, folded (codeKey), to its
	// name.
	indexProjectCode = "project_code_folded"
	// indexProjectCodeAsTyped is the index of the codes as typed, before
	// they were folded; foldCodes moves its entries to indexProjectCode.
	indexProjectCodeAsTyped = "project_code"
	// indexPlans maps a project's id to the digest of its plan (see
	// ProjectPlans).
	indexPlans = "project_plans"
	// indexBudgets holds the sum of the budgets of the plan digests (see
	// keepBudget).
	indexBudgets = "project_budgets"
	// indexRetiredContacts holds the ids of deleted contacts, never given
	// out again (unused).
	indexRetiredContacts = "contacts_retired"
	// indexRetiredPartners holds the ids of deleted partners, never given
	// out again (unused).
	indexRetiredPartners = "partners_retired"
)

// Registry holds what the registry services share.
type Registry struct {
	store store.Store
	munis *territory.Municipalities
}

// New returns the registry over a store and an optional municipality list
// (nil: ISTAT codes are checked for format only).
func New(s store.Store, munis *territory.Municipalities) *Registry {
	return &Registry{store: s, munis: munis}
}

// municipality checks an ISTAT code's format and, when a list is loaded,
// that it is a municipality of region.
func (r *Registry) municipality(v *errs.Violations, field, code, region string) {
	if !check.ISTATCode(v, field, code) || r.munis.Len() == 0 {
		return
	}
	if _, ok := r.munis.Lookup(code); !ok {
		v.Add(field, "%q is not in the ISTAT list of municipalities", code)
		return
	}
	if !r.munis.InRegion(code, region) {
		v.Add(field, "municipality %q is not in region %q", code, region)
	}
}

// municipalities checks a list of ISTAT codes: valid, known, no repeats.
func (r *Registry) municipalities(v *errs.Violations, field string, codes []string, region string) {
	const max = 2000
	if !check.AtMost(v, field, len(codes), max, "municipalities") {
		return
	}
	seen := make(check.Set[string], len(codes))
	for i, c := range codes {
		f := errs.Indexed(field, i)
		if seen.Again(c) {
			v.Add(f, "%q is listed twice", c)
			continue
		}
		r.municipality(v, f, c, region)
	}
}

// setRefs replaces the references a source resource makes.
func setRefs(tx store.WriteTx, source string, old, next []string) error {
	for _, t := range old {
		if err := tx.IndexDelete(indexRefs, t+"\x00"+source); err != nil {
			return err
		}
	}
	for _, t := range next {
		if err := tx.IndexPut(indexRefs, t+"\x00"+source, ""); err != nil {
			return err
		}
	}
	return nil
}

// childless fails with FAILED_PRECONDITION (reason) while the resource
// called name has a child in collection: its nested resources are part of
// its record (a project's monitoring reports, a network's capacity
// assessments). Deleted under them, they stayed served under a name
// nothing had, counted in the summaries, and came back under a new
// resource of the same name.
func childless(tx store.ReadTx, name, collection string, reason errs.Reason) error {
	key, err := store.ResourceKey(tx.Region(), name)
	if err != nil {
		return err
	}
	var child string
	err = tx.List(key+"/"+collection, "", func(id string, _ []byte) (bool, error) {
		child = name + "/" + collection + "/" + id
		return false, nil
	})
	if err != nil || child == "" {
		return err
	}
	return reason.With(errs.Error{
		Message:  name + " still has " + child + " (and maybe more): its " + collection + " are part of its record, so it cannot be deleted",
		Metadata: map[string]string{"resource": name, "referenced_by": child},
	})
}

// unused refuses the name of the new resource r when another resource
// has it, or had it: a deleted resource's id, retired in index, is never
// given out again, since what still names it would take the newcomer for
// it (support figures a deleted contact, the staff accounts of a deleted
// partner, which the system store keeps, out of the region's references).
// Either refusal names idField, the request field of the id.
func unused(tx store.ReadTx, index string, r store.Resource, idField string) error {
	if _, retired := tx.IndexGet(index, resource.ID(r.GetName())); retired {
		return resource.Taken(errs.AlreadyExists.Reason(), idField, r.GetName()+" was deleted, and its id is not given out again: choose another id")
	}
	return resource.Absent(tx, r, idField)
}

// inUse fails with FAILED_PRECONDITION when other resources reference
// target, naming the first few (a protocol's party is referenced by its
// network and by the protocol: the caller learns of both).
func inUse(tx store.ReadTx, target string, reason errs.Reason) error {
	const named = 5
	var by []string
	more := false
	tx.IndexScan(indexRefs, target+"\x00", func(key, _ string) bool {
		if len(by) == named {
			more = true
			return false
		}
		by = append(by, key[len(target)+1:])
		return true
	})
	if len(by) == 0 {
		return nil
	}
	list := strings.Join(by, ", ")
	if more {
		list += " and others"
	}
	return reason.With(errs.Error{
		Message:  target + " is still referenced by " + list + "; remove those references first",
		Metadata: map[string]string{"resource": target, "referenced_by": by[0]},
	})
}
