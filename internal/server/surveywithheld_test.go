package server_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/waittest"
)

// TestSurveyResultsWithheldFromFewAnswers: a survey's counts of 1 or 2
// (participants, or a question's answers) could point at who answered,
// so only its assessors (the region's administrators and consultants)
// read them; the ministry, a regional system and the network staff read
// them empty and marked withheld, as open data suppresses such counts
// (ADR 37), on Get and List, on every surface. They read every count
// from 3 on.
func TestSurveyResultsWithheldFromFewAnswers(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia"})
		participant := newSurfaceAs(t, ts, kind, "")
		sv := mustOK(consultant.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "pochi", Survey: &famiv1.Survey{
			Title: "Laboratorio", Subject: "Linea 3",
			Questions: []*famiv1.SurveyQuestion{
				{Id: "utilita", Text: "Quanto è stato utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE},
				{Id: "consiglio", Text: "Lo consiglieresti?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_RECOMMEND},
			},
			CloseTime: timestamppb.New(ts.Clock.Now().Add(time.Hour)),
		}}))(t, "create survey")
		// Every participant scores usefulness; the first two alone say
		// whether they would recommend it.
		answer := func(i int) {
			form := mustOK(participant.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()}))(t, "open")
			answers := []*famiv1.SurveyAnswer{{Question: "utilita", Score: 4}}
			if i < 2 {
				answers = append(answers, &famiv1.SurveyAnswer{Question: "consiglio", Recommend: true})
			}
			mustOK(participant.AnswerSurvey(ctx, &famiv1.AnswerSurveyRequest{Name: sv.GetName(), Ticket: form.GetTicket(), Answers: answers}))(t, "answer")
		}
		assessors := map[string]surface{
			"consultant":   consultant,
			"region admin": newSurfaceFor(t, ts, kind, regionAdminSpec("lombardia")),
		}
		others := map[string]surface{
			"ministry":        newSurfaceFor(t, ts, kind, ministrySpec),
			"regional system": newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:system", Role: principal.RegionalSystem, Region: "lombardia"}),
			"network staff":   newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:staff", Role: principal.NetworkMember, Region: "lombardia", Partner: partnerName("udp")}),
		}
		read := func(who string, s surface) []*famiv1.Survey {
			got := mustOK(s.GetSurvey(ctx, &famiv1.GetSurveyRequest{Name: sv.GetName()}))(t, who+" gets the survey")
			list := mustOK(s.ListSurveys(ctx, &famiv1.ListSurveysRequest{Parent: lombardia}))(t, who+" lists the surveys")
			if len(list.GetSurveys()) != 1 {
				t.Fatalf("%s lists %d surveys, want 1", who, len(list.GetSurveys()))
			}
			return []*famiv1.Survey{got, list.GetSurveys()[0]}
		}
		type want struct {
			responses           int64
			responsesWithheld   bool
			useful, recommend   int64 // answers shown
			usefulW, recommendW bool
		}
		check := func(step, who string, s surface, w want) {
			t.Helper()
			for _, got := range read(who, s) {
				r := got.GetResults()
				if got.GetResponses() != w.responses || got.GetResponsesWithheld() != w.responsesWithheld || len(r) != 2 ||
					r[0].GetQuestion() != "utilita" || r[0].GetAnswers() != w.useful || r[0].GetWithheld() != w.usefulW ||
					r[1].GetQuestion() != "consiglio" || r[1].GetAnswers() != w.recommend || r[1].GetWithheld() != w.recommendW {
					t.Errorf("%s, %s reads %d responses (withheld %v), results %v; want %+v", step, who, got.GetResponses(), got.GetResponsesWithheld(), r, w)
					continue
				}
				if w.recommendW && (r[1].GetRecommend() != 0 || r[1].GetRecommendShare() != 0) {
					t.Errorf("%s, %s reads the withheld recommendations: %v", step, who, r[1])
				}
				if w.usefulW && (len(r[0].GetScoreCounts()) != 0 || r[0].GetMean() != 0) {
					t.Errorf("%s, %s reads the withheld scores: %v", step, who, r[0])
				}
			}
		}

		answer(0)
		answer(1)
		for who, s := range assessors {
			check("two answers", who, s, want{responses: 2, useful: 2, recommend: 2})
		}
		for who, s := range others {
			check("two answers", who, s, want{responsesWithheld: true, usefulW: true, recommendW: true})
		}
		answer(2)
		answer(3)
		for who, s := range assessors {
			check("four answers", who, s, want{responses: 4, useful: 4, recommend: 2})
		}
		for who, s := range others {
			check("four answers", who, s, want{responses: 4, useful: 4, recommendW: true})
		}

		// The change feed: its readers who are no assessors (the
		// ministry, a regional system) read each survey in it as Get
		// shows it, a region admin as written; listed, and watched as a
		// fifth participant answers (from the log or the live tail,
		// whichever the watch reaches first).
		feedReaders := map[string]struct {
			spec auth.TokenSpec
			w    want
		}{
			"ministry":        {ministrySpec, want{responses: 5, useful: 5, recommendW: true}},
			"regional system": {auth.TokenSpec{Subject: "test:system", Role: principal.RegionalSystem, Region: "lombardia"}, want{responses: 5, useful: 5, recommendW: true}},
			"region admin":    {regionAdminSpec("lombardia"), want{responses: 5, useful: 5, recommend: 2}},
		}
		feedCheck := func(step, who string, got *famiv1.Survey, w want) {
			t.Helper()
			r := got.GetResults()
			if got.GetResponses() != w.responses || got.GetResponsesWithheld() != w.responsesWithheld || len(r) != 2 ||
				r[0].GetAnswers() != w.useful || r[0].GetWithheld() != w.usefulW || r[1].GetAnswers() != w.recommend || r[1].GetWithheld() != w.recommendW ||
				(w.recommendW && r[1].GetRecommend() != 0) {
				t.Errorf("%s, %s reads %d responses (withheld %v), results %v; want %+v", step, who, got.GetResponses(), got.GetResponsesWithheld(), r, w)
			}
		}
		rev := mustOK(consultant.ListSurveys(ctx, &famiv1.ListSurveysRequest{Parent: lombardia}))(t, "list").GetRevision()
		watched := map[string]chan *famiv1.Survey{}
		for who, f := range feedReaders {
			ch := make(chan *famiv1.Survey, 1)
			watched[who] = ch
			token := ts.mintToken(f.spec)
			go func() {
				_ = watchEach(ctx, t, ts, kind, token, &famiv1.WatchRequest{Parent: lombardia, SinceRevision: rev, ResourceTypes: []string{"fami.v1.Survey"}},
					func(res *famiv1.WatchResponse) bool {
						for _, c := range res.GetChanges() {
							got := &famiv1.Survey{}
							if err := c.GetResource().UnmarshalTo(got); err == nil {
								ch <- got
								return false
							}
						}
						return true
					})
			}()
		}
		answer(4)
		for who, f := range feedReaders {
			feedCheck("watched", who, waittest.Receive(t, who+"'s watch", watched[who]), f.w)
			list := mustOK(newSurfaceFor(t, ts, kind, f.spec).ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, SinceRevision: rev,
				ResourceTypes: []string{"fami.v1.Survey"}}))(t, who+" lists the changes")
			if len(list.GetChanges()) != 1 {
				t.Fatalf("%s lists %d survey changes, want 1", who, len(list.GetChanges()))
			}
			got := &famiv1.Survey{}
			if err := list.GetChanges()[0].GetResource().UnmarshalTo(got); err != nil {
				t.Fatal(err)
			}
			feedCheck("listed", who, got, f.w)
		}
	})
}
