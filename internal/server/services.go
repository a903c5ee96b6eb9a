package server

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/registry"
)

// service is one API service as every surface mounts it: on the gRPC
// server, as a connect-go handler (Connect, gRPC, gRPC-Web) and on the REST
// gateway. One implementation serves the first two, since connect-go's
// "simple" signatures are grpc-go's.
type service struct {
	grpc    func(*grpc.Server)
	connect func(...connect.HandlerOption) (string, http.Handler)
	gateway func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
}

// apiServices lists every service the server exposes; a new service is one
// entry here (plus its rules in auth.Rights and its HTTP mapping).
func apiServices(reg *registry.Registry, acc *accounts.Service) []service {
	regions, partners, projects, networks := reg.Regions(), reg.Partners(), reg.Projects(), reg.Networks()
	return []service{
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterRegionServiceServer(s, regions) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewRegionServiceHandler(regions, o...)
			},
			gateway: famiv1.RegisterRegionServiceHandler,
		},
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterPartnerServiceServer(s, partners) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewPartnerServiceHandler(partners, o...)
			},
			gateway: famiv1.RegisterPartnerServiceHandler,
		},
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterProjectServiceServer(s, projects) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewProjectServiceHandler(projects, o...)
			},
			gateway: famiv1.RegisterProjectServiceHandler,
		},
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterNetworkServiceServer(s, networks) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewNetworkServiceHandler(networks, o...)
			},
			gateway: famiv1.RegisterNetworkServiceHandler,
		},
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterAuthServiceServer(s, acc) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewAuthServiceHandler(acc, o...)
			},
			gateway: famiv1.RegisterAuthServiceHandler,
		},
	}
}
