package evaluation_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// surveyKeysIndex is the index where evaluation keeps each survey's ticket
// secret (indexSurveyKeys), which every survey has had from the first.
const surveyKeysIndex = "survey_keys"

// TestDamagedRecords: a survey whose meeting's stored record fails its
// checksum is refused with the store's DATA_LOSS, not told that the
// meeting does not exist; a damaged survey is DATA_LOSS to the link that
// opens it, not "not found, or the link is wrong".
func TestDamagedRecords(t *testing.T) {
	dir := t.TempDir()
	st := bolttest.Open(t, dir, bolt.Options{Regions: []string{"lombardia"}})
	svc := evaluation.NewSurveys(st, evaluation.SurveyOptions{})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: "lombardia"})
	meeting := &famiv1.Meeting{Name: "regions/lombardia/meetings/tavolo", Title: "MARKER-meeting"}
	if _, err := st.Update(ctx, "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
		return meeting, tx.Put(meeting)
	}); err != nil {
		t.Fatal(err)
	}
	survey := func(meeting string) *famiv1.CreateSurveyRequest {
		return &famiv1.CreateSurveyRequest{Parent: "regions/lombardia", Survey: &famiv1.Survey{
			Title: "MARKER-survey", Meeting: meeting, CloseTime: timestamppb.New(time.Now().Add(time.Hour)),
			Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}}}}
	}
	sv, err := svc.CreateSurvey(ctx, survey(""))
	if err != nil {
		t.Fatal(err)
	}
	bolttest.Damage(t, dir, "lombardia", "MARKER-meeting")
	bolttest.Damage(t, dir, "lombardia", "MARKER-survey")

	_, err = svc.CreateSurvey(ctx, survey(meeting.Name))
	bolttest.WantRecordCorrupt(t, "a survey of a damaged meeting", err)
	_, err = svc.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()})
	bolttest.WantRecordCorrupt(t, "open a damaged survey", err)
	_, err = svc.OpenSurvey(ctx, &famiv1.OpenSurveyRequest{Name: "regions/lombardia/surveys/nessuno", LinkKey: sv.GetLinkKey()})
	if errs.CodeOf(err) != errs.NotFound {
		t.Errorf("open a survey that does not exist: got %v, want NOT_FOUND", err)
	}
}

// TestLinkOfAnOlderSurvey: a survey stored before the link index, with
// its link_key in the record, still opens with that key, is shown without
// it to the network staff, and its next answer moves the key out of the
// record, so that the change log's new entry does not carry it.
func TestLinkOfAnOlderSurvey(t *testing.T) {
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	svc := evaluation.NewSurveys(st, evaluation.SurveyOptions{})
	const key = "MARKER-older-link"
	older := &famiv1.Survey{Name: "regions/lombardia/surveys/older", Title: "Gradimento", LinkKey: key,
		CloseTime: timestamppb.New(time.Now().Add(time.Hour)),
		Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_RECOMMEND}},
		Results:   []*famiv1.QuestionResult{{Question: "utilita"}}}
	if _, err := st.Update(t.Context(), "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
		if err := tx.IndexPut(surveyKeysIndex, "older", "MARKER-older-secret"); err != nil {
			return nil, err
		}
		return older, tx.Put(older)
	}); err != nil {
		t.Fatal(err)
	}
	staff := principal.With(t.Context(), principal.Principal{Subject: "acct:lombardia:staff", Role: principal.NetworkMember, Region: "lombardia"})
	consultant := principal.With(t.Context(), principal.Principal{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: "lombardia"})
	if got, err := svc.GetSurvey(staff, &famiv1.GetSurveyRequest{Name: older.GetName()}); err != nil || got.GetLinkKey() != "" {
		t.Errorf("network staff's GetSurvey: link_key %q, %v; want none", got.GetLinkKey(), err)
	}
	form, err := svc.OpenSurvey(t.Context(), &famiv1.OpenSurveyRequest{Name: older.GetName(), LinkKey: key})
	if err != nil {
		t.Fatalf("open with the key in the record: %v", err)
	}
	if _, err := svc.AnswerSurvey(t.Context(), &famiv1.AnswerSurveyRequest{Name: older.GetName(), Ticket: form.GetTicket(),
		Answers: []*famiv1.SurveyAnswer{{Question: "utilita", Recommend: true}}}); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if got, err := svc.GetSurvey(consultant, &famiv1.GetSurveyRequest{Name: older.GetName()}); err != nil || got.GetLinkKey() != key {
		t.Errorf("consultant's GetSurvey after an answer: link_key %q, %v; want %q", got.GetLinkKey(), err, key)
	}
	var last *famiv1.Change
	if err := st.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		return tx.Changes(1, func(ch *famiv1.Change) bool { last = ch; return true })
	}); err != nil {
		t.Fatal(err)
	}
	if last == nil || strings.Contains(string(last.GetResource().GetValue()), key) {
		t.Errorf("the answer's change %v carries the link_key", last)
	}
	if _, err := svc.OpenSurvey(t.Context(), &famiv1.OpenSurveyRequest{Name: older.GetName(), LinkKey: key}); err != nil {
		t.Errorf("open after the key moved to the index: %v", err)
	}
}

