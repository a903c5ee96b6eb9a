package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// counted is a mutation that puts a partner and counts its runs.
type counted struct {
	calls  atomic.Int64
	region string
	id     string
}

func (c *counted) fn(tx store.WriteTx) (proto.Message, error) {
	c.calls.Add(1)
	p := newPartner(c.region, c.id)
	if err := tx.Put(p); err != nil {
		return nil, err
	}
	return p, nil
}

// update runs fn in c's region as mutation m and fails the test, as what,
// when Update fails.
func (c *counted) update(t testing.TB, s store.Store, m store.Mutation, what string) proto.Message {
	t.Helper()
	res, err := s.Update(t.Context(), c.region, m, c.fn)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return res
}

// wantCalls fails the test unless fn ran want times.
func (c *counted) wantCalls(t testing.TB, what string, want int64) {
	t.Helper()
	if got := c.calls.Load(); got != want {
		t.Errorf("%s: fn ran %d times, want %d", what, got, want)
	}
}

// requestMutation returns the mutation of a CreatePartner request.
func requestMutation(principal, requestID, displayName string) store.Mutation {
	req := &famiv1.CreatePartnerRequest{
		Parent:    "regions/lombardia",
		PartnerId: "p1",
		Partner:   &famiv1.Partner{DisplayName: displayName},
		RequestId: requestID,
	}
	return store.Mutation{Principal: principal, RequestID: requestID, Fingerprint: store.Fingerprint(req)}
}

func testRequestID(t *testing.T, open func(t *testing.T) store.Store) {
	subtests[store.Store]{
		{"Replay", requestIDReplay},
		{"DifferentRequest", requestIDDifferentRequest},
		{"PerPrincipal", requestIDPerPrincipal},
		{"PerRegion", requestIDPerRegion},
		{"FailedAttemptIsNotRecorded", requestIDFailedAttemptIsNotRecorded},
		{"NoRequestID", requestIDNoRequestID},
		{"LongFingerprint", requestIDLongFingerprint},
		{"Mutate", requestIDMutate},
		{"ConcurrentRetries", requestIDConcurrentRetries},
		{"ValidateOnly", requestIDValidateOnly},
	}.run(t, open)
}

func requestIDReplay(t *testing.T, s store.Store) {
	m := requestMutation("users/alice", "4a1f7c52-request-1", "Comune di Milano")
	c := &counted{region: lombardia, id: "p1"}
	first := c.update(t, s, m, "first Update")
	rev := revision(t, s, lombardia)
	log := changes(t, s, lombardia, 0)

	again := c.update(t, s, m, "retried Update")
	c.wantCalls(t, "after a retry", 1)
	wantProto(t, "retried result", again, first)
	if got := revision(t, s, lombardia); got != rev {
		t.Errorf("revision after a retry: got %d, want %d", got, rev)
	}
	if got := changes(t, s, lombardia, 0); len(got) != len(log) {
		t.Errorf("changes after a retry: got %d, want %d", len(got), len(log))
	}

	// The first result is replayed even after the resource changed.
	upd := proto.Clone(first).(*famiv1.Partner)
	upd.DisplayName = "changed since"
	put(t, s, alice, upd)
	later := c.update(t, s, m, "Update retried after a change")
	c.wantCalls(t, "after a retry following a change", 1)
	wantProto(t, "result retried after a change", later, first)
}

func requestIDDifferentRequest(t *testing.T, s store.Store) {
	m := requestMutation("users/alice", "request-1", "Comune di Milano")
	c := &counted{region: lombardia, id: "p1"}
	c.update(t, s, m, "first Update")
	rev := revision(t, s, lombardia)

	other := requestMutation("users/alice", "request-1", "Comune di Monza")
	if bytes.Equal(other.Fingerprint, m.Fingerprint) {
		t.Fatal("two different requests have the same fingerprint")
	}
	res, err := s.Update(t.Context(), lombardia, other, c.fn)
	wantCode(t, "Update reusing a request_id", err, errs.Invalid)
	reused := func(v errs.Violation) bool { return v.Field == "request_id" && v.Reason == errs.RequestIDReused }
	if e := errs.As(err); e == nil || !slices.ContainsFunc(e.Violations, reused) {
		t.Errorf("Update reusing a request_id: got %v, want a violation of field request_id, reason %s", err, errs.RequestIDReused)
	}
	if res != nil {
		t.Errorf("result of a rejected Update: got %v, want nil", res)
	}
	c.wantCalls(t, "after reusing a request_id", 1)
	if got := revision(t, s, lombardia); got != rev {
		t.Errorf("revision: got %d, want %d", got, rev)
	}

	// The rejection recorded nothing: the first request still replays.
	if _, err := s.Update(t.Context(), lombardia, m, c.fn); err != nil {
		t.Errorf("retry of the first request: %v", err)
	}
	c.wantCalls(t, "after retrying the first request", 1)
}

