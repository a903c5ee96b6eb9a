package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/tap"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

// DefaultMaxConcurrentCalls is the default of Config.MaxConcurrentCalls.
const DefaultMaxConcurrentCalls = 256

// shedRetryAfter is the Retry-After, in seconds, of a call refused
// because the server is at its concurrency limit.
const shedRetryAfter = 1

// defaultAdmissionHold is how long a call admitted on arrival may keep its slot
// before it reaches its handler. A call still sending its request after
// that (a slow upload, or a client that sends headers and stalls) gives
// the slot back and takes one again, or is refused, when it is whole; so
// stalled clients cannot hold the server's capacity.
const defaultAdmissionHold = time.Second

// defaultRefusedBodyLimit is the longest request body, by its
// Content-Length, that a refusal on HTTP/1.x leaves net/http to read so
// as to keep the connection (see settle): net/http's own bound
// (maxPostHandlerReadBytes), since reading a body up to it costs less than
// the new connection a closed one costs its client
// (BenchmarkRefusedBody).
const defaultRefusedBodyLimit = 256 << 10

// refusedBodyWait is how long a refusal on HTTP/1.x waits for a body
// within defaultRefusedBodyLimit that the client has not sent whole with
// its headers (see settle).
const refusedBodyWait = time.Second

// refusedBodyMargin is how long before refusedBodyWait's deadline a body
// must have come whole for its connection to be kept (see settle).
const refusedBodyMargin = 50 * time.Millisecond

// errOverloaded refuses a call beyond the limit.
var errOverloaded = errs.Overloaded.With(errs.Error{RetryAfter: shedRetryAfter,
	Message: "the server is at capacity; retry in a moment"})

// shedder bounds the unary calls the server works on at once, on every
// surface together. A call beyond the limit is refused at once with
// RESOURCE_EXHAUSTED (REST: 429) and a Retry-After rather than queued:
// under twice its capacity the server keeps serving what it can at full
// speed (queued calls would all miss their deadlines together).
//
// Calls are admitted where they arrive, before their request is read or
// decoded or their caller authenticated: gRPC calls by the listener's tap
// (grpc.InTapHandle, in the connection's reader, before a goroutine is
// started for the call), Connect, gRPC-Web and REST calls by an HTTP
// middleware. A refusal then costs only the transport's handling of the
// call's headers and the writing of the answer: on gRPC about 15 µs of
// CPU, against 33-37 µs for a served GetPartner and about 150 µs for a
// CreatePartner (docs/benchmarks.md, "Overload (issue 17)"). A call is
// counted from its arrival until its handler returns (Little's law: the calls in the
// server, not only those in a handler, are what makes the wait). Calls
// that arrive by another way (the web application's, the downloads) take
// their slot in the pipeline.
type shedder struct {
	slots chan struct{}
	// hold is how long a call admitted on arrival keeps its slot before
	// reaching its handler (defaultAdmissionHold but in tests).
	hold time.Duration
	// bodyLimit is the longest request body a refusal leaves net/http
	// to read (defaultRefusedBodyLimit but in benchmarks; see settle).
	bodyLimit int64
	// unary names the RPCs admitted on arrival
	// ("/fami.v1.PartnerService/GetPartner"); streams keep their own
	// limits (streamSlots), and health checks are never refused. Set once,
	// before the listeners serve.
	unary map[string]bool
	// refusal is errOverloaded as each edge writes it, built once (on
	// gRPC the error the tap returns, so that a refusal allocates nothing
	// of its own). On the HTTP port the answers are encoded once as well
	// (connectAnswers, restAnswer): encoding the same error for every
	// refusal was a third of a Connect refusal's CPU (docs/benchmarks.md,
	// "Overload (issue 17)", sixth pass).
	refusal        error
	connectRefusal *connect.Error
	connectAnswers map[string]*cannedAnswer
	restAnswer     *cannedAnswer
	errw           *connect.ErrorWriter
	metrics        *metrics
	// lines bounds the access lines of the refusals (overloadLines); nil
	// writes none.
	lines *overloadLines
	// stalled counts the calls that gave their slot back at the end of
	// the hold (raccordo_calls_stalled_total).
	stalled prometheus.Counter
	// yield gives the processor to other goroutines (runtime.Gosched but
	// in tests).
	yield func()
}

