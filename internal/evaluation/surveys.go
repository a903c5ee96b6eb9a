package evaluation

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/disclosure"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

const (
	// indexSurveyKeys maps a survey's id to the secret its answer tickets
	// are signed with: an index, not a field, so that it never reaches a
	// reader or the change log.
	indexSurveyKeys = "survey_keys"
	// indexSurveyLinks maps a survey's id to its link_key, kept out of the
	// record for the same reason: the network staff being evaluated read
	// the region's surveys and the change feed carries records, and a link
	// would let them answer their own survey. Get and List add it for the
	// survey's assessors only (mayShareLink). Surveys created before the
	// index hold the key in the record until their next write (linkOf).
	indexSurveyLinks = "survey_links"
	// indexTicketsUsed holds "{survey id}\x00{nonce}" for every ticket
	// counted, written in the transaction that counts it.
	indexTicketsUsed = "survey_tickets_used"
	maxQuestions     = 20
	maxScore         = 5
)

// SurveyOptions configure NewSurveys.
type SurveyOptions struct {
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
	// Burst and Every bound the opens and answers of one client
	// (principal.Client: an IPv4 address, an IPv6 /64): a burst (a room
	// behind one address answering at the end of a workshop), then one per
	// Every. Default 60 and one a second.
	Burst int
	Every time.Duration
}

// Surveys implements fami.v1.SurveyService.
type Surveys struct {
	famiv1.UnimplementedSurveyServiceServer
	store   store.Store
	now     func() time.Time
	clients *auth.LoginLimiter
}

// NewSurveys returns the survey service over a store.
func NewSurveys(s store.Store, opts SurveyOptions) *Surveys {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Burst == 0 {
		opts.Burst = 60
	}
	if opts.Every == 0 {
		opts.Every = time.Second
	}
	return &Surveys{store: s, now: opts.Now, clients: auth.NewLoginLimiter(opts.Burst, opts.Every)}
}

// admit opens a participant's call on the survey called name: it spends
// one of the client's attempts (every open and answer counts), then
// returns the survey's region.
func (s *Surveys) admit(ctx context.Context, name string) (region string, err error) {
	release, wait, ok := s.clients.Take("survey:"+principal.Client(ctx), s.now())
	if !ok {
		secs := int(math.Ceil(wait.Seconds()))
		return "", errs.TooManySurveyRequests.With(errs.Error{RetryAfter: secs,
			Message: "too many survey requests from your address: try again later"})
	}
	release(false)
	return aip.RegionOfName("name", name, resource.Surveys)
}

// validateSurvey checks a new survey.
func (s *Surveys) validateSurvey(tx store.ReadTx, sv *famiv1.Survey, region string) error {
	var v errs.Violations
	check.Text(&v, "survey.title", sv.GetTitle(), true, 300, false)
	check.Text(&v, "survey.subject", sv.GetSubject(), false, 300, false)
	m := &famiv1.Meeting{}
	refs := resource.Refs{Tx: tx, V: &v, Region: region}
	if refs.Optional("survey.meeting", sv.GetMeeting(), resource.Meetings, m) {
		// A survey of a meeting evaluates its networks, which take no
		// new evaluation once archived (ADR 36).
		for _, n := range m.GetNetworks() {
			resource.RefRead(tx, &v, "survey.meeting", n, resource.Networks, &famiv1.Network{})
		}
	}
	check.Listed(&v, "survey.questions", len(sv.GetQuestions()), maxQuestions, "questions", "")
	seen := check.Set[string]{}
	for i, q := range sv.GetQuestions() {
		f := errs.Indexed("survey.questions", i)
		if aip.CheckID(f+".id", q.GetId()) != nil {
			v.Add(f+".id", "%q is not an id: lowercase letters, digits and hyphens", errs.Clip(q.GetId(), errs.MaxEcho))
		} else if seen.Again(q.GetId()) {
			v.Add(f+".id", "%q is used by another question", q.GetId())
		}
		check.Text(&v, f+".text", q.GetText(), true, 500, false)
		check.Enum(&v, f+".kind", q.GetKind(), true)
	}
	switch ct := sv.GetCloseTime(); {
	case ct == nil:
		v.Add("survey.close_time", "is required")
	case ct.CheckValid() != nil || !ct.AsTime().After(s.now()):
		v.Add("survey.close_time", "must be a time in the future")
	case ct.AsTime().Format(time.DateOnly) > check.MaxDate:
		// Every date stops at check.MaxDate: a survey open until 9999
		// was taken as typed.
		v.Add("survey.close_time", "must be on or before %s", check.MaxDate)
	}
	return v.Err()
}

