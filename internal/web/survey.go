package web

import (
	"net/http"
	"net/url"
	"strings"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
)

// A meeting's satisfaction survey (SurveyService): its results as the API
// gives them to the reader, with the counts of 1 or 2 answers withheld
// from all but the survey's assessors (ADR 37), and, for those the rights
// table lets create one, the form of a new one and its participants'
// link. What a valid survey is stays the service's: its refusals are
// shown on their fields.

// surveyPage is a meeting's surveys and, for those who may start one,
// the form of a new one.
type surveyPage struct {
	frame
	Meeting   *famiv1.Meeting
	Surveys   []*famiv1.Survey
	Pager     *pager
	NewForm   *form
	CanCreate bool
	// Archived says why a meeting of a network evaluated no more shows
	// no form.
	Archived  bool
	RequestID string
}

// surveyPath is the address of meeting id's survey.
func surveyPath(id string) string { return "/incontri/" + url.PathEscape(id) + "/questionario" }

// surveyQuestions are the questions of a survey started from the web:
// the overall score and whether a participant would recommend the
// meeting. The API takes others; the web asks the same two of every
// meeting, so that meetings compare.
func surveyQuestions() []*famiv1.SurveyQuestion {
	return []*famiv1.SurveyQuestion{
		{Id: "soddisfazione", Text: msg("survey.q_score"), Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE},
		{Id: "consiglio", Text: msg("survey.q_recommend"), Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_RECOMMEND},
	}
}

func (a *App) meetingSurvey(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderSurvey(w, r, s, http.StatusOK, newForm(nil))
}

func (a *App) renderSurvey(w http.ResponseWriter, r *http.Request, s *session, code int, nf *form) {
	m, err := a.meetings.GetMeeting(s.ctx, &famiv1.GetMeetingRequest{Name: pathName(r, s, resource.Meetings, "meeting")})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	byName, _, err := a.meetingNetworks(s, m)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	// A meeting's networks take no new evaluation once archived (ADR 36):
	// the service refuses a survey of it, so the page offers none.
	archived := false
	for _, n := range byName {
		archived = archived || n.GetState() == famiv1.NetworkState_NETWORK_STATE_ARCHIVED
	}
	p := &surveyPage{frame: a.newFrame(r, s, "survey.title"), Meeting: m, NewForm: nf, RequestID: newRequestID(), Archived: archived,
		CanCreate: !archived && s.can(a, famiv1.SurveyService_CreateSurvey_FullMethodName, &famiv1.CreateSurveyRequest{Parent: regionName(s.region)})}
	p.Title = msgf("survey.title", m.GetTitle())
	p.Surveys, p.Pager, err = readPage(s, r, "", msg("survey.surveys"), a.surveys.ListSurveys,
		&famiv1.ListSurveysRequest{Parent: regionName(s.region)}, (*famiv1.ListSurveysResponse).GetSurveys,
		func(sv *famiv1.Survey) (*famiv1.Survey, bool) { return sv, sv.GetMeeting() == m.GetName() })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, code, "survey", p)
}

// createSurvey starts a meeting's survey, open until the end of the day
// typed (Europe/Rome).
func (a *App) createSurvey(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := a.surveys.CreateSurvey(s.ctx, &famiv1.CreateSurveyRequest{Parent: regionName(s.region), RequestId: r.PostFormValue("request_id"),
		Survey: &famiv1.Survey{Title: strings.TrimSpace(r.PostFormValue("title")), Meeting: pathName(r, s, resource.Meetings, "meeting"),
			Questions: surveyQuestions(), CloseTime: localTime(r.PostFormValue("close_date"), "23:59", "")}})
	nf := newForm(r.PostForm)
	a.submitted(w, r, s, nf, err, "survey.", func(code int) {
		nf.alias("close_time", "close_date")
		a.renderSurvey(w, r, s, code, nf)
	}, noticed(surveyPath(r.PathValue("meeting")), "survey_created"))
}