func requestIDPerPrincipal(t *testing.T, s store.Store) {
	ma := requestMutation("users/alice", "request-1", "Comune di Milano")
	mb := requestMutation("users/bob", "request-1", "Comune di Milano")
	ca := &counted{region: lombardia, id: "p1"}
	cb := &counted{region: lombardia, id: "p2"}
	ra := ca.update(t, s, ma, "alice's Update")
	rb := cb.update(t, s, mb, "bob's Update")
	cb.wantCalls(t, "bob's Update with alice's request_id", 1)
	if proto.Equal(ra, rb) {
		t.Errorf("bob's result: got alice's %v", ra)
	}
	if got := revision(t, s, lombardia); got != 2 {
		t.Errorf("revision: got %d, want 2", got)
	}
	if chs := changes(t, s, lombardia, 1); len(chs) != 1 || chs[0].GetPrincipal() != "users/bob" {
		t.Errorf("change by bob: got %v", chs)
	}
}

func requestIDPerRegion(t *testing.T, s store.Store) {
	m := requestMutation("users/alice", "request-1", "Comune di Milano")
	cl := &counted{region: lombardia, id: "p1"}
	cv := &counted{region: veneto, id: "p1"}
	cl.update(t, s, m, "Update in lombardia")
	cv.update(t, s, m, "Update in veneto")
	cv.wantCalls(t, "Update in veneto with lombardia's request_id", 1)
	getPartner(t, s, partnerName(veneto, "p1"))
}

func requestIDFailedAttemptIsNotRecorded(t *testing.T, s store.Store) {
	m := requestMutation("users/alice", "request-1", "Comune di Milano")
	failing := 0
	_, err := s.Update(t.Context(), lombardia, m, func(tx store.WriteTx) (proto.Message, error) {
		failing++
		if err := tx.Put(newPartner(lombardia, "p1")); err != nil {
			return nil, err
		}
		return nil, errBoom
	})
	if !errors.Is(err, errBoom) || failing != 1 {
		t.Fatalf("failing Update: got %v after %d runs, want %v after 1", err, failing, errBoom)
	}
	c := &counted{region: lombardia, id: "p1"}
	first := c.update(t, s, m, "Update after a failed attempt")
	c.wantCalls(t, "retry after a failed attempt", 1)
	again := c.update(t, s, m, "second retry")
	c.wantCalls(t, "retry after a success", 1)
	wantProto(t, "second retry's result", again, first)
	if got := revision(t, s, lombardia); got != 1 {
		t.Errorf("revision: got %d, want 1", got)
	}
}

func requestIDNoRequestID(t *testing.T, s store.Store) {
	m := store.Mutation{Principal: "users/alice", Fingerprint: requestMutation("users/alice", "", "x").Fingerprint}
	c := &counted{region: lombardia, id: "p1"}
	for range 2 {
		c.update(t, s, m, "Update")
	}
	c.wantCalls(t, "two Updates without request_id", 2)
	if got := revision(t, s, lombardia); got != 2 {
		t.Errorf("revision: got %d, want 2", got)
	}
}

// requestIDLongFingerprint: fingerprint is any byte string; a caller may
// use its own scheme.
func requestIDLongFingerprint(t *testing.T, s store.Store) {
	fp := bytes.Repeat([]byte("0123456789abcdef"), 20)
	m := store.Mutation{Principal: "users/alice", RequestID: "request-1", Fingerprint: fp}
	c := &counted{region: lombardia, id: "p1"}
	first := c.update(t, s, m, "first Update")
	again := c.update(t, s, m, fmt.Sprintf("retry with the same %d-byte fingerprint", len(fp)))
	c.wantCalls(t, "retry", 1)
	wantProto(t, "retried result", again, first)

	other := bytes.Clone(fp)
	other[len(other)-1] ^= 1
	_, err := s.Update(t.Context(), lombardia, store.Mutation{Principal: "users/alice", RequestID: "request-1", Fingerprint: other}, c.fn)
	wantCode(t, "Update with a fingerprint differing in its last byte", err, errs.Invalid)
}

