package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
)

// TestSurveyEverySurface runs a workshop's satisfaction survey on each
// surface: 30 participants answer without an account, a replayed answer is
// not counted, a forged ticket and a wrong link are refused, an answer after
// the closing time is refused, and a flood from one address is slowed down.
func TestSurveyEverySurface(t *testing.T) {
	t.Parallel()
	const (
		score     = famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE
		recommend = famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_RECOMMEND
	)
	onEachSurface(t, server.Config{SurveyBurst: 70}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia"})
		participant := newSurfaceAs(t, ts, kind, "")

		sv, err := consultant.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "lab-mediazione", Survey: &famiv1.Survey{
			Title: "Laboratorio: il modello di mediazione", Subject: "Linea 3, laboratori",
			Questions: []*famiv1.SurveyQuestion{
				{Id: "utilita", Text: "Quanto è stato utile?", Kind: score},
				{Id: "chiarezza", Text: "Quanto è stato chiaro?", Kind: score},
				{Id: "consiglio", Text: "Lo consiglieresti a un collega?", Kind: recommend},
			},
			CloseTime: timestamppb.New(ts.Clock.Now().Add(time.Hour)),
		}})
		if err != nil {
			t.Fatalf("create survey: %v", err)
		}
		if len(sv.GetLinkKey()) < 20 {
			t.Fatalf("link key %q: want a random key", sv.GetLinkKey())
		}

		// 30 participants: usefulness 1 to 5 six times each, clarity 4
		// (20) or 5 (10), 24 would recommend.
		var last *famiv1.AnswerSurveyRequest
		for i := range 30 {
			form, err := participant.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()})
			if err != nil {
				t.Fatalf("participant %d opens the survey: %v", i, err)
			}
			if len(form.GetQuestions()) != 3 || form.GetTicket() == "" {
				t.Fatalf("form: %v", form)
			}
			clarity := int32(4)
			if i >= 20 {
				clarity = 5
			}
			last = &famiv1.AnswerSurveyRequest{Name: sv.GetName(), Ticket: form.GetTicket(), Answers: []*famiv1.SurveyAnswer{
				{Question: "utilita", Score: int32(1 + i%5)}, {Question: "chiarezza", Score: clarity}, {Question: "consiglio", Recommend: i < 24}}}
			if _, err := participant.AnswerSurvey(ctx, last); err != nil {
				t.Fatalf("participant %d answers: %v", i, err)
			}
		}
		// The last submission, replayed: refused, not counted.
		_, err = participant.AnswerSurvey(ctx, last)
		checkErr(t, "replay an answer", err, wantErr{codes.FailedPrecondition, "TICKET_USED", nil})
		forged := proto.CloneOf(last)
		forged.Ticket = "AAAAAAAAAAAAAAAAAAAAAA.forged"
		_, err = participant.AnswerSurvey(ctx, forged)
		checkErr(t, "answer with a forged ticket", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"ticket"}})
		_, err = participant.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: "wrong"})
		checkErr(t, "open with a wrong link", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
		// The message echoes the name, clipped at 80 bytes, which fall
		// inside its "è": the answer keeps its details all the same.
		accented := lombardia + "/surveys/" + strings.Repeat("a", 79-len(lombardia+"/surveys/")) + "è"
		_, err = participant.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: accented, LinkKey: "wrong"})
		checkErr(t, "open a survey whose clipped name ends inside a character", err, wantErr{codes.NotFound, "NOT_FOUND", nil})

		got, err := consultant.GetSurvey(ctx, &famiv1.GetSurveyRequest{Name: sv.GetName()})
		if err != nil {
			t.Fatalf("get survey: %v", err)
		}
		if got.GetResponses() != 30 {
			t.Errorf("responses: got %d, want 30", got.GetResponses())
		}
		want := []struct {
			counts []int64
			mean   float64
		}{{[]int64{6, 6, 6, 6, 6}, 3}, {[]int64{0, 0, 0, 20, 10}, 130.0 / 30}}
		for i, w := range want {
			r := got.GetResults()[i]
			if !slices.Equal(r.GetScoreCounts(), w.counts) || r.GetAnswers() != 30 || r.GetMean() != w.mean {
				t.Errorf("%s: got counts %v, %d answers, mean %v; want %v, 30, %v", r.GetQuestion(), r.GetScoreCounts(), r.GetAnswers(), r.GetMean(), w.counts, w.mean)
			}
		}
		if r := got.GetResults()[2]; r.GetRecommend() != 24 || r.GetRecommendShare() != 0.8 {
			t.Errorf("recommend: got %d, share %v; want 24, 0.8", r.GetRecommend(), r.GetRecommendShare())
		}

		// A survey that closes: a form opened in time is refused after.
		short, err := consultant.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: lombardia, Survey: &famiv1.Survey{
			Title: "Incontro di chiusura", Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: score}},
			CloseTime: timestamppb.New(ts.Clock.Now().Add(time.Second))}})
		if err != nil {
			t.Fatalf("create a short survey: %v", err)
		}
		form, err := participant.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: short.GetName(), LinkKey: short.GetLinkKey()})
		if err != nil {
			t.Fatalf("open the short survey: %v", err)
		}
		// The server's clock passes the closing time; the test does not wait.
		ts.Clock.Advance(time.Second + 50*time.Millisecond)
		_, err = participant.AnswerSurvey(ctx, &famiv1.AnswerSurveyRequest{Name: short.GetName(), Ticket: form.GetTicket(),
			Answers: []*famiv1.SurveyAnswer{{Question: "utilita", Score: 5}}})
		checkErr(t, "answer after the closing time", err, wantErr{codes.FailedPrecondition, "SURVEY_CLOSED", nil})
		_, err = participant.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: short.GetName(), LinkKey: short.GetLinkKey()})
		checkErr(t, "open after the closing time", err, wantErr{codes.FailedPrecondition, "SURVEY_CLOSED", nil})

		// One address flooding the survey is slowed down.
		var limited bool
		for range 10 {
			_, err := participant.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()})
			if ce, ok := asCallError(err); ok && ce.Code == codes.ResourceExhausted {
				limited = ce.RetryAfter > 0 && ce.Reason == "TOO_MANY_SURVEY_REQUESTS"
				break
			}
		}
		if !limited {
			t.Errorf("80 survey requests from one address in a burst of 70: got no RESOURCE_EXHAUSTED with a retry delay")
		}
	})
}

