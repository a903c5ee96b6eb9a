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
		api(famiv1.RegisterRegionServiceServer, famiv1connect.NewRegionServiceHandler,
			famiv1.RegisterRegionServiceHandlerClient, famiv1.NewRegionServiceClient).serving(regions, regions),
		api(famiv1.RegisterPartnerServiceServer, famiv1connect.NewPartnerServiceHandler,
			famiv1.RegisterPartnerServiceHandlerClient, famiv1.NewPartnerServiceClient).serving(partners, partners),
		api(famiv1.RegisterProjectServiceServer, famiv1connect.NewProjectServiceHandler,
			famiv1.RegisterProjectServiceHandlerClient, famiv1.NewProjectServiceClient).serving(projects, projects),
		api(famiv1.RegisterNetworkServiceServer, famiv1connect.NewNetworkServiceHandler,
			famiv1.RegisterNetworkServiceHandlerClient, famiv1.NewNetworkServiceClient).serving(networks, networks),
		api(famiv1.RegisterProtocolServiceServer, famiv1connect.NewProtocolServiceHandler,
			famiv1.RegisterProtocolServiceHandlerClient, famiv1.NewProtocolServiceClient).serving(prot, prot),
		api(famiv1.RegisterSupportServiceServer, famiv1connect.NewSupportServiceHandler,
			famiv1.RegisterSupportServiceHandlerClient, famiv1.NewSupportServiceClient).serving(sup, sup).
			withRoutes(func(mux *listenerMux, pipe *pipeline) {
				mux.Handle("GET /v1/regions/{region}/supportEntries:export", exportSupportCSV(pipe, sup))
			}),
		api(famiv1.RegisterMeetingServiceServer, famiv1connect.NewMeetingServiceHandler,
			famiv1.RegisterMeetingServiceHandlerClient, famiv1.NewMeetingServiceClient).serving(mtg, mtg).
			withRoutes(func(mux *listenerMux, pipe *pipeline) {
				feed := meetingCalendar(pipe, mtg)
				mux.Handle("GET /v1/regions/{region}/meetings.ics", feed)
				mux.Handle("GET /v1/regions/{region}/networks/{network}/meetings.ics", feed)
				mux.Handle("GET /v1/regions/{region}/facilitators/{facilitator}/meetings.ics", feed)
			}),
		api(famiv1.RegisterAuthServiceServer, famiv1connect.NewAuthServiceHandler,
			famiv1.RegisterAuthServiceHandlerClient, famiv1.NewAuthServiceClient).serving(acc, acc),
	}
}

// syncServices lists the change feed and the operators' service. Their
// server streams have different grpc-go and connect-go signatures, so each
// has a connect-go adapter over the same logic.
func syncServices(f *feed.Service, a *admin.Service) []service {
	return []service{
		api(famiv1.RegisterSyncServiceServer, famiv1connect.NewSyncServiceHandler,
			famiv1.RegisterSyncServiceHandlerClient, famiv1.NewSyncServiceClient).serving(f, syncConnect{f}),
		api(famiv1.RegisterAdminServiceServer, famiv1connect.NewAdminServiceHandler,
			famiv1.RegisterAdminServiceHandlerClient, famiv1.NewAdminServiceClient).serving(a, adminConnect{a}),
	}
}

// dashboardService mounts the governance dashboard, which reads through the
// other services.
func dashboardService(d *dashboard.Service) service {
	return api(famiv1.RegisterDashboardServiceServer, famiv1connect.NewDashboardServiceHandler,
		famiv1.RegisterDashboardServiceHandlerClient, famiv1.NewDashboardServiceClient).serving(d, d)
}

// overlapService mounts the overlaps of projects, which the registry keeps
// by its territory index.
func overlapService(o *registry.Overlaps) service {
	return api(famiv1.RegisterOverlapServiceServer, famiv1connect.NewOverlapServiceHandler,
		famiv1.RegisterOverlapServiceHandlerClient, famiv1.NewOverlapServiceClient).serving(o, o)
}

// generated is one service's generated mounting functions, one a surface:
// grpc-go's famiv1.RegisterXServiceServer for an implementation G,
// connect-go's famiv1connect.NewXServiceHandler for a handler H, and the
// gateway's, which calls the service through a client connection.
type generated[G, H any] struct {
	register   func(grpc.ServiceRegistrar, G)
	newHandler func(H, ...connect.HandlerOption) (string, http.Handler)
	gateway    func(context.Context, *runtime.ServeMux, grpc.ClientConnInterface) error
}

// api gathers the generated functions of service X:
// famiv1.RegisterXServiceServer, famiv1connect.NewXServiceHandler,
// famiv1.RegisterXServiceHandlerClient and famiv1.NewXServiceClient. Go
// infers G, H and C from them; it cannot from an implementation passed in
// the same call (its own type is not the interface), so serving takes that.
func api[G, H, C any](register func(grpc.ServiceRegistrar, G), newHandler func(H, ...connect.HandlerOption) (string, http.Handler),
	registerGateway func(context.Context, *runtime.ServeMux, C) error, newClient func(grpc.ClientConnInterface) C) generated[G, H] {
	return generated[G, H]{
		register:   register,
		newHandler: newHandler,
		gateway: func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
			return registerGateway(ctx, mux, newClient(conn))
		},
	}
}

// serving is the service with impl on gRPC and handler on connect-go. One
// value serves both, since connect-go's "simple" signatures are grpc-go's,
// except for the services whose server streams need a connect-go adapter
// (syncServices).
func (g generated[G, H]) serving(impl G, handler H) service {
	return service{
		grpc:    func(s grpc.ServiceRegistrar) { g.register(s, impl) },
		connect: func(o ...connect.HandlerOption) (string, http.Handler) { return g.newHandler(handler, o...) },
		gateway: g.gateway,
	}
}

// withRoutes is the service with its plain HTTP routes (service.routes).
func (s service) withRoutes(routes func(*listenerMux, *pipeline)) service {
	s.routes = routes
	return s
}