func requestIDMutate(t *testing.T, s store.Store) {
	m := requestMutation("users/alice", "request-1", "Comune di Milano")
	calls := 0
	fn := func(tx store.WriteTx) (*famiv1.Partner, error) {
		calls++
		p := newPartner(lombardia, "p1")
		return p, tx.Put(p)
	}
	first, err := store.Mutate(t.Context(), s, lombardia, m, fn)
	if err != nil {
		t.Fatalf("first Mutate: %v", err)
	}
	again, err := store.Mutate(t.Context(), s, lombardia, m, fn)
	if err != nil {
		t.Fatalf("retried Mutate: %v", err)
	}
	if calls != 1 {
		t.Errorf("fn runs: got %d, want 1", calls)
	}
	if again.GetEtag() == "" || again.GetEtag() != first.GetEtag() {
		t.Errorf("retried etag: got %q, want %q", again.GetEtag(), first.GetEtag())
	}
	wantProto(t, "retried Mutate result", again, first)
}

func requestIDConcurrentRetries(t *testing.T, s store.Store) {
	m := requestMutation("users/alice", "request-1", "Comune di Milano")
	c := &counted{region: lombardia, id: "p1"}
	results := make([]proto.Message, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			res, err := s.Update(t.Context(), lombardia, m, c.fn)
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	c.wantCalls(t, "8 concurrent attempts of one request", 1)
	for i, res := range results[1:] {
		wantProto(t, fmt.Sprintf("result of attempt %d", i+1), res, results[0])
	}
	if got := revision(t, s, lombardia); got != 1 {
		t.Errorf("revision: got %d, want 1", got)
	}
}

func testCheckEtag(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	p, _ := put(t, s, alice, newPartner(lombardia, "p1"))
	stale := p.GetEtag()
	if err := store.CheckEtag(p, ""); err != nil {
		t.Errorf("CheckEtag with no etag: %v", err)
	}
	if err := store.CheckEtag(p, p.GetEtag()); err != nil {
		t.Errorf("CheckEtag with the current etag: %v", err)
	}

	upd := proto.Clone(p).(*famiv1.Partner)
	upd.DisplayName = "changed"
	put(t, s, bob, upd)
	cur := getPartner(t, s, p.GetName())
	if err := store.CheckEtag(cur, cur.GetEtag()); err != nil {
		t.Errorf("CheckEtag with the new etag: %v", err)
	}
	err := store.CheckEtag(cur, stale)
	wantCode(t, "CheckEtag with the etag before an update", err, errs.Conflict)
	if e := errs.As(err); e == nil || e.Reason != "ETAG_MISMATCH" {
		t.Errorf("CheckEtag reason: got %v, want ETAG_MISMATCH", err)
	}
}

// requestIDValidateOnly: a validate-only Mutate (AIP-163) runs fn and
// answers its result, stamped as the write would be, and writes nothing:
// no resource, revision or change; fn's refusal is its answer. Its
// request id is neither recorded nor replayed (MutationOf leaves it out):
// the real write under it runs fn.
func requestIDValidateOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	req := &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "p1", RequestId: "request-1", ValidateOnly: true}
	m, err := store.MutationOf(ctx, req.GetRequestId(), req)
	if err != nil || !m.ValidateOnly || m.RequestID != "" {
		t.Fatalf("MutationOf a validate-only request: %+v, %v; want ValidateOnly without its request id", m, err)
	}
	rev := revision(t, s, lombardia)
	log := changes(t, s, lombardia, 0)
	calls := 0
	fn := func(tx store.WriteTx) (*famiv1.Partner, error) {
		calls++
		p := newPartner(lombardia, "p1")
		return p, tx.Put(p)
	}
	checked, err := store.Mutate(ctx, s, lombardia, m, fn)
	if err != nil || checked.GetName() != newPartner(lombardia, "p1").GetName() || checked.GetEtag() == "" {
		t.Fatalf("validate-only Mutate: %v, %v; want the partner as written", checked, err)
	}
	if got := revision(t, s, lombardia); got != rev {
		t.Errorf("revision after a validate-only Mutate: got %d, want %d", got, rev)
	}
	if got := changes(t, s, lombardia, 0); len(got) != len(log) {
		t.Errorf("changes after a validate-only Mutate: got %d, want %d", len(got), len(log))
	}
	err = s.View(ctx, lombardia, func(tx store.ReadTx) error { return tx.Get(checked.GetName(), &famiv1.Partner{}) })
	wantCode(t, "Get after a validate-only Mutate", err, errs.NotFound)

	refused := errs.InvalidField("partner.display_name", "is required")
	_, err = store.Mutate(ctx, s, lombardia, m, func(store.WriteTx) (*famiv1.Partner, error) { return nil, refused })
	wantCode(t, "validate-only Mutate refused", err, errs.Invalid)

	req.ValidateOnly = false
	if m, err = store.MutationOf(ctx, req.GetRequestId(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Mutate(ctx, s, lombardia, m, fn); err != nil {
		t.Fatalf("the write under the check's request id: %v", err)
	}
	if calls != 2 {
		t.Errorf("fn ran %d times, want 2 (the check's request id replays nothing)", calls)
	}
}