func newShedder(limit int, hold time.Duration, bodyLimit int64, m *metrics, log *slog.Logger) *shedder {
	st := toStatus(context.Background(), log, "", errOverloaded)
	s := &shedder{
		slots:          make(chan struct{}, limit),
		hold:           hold,
		bodyLimit:      bodyLimit,
		refusal:        st.Err(),
		connectRefusal: toConnect(st),
		errw:           connect.NewErrorWriter(),
		metrics:        m,
		stalled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "raccordo_calls_stalled_total",
			Help: "Calls that gave their place under the concurrency limit back because their request had not arrived whole within the admission hold (slow or stalled clients).",
		}),
		yield: runtime.Gosched,
	}
	s.connectAnswers = map[string]*cannedAnswer{}
	for _, ct := range cannedContentTypes {
		r := &http.Request{Method: http.MethodPost, Header: http.Header{"Content-Type": {ct}}}
		s.connectAnswers[ct] = record(func(w http.ResponseWriter) { s.errw.Write(w, r, s.connectRefusal) })
	}
	p, _ := problemFromStatus(st)
	s.restAnswer = record(func(w http.ResponseWriter) { writeProblem(w, p, shedRetryAfter) })
	// The gauge is read as it is scraped: a call pays nothing for it.
	m.reg.MustRegister(s.stalled, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "raccordo_calls_in_progress",
		Help: "Unary calls holding a place under the concurrency limit (--max-concurrent-calls), on every surface together.",
	}, func() float64 { return float64(len(s.slots)) }))
	return s
}

// cannedContentTypes are the Content-Types of the POSTs of Connect unary
// and gRPC-Web calls as their clients send them, whose refusals are
// written once (connectAnswers): connect-go's ErrorWriter chooses an
// answer's form from the request's method and Content-Type alone. The
// ErrorWriter still writes the refusal of any other request (gRPC, a
// Connect GET or stream, another spelling).
var cannedContentTypes = []string{"application/proto", "application/json",
	"application/grpc-web", "application/grpc-web+proto", "application/grpc-web+json"}

// A cannedAnswer is an HTTP answer written once and replayed: its
// headers, status and body. It records what is written to it.
type cannedAnswer struct {
	header http.Header
	status int
	body   []byte
}

// record returns the answer write writes.
func record(write func(http.ResponseWriter)) *cannedAnswer {
	a := &cannedAnswer{header: http.Header{}, status: http.StatusOK}
	write(a)
	for k, v := range a.header {
		// Shared by every answer: clipped, so that a header added later
		// to one answer (Header().Add) cannot write into the others'.
		a.header[k] = slices.Clip(v)
	}
	return a
}

func (a *cannedAnswer) Header() http.Header    { return a.header }
func (a *cannedAnswer) WriteHeader(status int) { a.status = status }
func (a *cannedAnswer) Write(p []byte) (int, error) {
	a.body = append(a.body, p...)
	return len(p), nil
}

// replay writes the answer to w.
func (a *cannedAnswer) replay(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// admitOnArrival sets the RPCs admitted by the transports: the unary
// methods of the platform's services among those served (servedBy).
func (s *shedder) admitOnArrival(served map[string]grpc.MethodInfo) {
	s.unary = map[string]bool{}
	for procedure, m := range served {
		if strings.HasPrefix(procedure, "/fami.") && !m.IsClientStream && !m.IsServerStream {
			s.unary[procedure] = true
		}
	}
}

// take takes a slot if one is free, without waiting.
func (s *shedder) take() bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *shedder) free() { <-s.slots }

