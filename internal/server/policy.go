package server

import (
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/admin"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/dashboard"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/feed"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/monitoring"
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
