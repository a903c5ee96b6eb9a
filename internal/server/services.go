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
	"github.com/raccordo/raccordo/internal/admin"
	"github.com/raccordo/raccordo/internal/dashboard"
	"github.com/raccordo/raccordo/internal/feed"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/support"
)

// service is one API service as every surface mounts it: on the gRPC
// server, as a connect-go handler (Connect, gRPC, gRPC-Web) and on the REST
// gateway. One implementation serves the first two, since connect-go's
// "simple" signatures are grpc-go's.
type service struct {
	grpc    func(*grpc.Server)
	connect func(...connect.HandlerOption) (string, http.Handler)
	gateway func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
	// routes, when set, mounts the service's plain HTTP routes: what the
	// gateway's JSON mapping cannot express (a CSV download), admitted by
	// the same pipeline.
	routes func(*http.ServeMux, *pipeline)
}

// apiServices lists every service the server exposes; a new service is one
// entry here (plus its rules in auth.Rights and its HTTP mapping).
func apiServices(reg *registry.Registry, acc *accounts.Service, prot *protocols.Service, sup *support.Service, mtg *meetings.Service) []service {
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
			grpc: func(s *grpc.Server) { famiv1.RegisterProtocolServiceServer(s, prot) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewProtocolServiceHandler(prot, o...)
			},
			gateway: famiv1.RegisterProtocolServiceHandler,
		},
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterSupportServiceServer(s, sup) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewSupportServiceHandler(sup, o...)
			},
			gateway: famiv1.RegisterSupportServiceHandler,
			routes: func(mux *http.ServeMux, pipe *pipeline) {
				mux.Handle("GET /v1/regions/{region}/supportEntries:export", exportSupportCSV(pipe, sup))
			},
		},
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterMeetingServiceServer(s, mtg) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewMeetingServiceHandler(mtg, o...)
			},
			gateway: famiv1.RegisterMeetingServiceHandler,
			routes: func(mux *http.ServeMux, pipe *pipeline) {
				feed := meetingCalendar(pipe, mtg)
				mux.Handle("GET /v1/regions/{region}/meetings.ics", feed)
				mux.Handle("GET /v1/regions/{region}/networks/{network}/meetings.ics", feed)
				mux.Handle("GET /v1/regions/{region}/facilitators/{subject}/meetings.ics", feed)
			},
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

// syncServices lists the change feed and the operators' service. Their
// server streams have different grpc-go and connect-go signatures, so each
// has a connect-go adapter over the same logic.
func syncServices(f *feed.Service, a *admin.Service) []service {
	return []service{
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterSyncServiceServer(s, f) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewSyncServiceHandler(syncConnect{f}, o...)
			},
			gateway: famiv1.RegisterSyncServiceHandler,
		},
		{
			grpc: func(s *grpc.Server) { famiv1.RegisterAdminServiceServer(s, a) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewAdminServiceHandler(adminConnect{a}, o...)
			},
			gateway: famiv1.RegisterAdminServiceHandler,
		},
	}
}

// dashboardService mounts the governance dashboard, which reads through the
// other services.
func dashboardService(d *dashboard.Service) service {
	return service{
		grpc: func(s *grpc.Server) { famiv1.RegisterDashboardServiceServer(s, d) },
		connect: func(o ...connect.HandlerOption) (string, http.Handler) {
			return famiv1connect.NewDashboardServiceHandler(d, o...)
		},
		gateway: famiv1.RegisterDashboardServiceHandler,
	}
}

// overlapService mounts the overlaps of projects, which the registry keeps
// by its territory index.
func overlapService(o *registry.Overlaps) service {
	return service{
		grpc: func(s *grpc.Server) { famiv1.RegisterOverlapServiceServer(s, o) },
		connect: func(opts ...connect.HandlerOption) (string, http.Handler) {
			return famiv1connect.NewOverlapServiceHandler(o, opts...)
		},
		gateway: famiv1.RegisterOverlapServiceHandler,
	}
}
