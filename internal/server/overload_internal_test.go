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

	"github.com/raccordo/raccordo/internal/waittest"
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
//
// The test waits on the ticket's state, not on a duration: it used to
// sleep three holds in the handler and then expect the slot free, which
// failed on a loaded machine. Once the process had been held off a core
// for longer than the sleep, the sleep's timer and the hold's fired in
// the same pass, and the handler could run before the goroutine of
// time.AfterFunc that gives the slot back.
func TestHoldOnlyForABodyToCome(t *testing.T) {
	const hold = 10 * time.Millisecond
	s := newShedder(1, hold, defaultRefusedBodyLimit, newMetrics(), slog.New(slog.DiscardHandler))
	admit := func(body io.Reader, reached func(*ticket)) (served bool) {
		h := s.admitREST(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			reached(ticketOf(r.Context()))
			served = s.take() // free only if the call gave its slot back
			if served {
				s.free()
			}
		}), func(*http.Request) string { return "" }) // the route's name plays no part here
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/regions/lombardia/partners", body))
		return served
	}
	// Without a body, nothing is armed that could give the slot back
	// before the handler: the ticket waits without a timer. The handler
	// is reached late, after more than the hold, as on a loaded machine.
	noBody := admit(nil, func(tk *ticket) {
		if tk == nil || tk.timer != nil || tk.state.Load() != ticketWaiting {
			t.Errorf("a call without a body reached its handler without a ticket, or with one that has a timer or no longer waits")
		}
		time.Sleep(3 * hold)
	})
	if noBody {
		t.Error("a call without a body gave its slot back before reaching its handler")
	}
	// With a body, the hold gives the slot back though the call has not
	// ended: the handler waits for that, however late the timer runs.
	withBody := admit(strings.NewReader("{}"), func(tk *ticket) {
		if tk == nil || tk.timer == nil {
			t.Fatalf("a call with a body reached its handler without a ticket, or with one without a timer")
		}
		waittest.Until(t, "the hold to give the slot back", func() bool { return len(s.slots) == 0 })
		if st := tk.state.Load(); st != ticketExpired {
			t.Errorf("the slot came back with the ticket in state %d, want expired (%d)", st, ticketExpired)
		}
	})
	if !withBody {
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
	p, _ := problemFromStatus(st)
	check("rest", s.restAnswer, func(w http.ResponseWriter) { writeProblem(w, p, shedRetryAfter) })
}