// TestAnswerSurveyHidesWhichSurveysExist: without a ticket of its form, an
// anonymous answer learns nothing of whether a survey exists, as an open
// without its link learns nothing. AnswerSurvey used to answer NOT_FOUND
// for a survey nobody created and "invalid ticket" for one that exists, in
// any region.
func TestAnswerSurveyHidesWhichSurveysExist(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia"})
		anonymous := newSurfaceAs(t, ts, kind, "")
		sv := createGradimento(t, consultant)
		answer := func(name string) *callError {
			_, err := anonymous.AnswerSurvey(ctx, &famiv1.AnswerSurveyRequest{Name: name, Ticket: "nonce.mac"})
			ce, ok := asCallError(err)
			if !ok {
				t.Fatalf("answer %s: %v, want a refusal", name, err)
			}
			return ce
		}
		exists := answer(sv.GetName())
		checkErr(t, "an answer with a forged ticket", exists, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"ticket"}})
		for _, name := range []string{"regions/lombardia/surveys/nessuno", "regions/veneto/surveys/gradimento"} {
			if got := answer(name); got.Code != exists.Code || got.Message != exists.Message || got.Reason != exists.Reason ||
				!slices.Equal(got.Fields, exists.Fields) || got.HTTPStatus != exists.HTTPStatus {
				t.Errorf("answer to %s, which does not exist: %+v; want the answer to an existing survey, %+v", name, got, exists)
			}
		}
	})
}