// CreateSurvey implements fami.v1.SurveyService.
func (s *Surveys) CreateSurvey(ctx context.Context, req *famiv1.CreateSurveyRequest) (*famiv1.Survey, error) {
	linkKey, secret := randomKey(), randomKey()
	return resource.Create(ctx, s.store, req, "survey", req.GetSurvey(), req.GetSurveyId(), func(tx store.WriteTx, id string) (*famiv1.Survey, error) {
		region := tx.Region()
		in := req.GetSurvey()
		sv := &famiv1.Survey{Title: in.GetTitle(), Meeting: in.GetMeeting(), Subject: in.GetSubject(), Questions: in.GetQuestions(), CloseTime: in.GetCloseTime()}
		sv.Name = aip.Name(region, resource.Surveys, id)
		if err := s.validateSurvey(tx, sv, region); err != nil {
			return nil, err
		}
		if err := resource.Absent(tx, sv, "survey_id"); err != nil {
			return nil, err
		}
		for _, q := range sv.GetQuestions() {
			r := &famiv1.QuestionResult{Question: q.GetId()}
			if q.GetKind() == famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE {
				r.ScoreCounts = make([]int64, maxScore)
			}
			sv.Results = append(sv.Results, r)
		}
		if err := tx.IndexPut(indexSurveyKeys, id, secret); err != nil {
			return nil, err
		}
		if err := tx.IndexPut(indexSurveyLinks, id, linkKey); err != nil {
			return nil, err
		}
		if err := registry.SetRefs(tx, sv.GetName(), nil, surveyRefs(sv)); err != nil {
			return nil, err
		}
		if err := tx.Put(sv); err != nil {
			return nil, err
		}
		out := proto.CloneOf(sv)
		out.LinkKey = linkKey // the creator is one of the survey's assessors
		return out, nil
	})
}

// surveyRefs lists what a survey references, so that none of it can be
// deleted while the survey stands: its meeting, when it has one (a
// deleted meeting left the survey naming nothing).
func surveyRefs(sv *famiv1.Survey) []string {
	if sv.GetMeeting() == "" {
		return nil
	}
	return []string{sv.GetMeeting()}
}

// mayShareLink reports whether the caller may see the link_key of a survey
// of region: the survey's assessors (DESIGN.md: evaluations are the
// region's, run by its administrators and consultants), not the network
// staff being evaluated, the ministry or a regional system.
func mayShareLink(ctx context.Context, region string) bool {
	p := principal.From(ctx)
	return p.Region == region && slices.Contains(assessors, p.Role)
}

// linkOf is the link_key of the stored survey sv.
func linkOf(tx store.ReadTx, sv *famiv1.Survey) string {
	if key, ok := tx.IndexGet(indexSurveyLinks, resource.ID(sv.GetName())); ok {
		return key
	}
	return sv.GetLinkKey()
}

// shown fills or clears sv's link_key for the caller (see mayShareLink),
// and withholds from any other reader the figures few enough to point at
// who answered (withheld).
func shown(ctx context.Context, tx store.ReadTx, sv *famiv1.Survey) {
	if mayShareLink(ctx, tx.Region()) {
		sv.LinkKey = linkOf(tx, sv)
		return
	}
	sv.LinkKey = ""
	withheld(sv)
}

// ShownChanges is the change feed's rule for surveys (feed.Options.Shown):
// a reader of region's changes who is not one of its assessors reads each
// survey in them as Get shows it, its counts below disclosure.MinPersons
// withheld; an assessor reads the changes as written (a nil show).
func ShownChanges(ctx context.Context, region string) func(*famiv1.Change) *famiv1.Change {
	if mayShareLink(ctx, region) {
		return nil
	}
	return func(ch *famiv1.Change) *famiv1.Change {
		if ch.GetResourceType() != surveyType || ch.GetResource() == nil {
			return ch
		}
		sv := &famiv1.Survey{}
		out := proto.CloneOf(ch)
		if err := ch.GetResource().UnmarshalTo(sv); err != nil {
			out.Resource = nil // what cannot be read cannot be shown
			return out
		}
		withheld(sv)
		if err := out.GetResource().MarshalFrom(sv); err != nil {
			out.Resource = nil
		}
		return out
	}
}

// surveyType is a survey's resource_type in the change log.
var surveyType = string(proto.MessageName(&famiv1.Survey{}))

