package server

import (
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
		api(famiv1.RegisterMonitoringServiceServer, famiv1connect.NewMonitoringServiceHandler,
			famiv1.RegisterMonitoringServiceHandlerClient, famiv1.NewMonitoringServiceClient).serving(mon, mon),
		api(famiv1.RegisterContactServiceServer, famiv1connect.NewContactServiceHandler,
			famiv1.RegisterContactServiceHandlerClient, famiv1.NewContactServiceClient).serving(contacts, contacts),
		api(famiv1.RegisterEvaluationServiceServer, famiv1connect.NewEvaluationServiceHandler,
			famiv1.RegisterEvaluationServiceHandlerClient, famiv1.NewEvaluationServiceClient).serving(eval, eval),
		api(famiv1.RegisterSurveyServiceServer, famiv1connect.NewSurveyServiceHandler,
			famiv1.RegisterSurveyServiceHandlerClient, famiv1.NewSurveyServiceClient).serving(surveys, surveys),
	}
}
