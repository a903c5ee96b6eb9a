package server

import (
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/grpc"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/registry"
)

// monitoringServices lists the services of plan against reality: the
// quarterly monitoring, the contacts register that makes operator counts
// exact, and the evaluation of the support.
func monitoringServices(mon *monitoring.Service, contacts *registry.Contacts, eval *evaluation.Service, surveys *evaluation.Surveys) []service {
	return []service{
		{
			grpc: func(s grpc.ServiceRegistrar) { famiv1.RegisterMonitoringServiceServer(s, mon) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewMonitoringServiceHandler(mon, o...)
			},
			gateway: gatewayOf(famiv1.RegisterMonitoringServiceHandlerClient, famiv1.NewMonitoringServiceClient),
		},
		{
			grpc: func(s grpc.ServiceRegistrar) { famiv1.RegisterContactServiceServer(s, contacts) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewContactServiceHandler(contacts, o...)
			},
			gateway: gatewayOf(famiv1.RegisterContactServiceHandlerClient, famiv1.NewContactServiceClient),
		},
		{
			grpc: func(s grpc.ServiceRegistrar) { famiv1.RegisterEvaluationServiceServer(s, eval) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewEvaluationServiceHandler(eval, o...)
			},
			gateway: gatewayOf(famiv1.RegisterEvaluationServiceHandlerClient, famiv1.NewEvaluationServiceClient),
		},
		{
			grpc: func(s grpc.ServiceRegistrar) { famiv1.RegisterSurveyServiceServer(s, surveys) },
			connect: func(o ...connect.HandlerOption) (string, http.Handler) {
				return famiv1connect.NewSurveyServiceHandler(surveys, o...)
			},
			gateway: gatewayOf(famiv1.RegisterSurveyServiceHandlerClient, famiv1.NewSurveyServiceClient),
		},
	}
}