// A slot is a unary call's place under the limit, taken on arrival (t) or
// in the pipeline; a value, so that taking one allocates nothing.
type slot struct {
	s *shedder
	t *ticket
}

// release gives the slot back; the zero slot holds none.
func (sl slot) release() {
	if sl.s == nil {
		return
	}
	if sl.t != nil {
		sl.t.done()
		return
	}
	sl.s.free()
}

// A ticket is the slot of a call admitted on arrival, carried to the
// pipeline as the call's context: one allocation where a context value
// would be two.
type ticket struct {
	context.Context
	s     *shedder
	state atomic.Int32
	// timer gives the slot back after the hold; nil when nothing before
	// the handler waits for the client.
	timer *time.Timer
	// arrived is when the call was admitted, and recorded whether the
	// pipeline has begun its record: a REST call the gateway refuses
	// before the pipeline is recorded from arrived (refuseREST).
	arrived  time.Time
	recorded atomic.Bool
	// params are the path variables of the REST route the gateway
	// matched (restRouter.checkQuery), kept so that a request it refuses
	// before the pipeline is authorised on them first (refusalOf).
	params map[string]string
	// who is the caller that authenticateEarly found, when authenticated
	// is set: the pipeline takes it rather than authenticate again.
	who           principal.Principal
	authenticated bool
}

// The states of a ticket.
const (
	ticketWaiting int32 = iota // admitted, the handler not reached yet
	ticketStarted              // in its handler
	ticketExpired              // waited past the hold: the slot is back
	ticketDone                 // the call ended: the slot is back
)

type ticketKey struct{}

// Value is the context's, and the ticket itself for ticketKey.
func (t *ticket) Value(key any) any {
	if key == (ticketKey{}) {
		return t
	}
	return t.Context.Value(key)
}

// arrive admits a call as it arrives, or refuses it; the ticket is the
// call's context from then on. With more of the request to come (wait),
// the ticket keeps its slot for the hold at most before the handler is
// reached. Without (an HTTP request without a body, a REST GET), the
// handler is reached without waiting for the client, and a timer would
// only be set and stopped (a timer and two updates of the timer heap per
// call, issue 19).
func (s *shedder) arrive(ctx context.Context, wait bool) (*ticket, error) {
	if !s.take() {
		return nil, errOverloaded
	}
	t := &ticket{Context: ctx, s: s, arrived: time.Now()}
	if wait {
		t.timer = time.AfterFunc(s.hold, t.expire)
	}
	return t, nil
}

func (t *ticket) stopTimer() {
	if t.timer != nil {
		t.timer.Stop()
	}
}

func (t *ticket) expire() {
	if t.state.CompareAndSwap(ticketWaiting, ticketExpired) {
		t.s.free()
		t.s.stalled.Inc()
	}
}

// done gives the slot back, once, when the call ends.
func (t *ticket) done() {
	switch t.state.Swap(ticketDone) {
	case ticketWaiting:
		t.stopTimer()
		t.s.free()
	case ticketStarted:
		t.s.free()
	}
}

// ticketOf returns the ticket of a call admitted on arrival: in its own
// context (gRPC, Connect, gRPC-Web) or in the context of the REST request
// that called through the gateway's in-process channel.
func ticketOf(ctx context.Context) *ticket {
	if t, ok := ctx.Value(ticketKey{}).(*ticket); ok {
		return t
	}
	if client := gatewayClient(ctx); client != nil {
		t, _ := client.Value(ticketKey{}).(*ticket)
		return t
	}
	return nil
}

// arrival is when the call of ctx was admitted on arrival, or now for a
// call that was not.
func arrival(ctx context.Context) time.Time {
	if t := ticketOf(ctx); t != nil {
		return t.arrived
	}
	return time.Now()
}

