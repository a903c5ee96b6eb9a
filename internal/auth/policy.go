package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

// Rule decides whether principal p may make request req. It returns nil,
// or an Unauthenticated or PermissionDenied error.
type Rule func(p principal.Principal, req proto.Message) error

// Policy maps every RPC (its full procedure name) to its rule. A procedure
// without a rule is refused: deny by default.
type Policy map[string]Rule

// Authorize applies the rule of procedure.
func (pol Policy) Authorize(procedure string, p principal.Principal, req proto.Message) error {
	rule, ok := pol[procedure]
	if !ok {
		return errs.NoPolicy.New("%s is not open to any caller", procedure)
	}
	return rule(p, req)
}

// AnonymousRefusals maps each procedure whose rule refuses an anonymous
// caller whatever the request to the refusal (UNAUTHENTICATED) that caller
// gets, so that the transports can refuse such a call before they decode
// its request. A rule decides an anonymous caller without reading the
// request, as Public, SignedIn and InRegion do: it is given none here.
func (pol Policy) AnonymousRefusals() map[string]error {
	refusals := map[string]error{}
	for procedure, rule := range pol {
		if err := rule(principal.Anonymous, nil); errs.CodeOf(err) == errs.Unauthenticated {
			refusals[procedure] = err
		}
	}
	return refusals
}

// Public lets anyone call, with or without a token.
func Public(principal.Principal, proto.Message) error { return nil }

// SignedIn lets any authenticated principal call, whatever its role and
// region: for requests about the caller's own credential (Logout).
func SignedIn(p principal.Principal, _ proto.Message) error {
	if !p.Authenticated() {
		return errNeedToken()
	}
	return nil
}

// InRegion lets the given roles call on resources of their own region; the
// ministry, when listed, on every region. field is the request field (a
// dotted path) holding the resource name or parent.
func InRegion(field string, roles ...principal.Role) Rule {
	return func(p principal.Principal, req proto.Message) error {
		if !p.Authenticated() {
			return errNeedToken()
		}
		allowed := false
		for _, r := range roles {
			allowed = allowed || r == p.Role
		}
		if !allowed {
			return errs.RoleNotAllowed.New("the %s role may not make this request", p.Role)
		}
		region, err := RegionOf(req, field)
		if err != nil {
			return err
		}
		if p.Role == principal.Ministry || region == p.Region {
			return nil
		}
		if region == "-" {
			return errs.NationalViewNotAllowed.New("only the ministry reads across regions (regions/-)")
		}
		// The same answer whether or not the resource exists there.
		return errs.OutsideRegion.New("you may not access data of region %q", region)
	}
}

func errNeedToken() error {
	return errs.TokenRequired.New("this request needs a bearer token (Authorization: Bearer ...)")
}

// RegionOf reads the region id out of the resource name or parent at field.
func RegionOf(req proto.Message, field string) (string, error) {
	m := req.ProtoReflect()
	// Cut, not Split: this runs on every call, and Split allocates.
	for path := field; ; {
		name, rest, nested := strings.Cut(path, ".")
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return "", errs.Internal.New("policy: %s has no field %s", m.Descriptor().FullName(), field)
		}
		if nested {
			m, path = m.Get(fd).Message(), rest
			continue
		}
		v := m.Get(fd).String()
		rest, ok := strings.CutPrefix(v, "regions/")
		region, _, _ := strings.Cut(rest, "/")
		if !ok || region == "" {
			return "", errs.InvalidField(field, "%q is not a name under regions/{region}", errs.Clip(v, errs.MaxEcho))
		}
		return region, nil
	}
}

// Readers are the roles that read a region's data (DESIGN.md section 6,
// "read"): the ministry every region, the others their own. It is the one
// role set several capabilities share; each call returns a fresh slice, so
// no capability can widen another's rule.
func Readers() []principal.Role {
	return []principal.Role{principal.Ministry, principal.RegionAdmin, principal.Consultant, principal.NetworkMember, principal.RegionalSystem}
}

// Merge joins the rows each capability declares for its own RPCs into the
// platform's policy. A procedure declared twice, or with a nil rule, is a
// programming error: Merge refuses it rather than let one rule silently
// win over another.
func Merge(parts ...Policy) (Policy, error) {
	merged := Policy{}
	var twice, empty []string
	for _, part := range parts {
		for procedure, rule := range part {
			if _, dup := merged[procedure]; dup {
				twice = append(twice, procedure)
			}
			if rule == nil {
				empty = append(empty, procedure)
			}
			merged[procedure] = rule
		}
	}
	var err error
	if len(twice) > 0 {
		slices.Sort(twice)
		err = errors.Join(err, fmt.Errorf("rights declared more than once for %s", strings.Join(slices.Compact(twice), ", ")))
	}
	if len(empty) > 0 {
		slices.Sort(empty)
		err = errors.Join(err, fmt.Errorf("nil rule for %s", strings.Join(empty, ", ")))
	}
	if err != nil {
		return nil, err
	}
	return merged, nil
}
