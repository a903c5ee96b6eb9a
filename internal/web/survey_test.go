package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

const surveyPage = "/incontri/tavolo/questionario"

// meetingToSurvey makes the Bergamo network's meeting "tavolo", a week
// on, and returns network staff of the network and the region admin.
func (f *famid) meetingToSurvey(t *testing.T) (anna, admin *browserless, network string) {
	t.Helper()
	anna, network, _, _ = f.annaInBergamo(t)
	if _, err := f.onlineMeeting("tavolo", network, "Tavolo di coordinamento", f.Clock.Now().Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return anna, f.adminIn(t), network
}

// surveyForm is a valid new survey's form, with csrf.
func (f *famid) surveyForm(csrf, title string) url.Values {
	return url.Values{"csrf": {csrf}, "title": {title}, "close_date": {f.Clock.Now().In(rome()).AddDate(0, 0, 30).Format("02/01/2006")}}
}

// surveys lists the region's surveys as the region admin reads them.
func (f *famid) surveys(t *testing.T) []*famiv1.Survey {
	t.Helper()
	res, err := famiv1.NewSurveyServiceClient(f.conn).ListSurveys(f.admin("lombardia"), &famiv1.ListSurveysRequest{Parent: "regions/lombardia"})
	if err != nil {
		t.Fatal(err)
	}
	return res.GetSurveys()
}

// answer answers survey sv n times, as participants with its link do.
func (f *famid) answer(t *testing.T, sv *famiv1.Survey, n int) {
	t.Helper()
	c := famiv1.NewSurveyServiceClient(f.conn)
	for range n {
		form, err := c.OpenSurvey(t.Context(), &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AnswerSurvey(t.Context(), &famiv1.AnswerSurveyRequest{Name: sv.GetName(), Ticket: form.GetTicket(), Answers: []*famiv1.SurveyAnswer{
			{Question: "soddisfazione", Score: 4}, {Question: "consiglio", Recommend: true}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMeetingSurveyStarted: the region admin starts a meeting's survey
// from its page; the service stores it for the meeting with the web's
// two questions, open to the end of the day typed, and the page shows
// its participants' link and key and, after three answers, the results.
func TestMeetingSurveyStarted(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, admin, _ := f.meetingToSurvey(t)
	admin.wantPage("/incontri/tavolo", http.StatusOK, `href="/incontri/tavolo/questionario"`)
	admin.wantPage(surveyPage, http.StatusOK, "Nessun questionario per questo incontro.", `action="/incontri/tavolo/questionario"`)
	res, _ := admin.do("POST", surveyPage, f.surveyForm(admin.csrf(surveyPage), "Gradimento del tavolo"))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != surveyPage {
		t.Fatalf("start a survey: status %d to %q, want 303 to %s", res.StatusCode, res.Header.Get("Location"), surveyPage)
	}
	svs := f.surveys(t)
	if len(svs) != 1 || svs[0].GetMeeting() != "regions/lombardia/meetings/tavolo" || svs[0].GetTitle() != "Gradimento del tavolo" || len(svs[0].GetQuestions()) != 2 {
		t.Fatalf("stored: %v", svs)
	}
	sv := svs[0]
	if h := sv.GetCloseTime().AsTime().In(rome()); h.Hour() != 23 || h.Minute() != 59 {
		t.Errorf("the survey closes at %v, want 23:59 in Rome", h)
	}
	f.answer(t, sv, 3)
	admin.wantPage(surveyPage, http.StatusOK, "Questionario avviato", sv.GetName()+":open", sv.GetLinkKey(), "media 4 su 5 (3 risposte)", "lo consigliano 3 su 3")
}

// TestMeetingSurveyRefusedOnItsField: a closing day already past is
// refused by the service and said in Italian beside its field, keeping
// what was typed; nothing is stored.
func TestMeetingSurveyRefusedOnItsField(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, admin, _ := f.meetingToSurvey(t)
	v := f.surveyForm(admin.csrf(surveyPage), "Gradimento del tavolo")
	v.Set("close_date", f.Clock.Now().In(rome()).AddDate(0, 0, -2).Format("02/01/2006"))
	res, page := admin.do("POST", surveyPage, v)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a survey closed two days ago: status %d, want 422", res.StatusCode)
	}
	for _, want := range []string{`id="f-close_date-err">Indica una data futura`, `value="Gradimento del tavolo"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused form does not show %s", want)
		}
	}
	if svs := f.surveys(t); len(svs) != 0 {
		t.Errorf("the refused survey was stored: %v", svs)
	}
}

// TestMeetingSurveyRights: network staff, evaluated by the survey, read
// its results with counts of fewer than 3 answers said in words (ADR 37)
// and no link, are offered no form, and a form they forge is refused by
// the service; an archived network's meeting offers no form and says why.
func TestMeetingSurveyRights(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	anna, admin, network := f.meetingToSurvey(t)
	if res, _ := admin.do("POST", surveyPage, f.surveyForm(admin.csrf(surveyPage), "Gradimento del tavolo")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start a survey: status %d", res.StatusCode)
	}
	sv := f.surveys(t)[0]
	f.answer(t, sv, 2)
	page := anna.wantPage(surveyPage, http.StatusOK, "Gradimento del tavolo", "<dd>meno di 3 risposte</dd>", "Quanto sei soddisfatto dell&#39;incontro?: meno di 3 risposte")
	for _, not := range []string{`action="/incontri/tavolo/questionario"`, sv.GetLinkKey(), "media"} {
		if strings.Contains(page, not) {
			t.Errorf("network staff read %s", not)
		}
	}
	admin.wantPage(surveyPage, http.StatusOK, "media 4 su 5 (2 risposte)")
	res, _ := anna.do("POST", surveyPage, f.surveyForm(anna.csrf(surveyPage), "Forgiato"))
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a survey forged by network staff: status %d, want 403", res.StatusCode)
	}
	if svs := f.surveys(t); len(svs) != 1 {
		t.Errorf("the forged survey was stored: %v", svs)
	}

	if _, err := famiv1.NewNetworkServiceClient(f.seed).UpdateNetwork(f.admin("lombardia"), &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: network, State: famiv1.NetworkState_NETWORK_STATE_ARCHIVED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"state"}}}); err != nil {
		t.Fatal(err)
	}
	page = admin.wantPage(surveyPage, http.StatusOK, "Gradimento del tavolo", "Una rete dell&#39;incontro è archiviata")
	if strings.Contains(page, `action="/incontri/tavolo/questionario"`) {
		t.Error("an archived network's meeting offers the form of a new survey")
	}
}

// TestBrowserCapacityAndSurvey: a network's capacity page and a meeting's
// survey page, with a measure and a survey of fewer than 3 answers, pass
// axe in Chromium, and the survey's refused form too; the network staff
// read the withheld counts in words.
func TestBrowserCapacityAndSurvey(t *testing.T) {
	t.Parallel()
	f := startFamid(t)
	_, admin, _ := f.meetingToSurvey(t)
	if res, _ := admin.do("POST", capacityPage, capacityForm(admin.csrf(capacityPage), "co-progettazione", "01/02/2026")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record a measure: status %d", res.StatusCode)
	}
	if res, _ := admin.do("POST", surveyPage, f.surveyForm(admin.csrf(surveyPage), "Gradimento del tavolo")); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start a survey: status %d", res.StatusCode)
	}
	f.answer(t, f.surveys(t)[0], 2)
	b := newBrowser(t, f)
	b.signIn("admin@lombardia")
	b.open(capacityPage, "capacita")
	b.open(surveyPage, "questionario")
	b.run("send a past closing day", chromedp.SendKeys(chromedp.CSS("#f-title"), "Secondo"), chromedp.SendKeys(chromedp.CSS("#f-close_date"), "01/01/2020"),
		chromedp.Click(chromedp.CSS(`form[action$="/questionario"] button`)), chromedp.WaitVisible(chromedp.CSS("#f-close_date-err")))
	b.check("questionario-rifiutato")
	b.wantText("#f-close_date-err", "Indica una data futura")
	staff := newBrowser(t, f)
	staff.signIn("anna@lombardia")
	staff.open(surveyPage, "questionario-rete")
	staff.wantText("main section.card", "Risposte\nmeno di 3 risposte")
}