// recordedREST reports whether the pipeline has begun the record of the
// call of a REST request's context ctx.
func recordedREST(ctx context.Context) bool {
	t := ticketOf(ctx)
	return t != nil && t.recorded.Load()
}

// enter is where the pipeline counts a unary call: a call admitted on
// arrival already holds its slot (unless it took so long to arrive that it
// gave it back); any other takes one now or is refused.
func (s *shedder) enter(ctx context.Context) (slot, error) {
	if t := ticketOf(ctx); t != nil && t.state.CompareAndSwap(ticketWaiting, ticketStarted) {
		t.stopTimer()
		// The slot is given back when the handler returns, as a slot taken
		// here is, not once the answer is written: a client calling again
		// as soon as it has its answer must find it free.
		return slot{s, t}, nil
	}
	if !s.take() {
		return slot{}, errOverloaded
	}
	return slot{s: s}, nil
}

// leave gives back the slot of a stream admitted on arrival as a unary
// call (REST cannot tell a watch from a unary call before the gateway has
// routed it): streams are bounded by their own limits.
func (s *shedder) leave(ctx context.Context) {
	if t := ticketOf(ctx); t != nil {
		t.done()
	}
}

// tap is the gRPC listener's admission (grpc.InTapHandle). It runs in the
// connection's reader as a call's headers arrive; a refusal is written as
// a trailers-only answer with the RetryInfo, and no goroutine is started.
//
// Before refusing, the reader yields its processor to the calls already
// admitted. A connection's reader never waits while requests keep
// arriving, so under twice the capacity it would spend the processor
// refusing and starve the calls it admitted: receive livelock (Mogul and
// Ramakrishnan, 1997), in which the refusals' cost crowds out the work
// that produces goodput. Yielding puts the admitted calls first; the
// excess waits in the connection, where it costs nothing, until the
// reader gets the processor again and refuses it.
func (s *shedder) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if !s.unary[info.FullMethodName] {
		return ctx, nil
	}
	t, err := s.arrive(ctx, true)
	if err != nil {
		s.yield()
		c := call{procedure: info.FullMethodName, protocol: surfaceGRPC}
		if pr, ok := peer.FromContext(ctx); ok && pr.Addr != nil {
			c.peer = hostOf(pr.Addr.String())
		}
		s.refused(ctx, &c)
		return ctx, s.refusal
	}
	// The call's context ends when its stream does, answer written.
	context.AfterFunc(ctx, t.done)
	return t, nil
}

// admitConnect admits the unary calls of a connect-go handler (Connect,
// gRPC and gRPC-Web on the HTTP listener) before their body is read.
func (s *shedder) admitConnect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.unary[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		s.admitHTTP(w, r, next, func() {
			s.refused(r.Context(), &call{procedure: r.URL.Path, protocol: connectProtocol(r), peer: hostOf(r.RemoteAddr)})
			if a := s.connectAnswers[r.Header.Get("Content-Type")]; a != nil && r.Method == http.MethodPost {
				a.replay(w)
				return
			}
			s.errw.Write(w, r, s.connectRefusal)
		})
	})
}

// admitREST admits every REST call before the gateway reads its body; a
// stream gives its slot back as it starts (see leave). procedure names
// the RPC of a refused call for the metrics (unrouted's name when no
// route matches).
func (s *shedder) admitREST(next http.Handler, procedure func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.admitHTTP(w, r, next, func() {
			s.refused(r.Context(), &call{procedure: procedure(r), protocol: surfaceREST, peer: hostOf(r.RemoteAddr)})
			s.restAnswer.replay(w)
		})
	})
}