// withheld empties the counts of sv below disclosure.MinPersons, and marks
// them withheld: the participants' count, and each question's results
// whose answers are that few. Only the survey's assessors, who run it,
// read every count (ADR 37); the network staff evaluated, the ministry
// and regional systems read what open data would publish.
func withheld(sv *famiv1.Survey) {
	if disclosure.Withheld(sv.GetResponses()) {
		sv.Responses, sv.ResponsesWithheld = 0, true
	}
	for i, r := range sv.GetResults() {
		if disclosure.Withheld(r.GetAnswers()) {
			sv.Results[i] = &famiv1.QuestionResult{Question: r.GetQuestion(), Withheld: true}
		}
	}
}

// GetSurvey implements fami.v1.SurveyService.
func (s *Surveys) GetSurvey(ctx context.Context, req *famiv1.GetSurveyRequest) (*famiv1.Survey, error) {
	return resource.GetShown(ctx, s.store, resource.Surveys, req.GetName(), func(tx store.ReadTx, sv *famiv1.Survey) error {
		shown(ctx, tx, sv)
		return nil
	})
}

// ListSurveys implements fami.v1.SurveyService.
func (s *Surveys) ListSurveys(ctx context.Context, req *famiv1.ListSurveysRequest) (*famiv1.ListSurveysResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	// The filter keeps every survey and shows each to the caller, in the
	// page's snapshot, where the link index is.
	return resource.ListWithin[*famiv1.ListSurveysResponse](ctx, s.store, region, req, func(tx store.ReadTx) (string, func(*famiv1.Survey) (bool, error), error) {
		return resource.Surveys, func(sv *famiv1.Survey) (bool, error) { shown(ctx, tx, sv); return true, nil }, nil
	})
}

// closed is the refusal after a survey's closing time.
func closed(sv *famiv1.Survey) error {
	return errs.SurveyClosed.New("the survey closed at %s", sv.GetCloseTime().AsTime().Format(time.RFC3339))
}

// notFound is the answer to a wrong link, the same whether or not the
// survey exists.
func notFound(name string) error {
	return errs.NotFoundf("%s not found, or the link is wrong", errs.Clip(name, errs.MaxEcho))
}