// createGradimento creates, as s, a survey of one score question in
// Lombardia that closes in an hour.
func createGradimento(t *testing.T, s surface) *famiv1.Survey {
	t.Helper()
	sv, err := s.CreateSurvey(t.Context(), &famiv1.CreateSurveyRequest{Parent: lombardia, SurveyId: "gradimento", Survey: &famiv1.Survey{
		Title:     "Gradimento",
		Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Quanto è stato utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}},
		CloseTime: timestamppb.New(servertest.Now().Add(time.Hour)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// TestSurveyLinkOnlyForAssessors: a survey's link_key, with which anyone
// may answer it, is shown to its assessors (the region's consultants and
// administrators) and to nobody else: not to the network staff being
// evaluated, nor the ministry, in Get and List, nor in the change feed's
// payloads, before and after answers are counted.
func TestSurveyLinkOnlyForAssessors(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		as := func(role principal.Role) surface {
			return newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:" + string(role), Role: role, Region: "lombardia"})
		}
		consultant, admin, ministry := as(principal.Consultant), as(principal.RegionAdmin), newSurfaceFor(t, ts, kind, ministrySpec)
		staff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:staff", Role: principal.NetworkMember, Region: "lombardia",
			Partner: "regions/lombardia/partners/udp-bergamo"})
		sv := createGradimento(t, consultant)
		key := sv.GetLinkKey()
		if key == "" {
			t.Fatal("the creator got no link_key")
		}
		form, err := newSurfaceAs(t, ts, kind, "").OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: key})
		if err != nil {
			t.Fatalf("open with the creator's link: %v", err)
		}
		if _, err := newSurfaceAs(t, ts, kind, "").AnswerSurvey(ctx, &famiv1.AnswerSurveyRequest{Name: sv.GetName(), Ticket: form.GetTicket(),
			Answers: []*famiv1.SurveyAnswer{{Question: "utilita", Score: 4}}}); err != nil {
			t.Fatalf("answer: %v", err)
		}

		for _, r := range []struct {
			who  string
			c    surface
			want string
		}{{"consultant", consultant, key}, {"region admin", admin, key}, {"network staff", staff, ""}, {"ministry", ministry, ""}} {
			got, err := r.c.GetSurvey(ctx, &famiv1.GetSurveyRequest{Name: sv.GetName()})
			if err != nil {
				t.Fatalf("%s's GetSurvey: %v", r.who, err)
			}
			// The one answer is counted: its assessors read it, anyone
			// else reads it withheld, as one answer (ADR 37).
			if got.GetLinkKey() != r.want || (r.want != "" && got.GetResponses() != 1) || (r.want == "" && (got.GetResponses() != 0 || !got.GetResponsesWithheld())) {
				t.Errorf("%s's GetSurvey: link_key %q, %d responses (withheld %v); want %q, 1 (assessors) or withheld", r.who, got.GetLinkKey(), got.GetResponses(), got.GetResponsesWithheld(), r.want)
			}
			list, err := r.c.ListSurveys(ctx, &famiv1.ListSurveysRequest{Parent: lombardia})
			if err != nil {
				t.Fatalf("%s's ListSurveys: %v", r.who, err)
			}
			if len(list.GetSurveys()) != 1 || list.GetSurveys()[0].GetLinkKey() != r.want {
				t.Errorf("%s's ListSurveys: %v; want the survey with link_key %q", r.who, list.GetSurveys(), r.want)
			}
		}

		// The feed's readers (the region's administrators among them)
		// get the records, which never hold the link.
		for _, spec := range []auth.TokenSpec{ministrySpec, {Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"}} {
			feed := newFeedSurface(t, ts, kind, ts.mintToken(spec))
			list, err := feed.ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, PageSize: 1000})
			if err != nil {
				t.Fatalf("%s's ListChanges: %v", spec.Role, err)
			}
			watch, err := feed.WatchFirst(ctx, &famiv1.WatchRequest{Parent: lombardia})
			if err != nil {
				t.Fatalf("%s's Watch: %v", spec.Role, err)
			}
			changes := 0
			for _, ch := range append(list.GetChanges(), watch.GetChanges()...) {
				if ch.GetResourceName() != sv.GetName() {
					continue
				}
				changes++
				if strings.Contains(string(ch.GetResource().GetValue()), key) {
					t.Errorf("%s's change %d of the survey carries its link_key", spec.Role, ch.GetRevision())
				}
			}
			if changes != 4 { // created and answered, in the list and the watch
				t.Errorf("%s read %d changes of the survey, want 4", spec.Role, changes)
			}
		}
	})
}
