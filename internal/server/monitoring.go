package server

import (
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/grpc"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/monitoring"
)

// monitoringServices lists the quarterly monitoring service.
func monitoringServices(mon *monitoring.Service) []service {
	return []service{{
		grpc: func(s *grpc.Server) { famiv1.RegisterMonitoringServiceServer(s, mon) },
		connect: func(o ...connect.HandlerOption) (string, http.Handler) {
			return famiv1connect.NewMonitoringServiceHandler(mon, o...)
		},
		gateway: famiv1.RegisterMonitoringServiceHandler,
	}}
}