// admitWeb admits the web application's requests with a body (its
// forms) before their form is read, as admitREST admits a REST call:
// without it a form was read whole, from a client as slow as it liked,
// before its first call reached the pipeline. The admitted request's
// first call to the services (the page's WhoAmI) takes its slot; a page
// without a body takes its slots in the pipeline, call by call. refuse
// writes the application's own answer to a refused request.
func (s *shedder) admitWeb(next http.Handler, refuse func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		s.admitHTTP(w, r, next, func() {
			s.refused(r.Context(), &call{procedure: unrouted(r.Method), protocol: surfaceWeb, peer: hostOf(r.RemoteAddr)})
			refuse(w, r, s.refusal)
		})
	})
}

// refused records a call refused as it arrived: in the metrics, every
// one, and in the access log within its surface's budget (lines).
func (s *shedder) refused(ctx context.Context, c *call) {
	s.metrics.observe(c, codeOverloaded, string(errOverloaded.Reason), 0)
	if s.lines != nil {
		s.lines.write(ctx, c)
	}
}

func (s *shedder) admitHTTP(w http.ResponseWriter, r *http.Request, next http.Handler, refuse func()) {
	t, err := s.arrive(r.Context(), r.Body != http.NoBody)
	if err != nil {
		s.settle(w, r)
		refuse()
		return
	}
	defer t.done()
	next.ServeHTTP(w, r.WithContext(t))
}

// settle decides what becomes of the unread body of a request refused on
// HTTP/1.x. To read the next request from the connection, net/http reads
// what is left of a body: before it writes the answer, up to 256 KiB (a
// Content-Length announcing more closes the connection instead, unread);
// and a chunked body, of unknown length, up to 256 KiB again once the
// answer is out, even on a connection it closes. A refusal would wait
// for a client that sends its body slowly, or holds it. So a body
// announced over the limit, or of unknown length, is not read at all: the
// answer closes the connection, which reads nothing more. A body within
// the limit is read here, for refusedBodyWait at most: a well-behaved
// client sends it with its headers, and reading it costs less than the
// new connection the client would dial for its next call (a quarter of
// the CPU for a small body, half at 200 KiB: docs/benchmarks.md,
// "Refusals with a body on HTTP/1.1"); a client that holds it gets its
// refusal when the wait is over, on a connection then closed, rather than
// at the server's read timeout. A client that waits for "100 Continue" is
// not asked for its body (net/http closes the connection). HTTP/2 resets
// a refused stream, body and all.
func (s *shedder) settle(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 1 || r.Body == http.NoBody {
		return
	}
	rc := http.NewResponseController(w)
	if r.ContentLength < 0 || r.ContentLength > s.bodyLimit {
		w.Header().Set("Connection", "close")
		// A read deadline already past ends net/http's reading of the body
		// at what came with the headers. The connection is not reused, so
		// the read error this causes (which cancels its context) harms no
		// later request.
		rc.SetReadDeadline(time.Now()) // an error: net/http reads, the answer still goes out
		return
	}
	if strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return
	}
	deadline := time.Now().Add(refusedBodyWait)
	if rc.SetReadDeadline(deadline) != nil {
		return // not a connection of net/http's: nothing to bound
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		// The rest of the body is still on the wire: the connection
		// carries no other request (the read error has cancelled its
		// context). The deadline, now past, stays: it also ends at once
		// net/http's own reading of the rest when it closes the body.
		w.Header().Set("Connection", "close")
		return
	}
	// No deadline of this request's own is left behind: net/http starts
	// its background read of the connection as the body ends, and that
	// read failing at the deadline would cancel the connection's context,
	// and so every later request on it (net/http sets the next request's
	// deadlines itself). A body whole so near the deadline that the
	// background read may have met it closes the connection all the same.
	rc.SetReadDeadline(time.Time{})
	if time.Until(deadline) < refusedBodyMargin {
		w.Header().Set("Connection", "close")
	}
}

// connectProtocol names the protocol of a connect-go request as
// connect.Peer.Protocol does.
func connectProtocol(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/grpc-web"):
		return surfaceGRPCWeb
	case strings.HasPrefix(ct, "application/grpc"):
		return surfaceGRPC
	}
	return surfaceConnect
}