// OpenSurvey implements fami.v1.SurveyService.
func (s *Surveys) OpenSurvey(ctx context.Context, req *famiv1.OpenSurveyRequest) (*famiv1.SurveyForm, error) {
	region, err := s.admit(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	form := &famiv1.SurveyForm{}
	err = s.store.View(ctx, region, func(tx store.ReadTx) error {
		sv := &famiv1.Survey{}
		switch found, err := store.Find(tx, req.GetName(), sv); {
		case err != nil:
			return err // a damaged record (DATA_LOSS): not a wrong link
		case !found || !hmac.Equal([]byte(linkOf(tx, sv)), []byte(req.GetLinkKey())):
			return notFound(req.GetName())
		}
		if !s.now().Before(sv.GetCloseTime().AsTime()) {
			return closed(sv)
		}
		secret, err := secretOf(tx, sv)
		if err != nil {
			return err
		}
		nonce := randomKey()
		form.Name, form.Title, form.Subject, form.Questions, form.CloseTime = sv.GetName(), sv.GetTitle(), sv.GetSubject(), sv.GetQuestions(), sv.GetCloseTime()
		form.Ticket = nonce + "." + sign(secret, sv.GetName(), nonce)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return form, nil
}

// badTicket is the answer to a ticket that is not one of the named
// survey's forms, and to a survey that does not exist: without a ticket,
// as without the link (notFound), nobody learns which surveys exist.
func badTicket() error {
	return errs.InvalidField("ticket", "is not a ticket of this survey's form")
}

// AnswerSurvey implements fami.v1.SurveyService. The ticket is checked
// and marked used in the transaction that adds the answers to the counts,
// so no ticket counts twice, however the submission is repeated.
func (s *Surveys) AnswerSurvey(ctx context.Context, req *famiv1.AnswerSurveyRequest) (*famiv1.AnswerSurveyResponse, error) {
	region, err := s.admit(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	nonce, mac, ok := strings.Cut(req.GetTicket(), ".")
	if !ok || len(nonce) > 64 || len(mac) > 64 {
		return nil, badTicket()
	}
	// Answers carry no identity: the change log records them as the
	// anonymous principal, and only as the survey's new counts.
	m, err := store.MutationOf(principal.With(ctx, principal.Anonymous), "", req)
	if err != nil {
		return nil, err
	}
	_, err = store.Modify(ctx, s.store, region, m, req.GetName(), "", func(tx store.WriteTx, sv *famiv1.Survey) (*famiv1.AnswerSurveyResponse, error) {
		secret, err := secretOf(tx, sv)
		if err != nil {
			return nil, err
		}
		if !hmac.Equal([]byte(mac), []byte(sign(secret, sv.GetName(), nonce))) {
			return nil, badTicket()
		}
		if !s.now().Before(sv.GetCloseTime().AsTime()) {
			return nil, closed(sv)
		}
		used := store.Key(resource.ID(sv.GetName()), nonce)
		if _, dup := tx.IndexGet(indexTicketsUsed, used); dup {
			return nil, errs.TicketUsed.New("these answers were already counted: each form counts once")
		}
		if err := count(sv, req.GetAnswers()); err != nil {
			return nil, err
		}
		if err := tx.IndexPut(indexTicketsUsed, used, ""); err != nil {
			return nil, err
		}
		if err := linkOutOfRecord(tx, sv); err != nil {
			return nil, err
		}
		return &famiv1.AnswerSurveyResponse{}, tx.Put(sv)
	})
	if errs.CodeOf(err) == errs.NotFound {
		return nil, badTicket()
	}
	if err != nil {
		return nil, err
	}
	return &famiv1.AnswerSurveyResponse{}, nil
}

// linkOutOfRecord moves the link_key of a survey created before the link
// index from its record to the index, so that the write about to be made
// does not carry it into the change log again.
func linkOutOfRecord(tx store.WriteTx, sv *famiv1.Survey) error {
	if sv.GetLinkKey() == "" {
		return nil
	}
	if err := tx.IndexPut(indexSurveyLinks, resource.ID(sv.GetName()), sv.GetLinkKey()); err != nil {
		return err
	}
	sv.LinkKey = ""
	return nil
}

// count adds answers to a survey's results, after checking them all.
func count(sv *famiv1.Survey, answers []*famiv1.SurveyAnswer) error {
	var v errs.Violations
	kinds := map[string]int{}
	for i, q := range sv.GetQuestions() {
		kinds[q.GetId()] = i
	}
	seen := check.Set[string]{}
	for i, a := range answers {
		f := errs.Indexed("answers", i)
		qi, ok := kinds[a.GetQuestion()]
		switch {
		case !ok:
			v.Add(f+".question", "%q is not a question of the survey", errs.Clip(a.GetQuestion(), errs.MaxEcho))
			continue
		case seen.Again(a.GetQuestion()):
			v.Add(f+".question", "%q is answered twice", a.GetQuestion())
		}
		if sv.GetQuestions()[qi].GetKind() == famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE && (a.GetScore() < 1 || a.GetScore() > maxScore) {
			v.Add(f+".score", "%d is not a score from 1 to %d", a.GetScore(), maxScore)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	sv.Responses++
	for _, a := range answers {
		qi := kinds[a.GetQuestion()]
		r := sv.GetResults()[qi]
		r.Answers++
		switch sv.GetQuestions()[qi].GetKind() {
		case famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_SCORE:
			r.ScoreCounts[a.GetScore()-1]++
			var sum int64
			for s, n := range r.GetScoreCounts() {
				sum += int64(s+1) * n
			}
			r.Mean = float64(sum) / float64(r.GetAnswers())
		case famiv1.SurveyQuestionKind_SURVEY_QUESTION_KIND_RECOMMEND:
			if a.GetRecommend() {
				r.Recommend++
			}
			r.RecommendShare = float64(r.GetRecommend()) / float64(r.GetAnswers())
		}
	}
	return nil
}

// secretOf is the secret the tickets of the stored survey sv are signed
// with. Every survey has had one since it was created; a missing one is
// damage (a partly restored file), and signing with an empty key would let
// anybody forge tickets, so it is DATA_LOSS, as a damaged record is.
func secretOf(tx store.ReadTx, sv *famiv1.Survey) (string, error) {
	secret, ok := tx.IndexGet(indexSurveyKeys, resource.ID(sv.GetName()))
	if !ok || secret == "" {
		return "", errs.RecordCorrupt.With(errs.Error{
			Message:  errs.Sprintf("the ticket secret of %s is missing from its region's records: restore the region from a backup", sv.GetName()),
			Metadata: map[string]string{"record": indexSurveyKeys + "/" + resource.ID(sv.GetName())},
		})
	}
	return secret, nil
}

// sign is a ticket's MAC: the survey's secret over its name and the nonce.
func sign(secret, survey, nonce string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(survey + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// randomKey is 128 random bits, base64url.
func randomKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
