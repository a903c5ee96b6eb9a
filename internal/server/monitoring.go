package server

import (
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
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterMonitoringServiceServer(s, mon) },
			connect: connectOf(famiv1connect.NewMonitoringServiceHandler).serving(mon),
			gateway: gatewayOf(famiv1.RegisterMonitoringServiceHandlerClient, famiv1.NewMonitoringServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterContactServiceServer(s, contacts) },
			connect: connectOf(famiv1connect.NewContactServiceHandler).serving(contacts),
			gateway: gatewayOf(famiv1.RegisterContactServiceHandlerClient, famiv1.NewContactServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterEvaluationServiceServer(s, eval) },
			connect: connectOf(famiv1connect.NewEvaluationServiceHandler).serving(eval),
			gateway: gatewayOf(famiv1.RegisterEvaluationServiceHandlerClient, famiv1.NewEvaluationServiceClient),
		},
		{
			grpc:    func(s grpc.ServiceRegistrar) { famiv1.RegisterSurveyServiceServer(s, surveys) },
			connect: connectOf(famiv1connect.NewSurveyServiceHandler).serving(surveys),
			gateway: gatewayOf(famiv1.RegisterSurveyServiceHandlerClient, famiv1.NewSurveyServiceClient),
		},
	}
}
