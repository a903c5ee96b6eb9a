package evaluation

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// The evaluation of the support: consultants record, with each network,
// its capacity measures and run the satisfaction surveys (the region too);
// readers as the registry's.
var assessors = []principal.Role{principal.RegionAdmin, principal.Consultant}

// Rights are the rows of the rights table for the EvaluationService's and
// the SurveyService's RPCs.
func Rights() auth.Policy {
	readers := auth.Readers()
	return auth.Policy{
		famiv1.EvaluationService_CreateCapacityAssessment_FullMethodName: auth.InRegion("parent", assessors...),
		famiv1.EvaluationService_GetCapacityAssessment_FullMethodName:    auth.InRegion("name", readers...),
		famiv1.EvaluationService_ListCapacityAssessments_FullMethodName:  auth.InRegion("parent", readers...),
		famiv1.EvaluationService_UpdateCapacityAssessment_FullMethodName: auth.InRegion("capacity_assessment.name", assessors...),
		famiv1.EvaluationService_SummarizeCapacity_FullMethodName:        auth.InRegion("parent", readers...),

		famiv1.SurveyService_CreateSurvey_FullMethodName: auth.InRegion("parent", assessors...),
		famiv1.SurveyService_GetSurvey_FullMethodName:    auth.InRegion("name", readers...),
		famiv1.SurveyService_ListSurveys_FullMethodName:  auth.InRegion("parent", readers...),
		// Participants answer without an account: the survey's link key and
		// the form's one-time ticket are the credentials (OpenSurvey and
		// AnswerSurvey in surveys.go check them), rate-limited per client
		// address.
		famiv1.SurveyService_OpenSurvey_FullMethodName:   auth.Public,
		famiv1.SurveyService_AnswerSurvey_FullMethodName: auth.Public,
	}
}