// TestSurveyWithoutItsSecret: a survey whose ticket secret is missing
// from its index (a damaged or partly restored file) hands out no form and
// counts no answer: a ticket signed with an empty key, which anybody can
// compute, is refused with DATA_LOSS as a damaged record is, and nothing
// is counted.
func TestSurveyWithoutItsSecret(t *testing.T) {
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	svc := evaluation.NewSurveys(st, evaluation.SurveyOptions{})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: "lombardia"})
	sv, err := svc.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: "regions/lombardia", Survey: &famiv1.Survey{
		Title: "Gradimento", CloseTime: timestamppb.New(time.Now().Add(time.Hour)),
		Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_RECOMMEND}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(t.Context(), "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
		return sv, tx.IndexDelete(surveyKeysIndex, resource.ID(sv.GetName()))
	}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.OpenSurvey(t.Context(), &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()})
	bolttest.WantRecordCorrupt(t, "open a survey without its secret", err)

	const nonce = "forged"
	h := hmac.New(sha256.New, nil)
	h.Write([]byte(sv.GetName() + "\x00" + nonce))
	forged := nonce + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	_, err = svc.AnswerSurvey(t.Context(), &famiv1.AnswerSurveyRequest{Name: sv.GetName(), Ticket: forged,
		Answers: []*famiv1.SurveyAnswer{{Question: "utilita", Recommend: true}}})
	bolttest.WantRecordCorrupt(t, "answer with a ticket signed with an empty key", err)
	got, err := svc.GetSurvey(ctx, &famiv1.GetSurveyRequest{Name: sv.GetName()})
	if err != nil || got.GetResults()[0].GetAnswers() != 0 {
		t.Errorf("results after the forged ticket: %v, %v; want no answer counted", got.GetResults(), err)
	}
}

// TestSurveyLimitCountsAnIPv6Slash64: the opens and answers of one client
// are limited by its /64 when it is an IPv6 client, as logins are
// (principal.ClientOf): the burst spent from one address of a /64, another
// address of it is refused, while another /64 and an IPv4 client still
// open the survey. Each address had a budget of its own, and a client
// with a /64 could open and answer without end.
func TestSurveyLimitCountsAnIPv6Slash64(t *testing.T) {
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	svc := evaluation.NewSurveys(st, evaluation.SurveyOptions{Burst: 2, Every: time.Hour})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: "lombardia"})
	sv, err := svc.CreateSurvey(ctx, &famiv1.CreateSurveyRequest{Parent: "regions/lombardia", Survey: &famiv1.Survey{
		Title: "Laboratorio", CloseTime: timestamppb.New(time.Now().Add(time.Hour)),
		Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}}}})
	if err != nil {
		t.Fatal(err)
	}
	open := func(addr string) error {
		_, err := svc.OpenSurvey(principal.WithClientAddr(t.Context(), addr), &famiv1.OpenSurveyRequest{Name: sv.GetName(), LinkKey: sv.GetLinkKey()})
		return err
	}
	for i := range 2 {
		if err := open("2001:db8:0:1::1"); err != nil {
			t.Fatalf("open %d within the burst: %v", i+1, err)
		}
	}
	for _, addr := range []string{"2001:db8:0:1::2", "2001:db8:0:1:ffff:ffff:ffff:ffff"} {
		if err := open(addr); errs.As(err) == nil || errs.As(err).Reason != errs.TooManySurveyRequests {
			t.Errorf("from %s, in a /64 past its burst: got %v, want TOO_MANY_SURVEY_REQUESTS", addr, err)
		}
	}
	for _, addr := range []string{"2001:db8:0:2::1", "192.0.2.1"} {
		if err := open(addr); err != nil {
			t.Errorf("from %s, outside that /64: %v, want the form", addr, err)
		}
	}
}

// TestSurveyClosesInTheCalendar: a survey's closing time stops at the
// last date every date field takes (check.MaxDate), as a year 9999 is
// no one's closing day; the last day itself is taken.
func TestSurveyClosesInTheCalendar(t *testing.T) {
	t.Parallel()
	st := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	svc := evaluation.NewSurveys(st, evaluation.SurveyOptions{})
	ctx := principal.With(t.Context(), principal.Principal{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: "lombardia"})
	survey := func(close time.Time) *famiv1.CreateSurveyRequest {
		return &famiv1.CreateSurveyRequest{Parent: "regions/lombardia", Survey: &famiv1.Survey{Title: "Gradimento", CloseTime: timestamppb.New(close),
			Questions: []*famiv1.SurveyQuestion{{Id: "utilita", Text: "Utile?", Kind: famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE}}}}
	}
	_, err := svc.CreateSurvey(ctx, survey(time.Date(9999, 12, 31, 22, 59, 0, 0, time.UTC)))
	if errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error(), "survey.close_time") {
		t.Errorf("a survey open until 9999: %v, want INVALID_ARGUMENT on survey.close_time", err)
	}
	if _, err := svc.CreateSurvey(ctx, survey(time.Date(2199, 12, 31, 12, 0, 0, 0, time.UTC))); err != nil {
		t.Errorf("a survey open until %s: %v", check.MaxDate, err)
	}
}
