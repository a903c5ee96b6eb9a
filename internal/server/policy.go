package server

import (
	"context"
	"slices"
	"strconv"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/admin"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/dashboard"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/feed"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/support"
)

// policy is the platform's rights table, the one the pipeline enforces and
// the web application asks what to show: the rows each capability declares
// for its own RPCs (its rights.go, beside the data checks that complete
// them), plus the infrastructure RPCs the server adds. A procedure declared
// twice is a programming error, and Open refuses to start on it.
//
// A new service's package adds its Rights here; TestEveryRPCHasARule
// fails while one of its RPCs has no rule.
func policy() (auth.Policy, error) {
	return auth.Merge(
		registry.Rights(),
		accounts.Rights(),
		protocols.Rights(),
		support.Rights(),
		meetings.Rights(),
		monitoring.Rights(),
		evaluation.Rights(),
		dashboard.Rights(),
		feed.Rights(),
		admin.Rights(),
		infrastructureRights(),
	)
}

// Rights is the rights table famid enforces (policy), for a web
// application built outside famid over its gRPC port (web.Options.Policy),
// as tests that count the application's calls build one.
func Rights() (auth.Policy, error) { return policy() }

// infrastructureRights open the server's own RPCs without a token: health
// checks to probes, and reflection (the API's schema, public in the OpenAPI
// document too) to tools such as grpcurl.
func infrastructureRights() auth.Policy {
	return auth.Policy{
		healthpb.Health_Check_FullMethodName:                                   auth.Public,
		healthpb.Health_List_FullMethodName:                                    auth.Public,
		healthpb.Health_Watch_FullMethodName:                                   auth.Public,
		reflectionv1.ServerReflection_ServerReflectionInfo_FullMethodName:      auth.Public,
		reflectionv1alpha.ServerReflection_ServerReflectionInfo_FullMethodName: auth.Public,
	}
}

// ownedTypes are the resource types whose reads give most callers only
// their own records, as each capability declares them (auth.Owned). A
// capability whose List filters by owner adds its Owned here.
func ownedTypes() auth.Owned { return meetings.Owned() }

// feedTypes is the change feed's Options.Types: a caller reads, of a
// region's changes, only the types the rights table lets them Get and List
// there (auth.Readable), so the feed opens no right the table denies.
// Asking for a name that is no resource type of the API is
// INVALID_ARGUMENT naming each such entry (it matched nothing, silently);
// a type one may not read is refused, naming it; asking for none reads
// every type one may (nil when that is every type; otherwise a list that
// may also name types no region's log holds, such as accounts).
func feedTypes(rights auth.Policy, owned auth.Owned) func(context.Context, string, []string) ([]string, error) {
	readable := rights.Readable("fami.v1", owned)
	all := readable.Types()
	return func(ctx context.Context, region string, asked []string) ([]string, error) {
		p := principal.From(ctx)
		if len(asked) > 0 {
			var v errs.Violations
			for i, typ := range asked {
				if !readable.Resource(typ) {
					v.Add("resource_types["+strconv.Itoa(i)+"]", "%q is not a resource type of this API, such as fami.v1.Partner", errs.Clip(typ, 40))
				}
			}
			if err := v.Err(); err != nil {
				return nil, err
			}
			for i, typ := range asked {
				if len(readable.Hidden(p, region, []string{typ})) > 0 {
					return nil, errs.RoleNotAllowed.New("resource_types[%d]: the %s role may not read %s", i, p.Role, typ)
				}
			}
			return asked, nil
		}
		hidden := readable.Hidden(p, region, all)
		if len(hidden) == 0 {
			return nil, nil // everything, as asked
		}
		return slices.DeleteFunc(slices.Clone(all), func(typ string) bool {
			_, found := slices.BinarySearch(hidden, typ)
			return found
		}), nil
	}
}
