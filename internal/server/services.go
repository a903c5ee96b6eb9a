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
	grpc    func(grpc.ServiceRegistrar)
	connect func(...connect.HandlerOption) (string, http.Handler)
	gateway func(context.Context, *runtime.ServeMux, grpc.ClientConnInterface) error
	// routes, when set, mounts the service's plain HTTP routes: what the
	// gateway's JSON mapping cannot express (a CSV download), admitted by
	// the same pipeline.
	routes func(*listenerMux, *pipeline)
}

// apiServices lists every service the server exposes; a new service is one
// entry here (plus its package's Rights in policy() and its HTTP mapping).
func apiServices(reg *registry.Registry, acc *accounts.Service, prot *protocols.Service, sup *support.Service, mtg *meetings.Service) []service {
	regions, partners, projects, networks := reg.Regions(), reg.Partners(), reg.Projects(), reg.Networks()
	return []service{
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterRegionServiceServer(s, regions) },
			connect: connectOf(famiv1connect.NewRegionServiceHandler).serving(regions),
			gateway: gatewayOf(famiv1.RegisterRegionServiceHandlerClient, famiv1.NewRegionServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterPartnerServiceServer(s, partners) },
			connect: connectOf(famiv1connect.NewPartnerServiceHandler).serving(partners),
			gateway: gatewayOf(famiv1.RegisterPartnerServiceHandlerClient, famiv1.NewPartnerServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterProjectServiceServer(s, projects) },
			connect: connectOf(famiv1connect.NewProjectServiceHandler).serving(projects),
			gateway: gatewayOf(famiv1.RegisterProjectServiceHandlerClient, famiv1.NewProjectServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterNetworkServiceServer(s, networks) },
			connect: connectOf(famiv1connect.NewNetworkServiceHandler).serving(networks),
			gateway: gatewayOf(famiv1.RegisterNetworkServiceHandlerClient, famiv1.NewNetworkServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterProtocolServiceServer(s, prot) },
			connect: connectOf(famiv1connect.NewProtocolServiceHandler).serving(prot),
			gateway: gatewayOf(famiv1.RegisterProtocolServiceHandlerClient, famiv1.NewProtocolServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterSupportServiceServer(s, sup) },
			connect: connectOf(famiv1connect.NewSupportServiceHandler).serving(sup),
			gateway: gatewayOf(famiv1.RegisterSupportServiceHandlerClient, famiv1.NewSupportServiceClient),
			routes: func(mux *listenerMux, pipe *pipeline) {
				mux.Handle("GET /v1/regions/{region}/supportEntries:export", exportSupportCSV(pipe, sup))
			},
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterMeetingServiceServer(s, mtg) },
			connect: connectOf(famiv1connect.NewMeetingServiceHandler).serving(mtg),
			gateway: gatewayOf(famiv1.RegisterMeetingServiceHandlerClient, famiv1.NewMeetingServiceClient),
			routes: func(mux *listenerMux, pipe *pipeline) {
				feed := meetingCalendar(pipe, mtg)
				mux.Handle("GET /v1/regions/{region}/meetings.ics", feed)
				mux.Handle("GET /v1/regions/{region}/networks/{network}/meetings.ics", feed)
				mux.Handle("GET /v1/regions/{region}/facilitators/{facilitator}/meetings.ics", feed)
			},
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterAuthServiceServer(s, acc) },
			connect: connectOf(famiv1connect.NewAuthServiceHandler).serving(acc),
			gateway: gatewayOf(famiv1.RegisterAuthServiceHandlerClient, famiv1.NewAuthServiceClient),
		},
	}
}

// syncServices lists the change feed and the operators' service. Their
// server streams have different grpc-go and connect-go signatures, so each
// has a connect-go adapter over the same logic.
func syncServices(f *feed.Service, a *admin.Service) []service {
	return []service{
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterSyncServiceServer(s, f) },
			connect: connectOf(famiv1connect.NewSyncServiceHandler).serving(syncConnect{f}),
			gateway: gatewayOf(famiv1.RegisterSyncServiceHandlerClient, famiv1.NewSyncServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterAdminServiceServer(s, a) },
			connect: connectOf(famiv1connect.NewAdminServiceHandler).serving(adminConnect{a}),
			gateway: gatewayOf(famiv1.RegisterAdminServiceHandlerClient, famiv1.NewAdminServiceClient),
		},
	}
}

// dashboardService mounts the governance dashboard, which reads through the
// other services.
func dashboardService(d *dashboard.Service) service {
	return service{
		grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterDashboardServiceServer(s, d) },
		connect: connectOf(famiv1connect.NewDashboardServiceHandler).serving(d),
		gateway: gatewayOf(famiv1.RegisterDashboardServiceHandlerClient, famiv1.NewDashboardServiceClient),
	}
}

// overlapService mounts the overlaps of projects, which the registry keeps
// by its territory index.
func overlapService(o *registry.Overlaps) service {
	return service{
		grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterOverlapServiceServer(s, o) },
		connect: connectOf(famiv1connect.NewOverlapServiceHandler).serving(o),
		gateway: gatewayOf(famiv1.RegisterOverlapServiceHandlerClient, famiv1.NewOverlapServiceClient),
	}
}

// connectHandler is a generated connect-go constructor,
// famiv1connect.NewXServiceHandler, of a service whose handler interface
// is H.
type connectHandler[H any] func(H, ...connect.HandlerOption) (string, http.Handler)

// connectOf is newHandler as a connectHandler: connectOf(NewXServiceHandler)
// lets Go infer H from the constructor, which it cannot do from an
// implementation passed in the same call (its own type is not H).
func connectOf[H any](newHandler connectHandler[H]) connectHandler[H] { return newHandler }

// serving mounts impl as a connect-go handler once the server's handler
// options are known.
func (newHandler connectHandler[H]) serving(impl H) func(...connect.HandlerOption) (string, http.Handler) {
	return func(o ...connect.HandlerOption) (string, http.Handler) { return newHandler(impl, o...) }
}

// gatewayOf registers a service's REST routes on the gateway, calling the
// service through conn.
func gatewayOf[C any](register func(context.Context, *runtime.ServeMux, C) error, client func(grpc.ClientConnInterface) C) func(context.Context, *runtime.ServeMux, grpc.ClientConnInterface) error {
	return func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
		return register(ctx, mux, client(conn))
	}
}
