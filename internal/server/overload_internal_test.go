package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// TestTapYieldsBeforeRefusing: the gRPC tap gives the processor to the
// calls already admitted before it refuses one (so refusing cannot starve
// them, docs/benchmarks.md "Overload (issue 17)"), and does not when it
// admits a call.
func TestTapYieldsBeforeRefusing(t *testing.T) {
	s := newShedder(1, time.Hour, defaultRefusedBodyLimit, newMetrics(), slog.New(slog.DiscardHandler))
	const method = "/fami.v1.PartnerService/GetPartner"
	s.unary = map[string]bool{method: true}
	yields := 0
	s.yield = func() { yields++ }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if _, err := s.tap(ctx, &tap.Info{FullMethodName: method}); err != nil || yields != 0 {
		t.Fatalf("first call: %v, %d yields; want it admitted without yielding", err, yields)
	}
	_, err := s.tap(t.Context(), &tap.Info{FullMethodName: method})
	if status.Code(err) != codes.ResourceExhausted || yields != 1 {
		t.Errorf("second call: %v, %d yields; want RESOURCE_EXHAUSTED after one yield", err, yields)
	}
}

// An HTTP call without a body to wait for keeps its slot until it ends,
// however long it takes to reach its handler (nothing before the handler
// waits for the client); one with a body gives it back after the hold.
func TestHoldOnlyForABodyToCome(t *testing.T) {
	const hold = 10 * time.Millisecond
	s := newShedder(1, hold, defaultRefusedBodyLimit, newMetrics(), slog.New(slog.DiscardHandler))
	admit := func(body io.Reader) (served bool) {
		h := s.admitREST(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			time.Sleep(3 * hold)
			served = s.take() // free only if the call gave its slot back
			if served {
				s.free()
			}
		}), func(*http.Request) string { return "" }) // the route's name plays no part here
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/regions/lombardia/partners", body))
		return served
	}
	if admit(nil) {
		t.Error("a call without a body gave its slot back before reaching its handler")
	}
	if !admit(strings.NewReader("{}")) {
		t.Error("a call with a body kept its slot past the hold")
	}
	if !s.take() {
		t.Error("a slot was not given back when its call ended")
	}
}

// The refusals encoded once at start are, byte for byte, what encoding
// each refusal wrote: connect-go's ErrorWriter for a Connect unary or a
// gRPC-Web call of each codec, the problem document on REST.
func TestCannedRefusals(t *testing.T) {
	s := newShedder(1, time.Hour, defaultRefusedBodyLimit, newMetrics(), slog.New(slog.DiscardHandler))
	st := toStatus(t.Context(), slog.New(slog.DiscardHandler), "", errOverloaded)
	check := func(name string, canned *cannedAnswer, write func(http.ResponseWriter)) {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		write(want)
		canned.replay(got)
		if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
			t.Errorf("%s: replayed %d %v %q, want %d %v %q", name, got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
		if got.Header().Get("Retry-After") != "1" {
			t.Errorf("%s: Retry-After %q, want 1", name, got.Header().Get("Retry-After"))
		}
	}
	if len(s.connectAnswers) != len(cannedContentTypes) {
		t.Fatalf("%d canned Connect and gRPC-Web refusals, want %d", len(s.connectAnswers), len(cannedContentTypes))
	}
	for ct, canned := range s.connectAnswers {
		r := httptest.NewRequest(http.MethodPost, "/fami.v1.PartnerService/GetPartner", strings.NewReader("{}"))
		r.Header.Set("Content-Type", ct)
		r.Header.Set("Connect-Protocol-Version", "1")
		check(ct, canned, func(w http.ResponseWriter) { s.errw.Write(w, r, s.connectRefusal) })
	}
	check("rest", s.restAnswer, func(w http.ResponseWriter) { writeProblem(w, problemFromStatus(st), shedRetryAfter) })
}
