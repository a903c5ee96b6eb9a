package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
)

// call is what the shared pipeline knows of a unary RPC, whatever transport
// carried it.
type call struct {
	// procedure is the full method, "/fami.v1.PartnerService/GetPartner".
	procedure string
	// protocol names the surface for the logs, the metrics and the span:
	// grpc, connect, grpcweb, rest, web or inproc (REST, the web
	// application and Server.InProcess's callers arrive through the
	// in-process connection: inprocSurface).
	protocol string
	// header returns a request header (gRPC metadata) value.
	header func(key string) string
	// peer is the client's address.
	peer string
	// req is the request message, for the authorisation rule.
	req proto.Message
	// long marks a stream that stays open (a watch), counted against the
	// stream limits; downloads are not.
	long bool
	// caller, when set, identifies the caller instead of the
	// Authorization header (a calendar feed token, see files.go).
	caller func() (principal.Principal, error)
	// file marks a download (serveFile), which answers by writing its
	// file, not with a message: run asks it for none (answerOf).
	file bool
	// path is the request's path, clipped (clipAsked), of a call that
	// names no RPC the server serves, whose procedure is then a bounded
	// name (unrouted's, otherProcedure); "" for every other call.
	path string
	// method is the HTTP method asked of a call unrouted records as
	// otherMethod, which its access line and span carry clipped
	// (clipAsked); "" for every other call.
	method string
}

type unaryFunc func(ctx context.Context) (any, error)

// pipeline is the one place where every unary call, on every surface, gets
// its deadline, panic recovery and log line, so the rules cannot drift
// between transports.
type pipeline struct {
	log            *slog.Logger
	accessLevel    slog.Level
	requestTimeout time.Duration
	verifier       *auth.Verifier
	policy         auth.Policy
	// now is the server's clock (Config.Now): a stream ends when it says
	// the stream's token has expired.
	now func() time.Time
	// noAuth skips authentication and authorisation; only benchmarks that
	// measure the cost of auth set it.
	noAuth bool
	// shutdown is done when the server starts shutting down.
	shutdown context.Context
	// cut is done when the stop waits no more for the calls in progress:
	// the writes of the streams still running on the HTTP listener then
	// fail (cutOnStop).
	cut context.Context
	// streams limits the open streams.
	streams *streamSlots
	// shed limits the unary calls in progress.
	shed    *shedder
	metrics *metrics
	// tracer is nil when tracing is off.
	tracer trace.Tracer
	// noRPCLines bounds the access lines of the calls that name no RPC
	// (call.path set).
	noRPCLines *lineBudget
	// served holds the procedures the server serves, as registered on
	// its gRPC server (servedBy): any other is recorded as otherProcedure.
	served map[string]grpc.MethodInfo
	// writes are the procedures whose HTTP rule is no GET (restRouter),
	// whose target may not be under regions/- (noWildcardWrite).
	writes map[string]bool
	// anonymousRefusals are the refusals of an anonymous caller of the
	// procedures whose rule refuses one whatever the request
	// (auth.Policy.AnonymousRefusals), given before the request is
	// decoded (authenticateEarly).
	anonymousRefusals map[string]error
	// undecoded holds the unary requests whose body did not decode, for
	// admit to refuse.
	undecoded *undecoded
}

// begin starts the pipeline's record of a call, which finish ends, and
// its span, a child of the transport's span (otelgrpc, otelconnect or,
// for REST, the gateway's). Without a tracer (tracing off) the span is a
// no-op that costs nothing. A REST call's request is marked as recorded,
// so that the gateway does not record its refusal again
// (restRouter.gatewayError).
func (p *pipeline) begin(ctx context.Context, c call) (context.Context, trace.Span) {
	if c.protocol == surfaceREST {
		if t := ticketOf(ctx); t != nil {
			t.recorded.Store(true)
		}
	}
	if p.tracer == nil {
		return ctx, tracenoop.Span{}
	}
	service, method := splitProcedure(c.procedure)
	attrs := []attribute.KeyValue{
		attribute.String("rpc.service", service),
		attribute.String("rpc.method", method),
		attribute.String("raccordo.surface", c.protocol),
	}
	if c.procedure == otherProcedure {
		attrs = append(attrs, methodOriginal(c.path))
	}
	if c.method != "" {
		attrs = append(attrs, httpMethodOriginal(c.method))
	}
	if store.IsValidateOnly(c.req) {
		attrs = append(attrs, attribute.Bool("raccordo.validate_only", true))
	}
	return p.tracer.Start(ctx, "pipeline", trace.WithAttributes(attrs...))
}

// methodOriginal is the span attribute of a call recorded as
// otherProcedure that names the procedure asked, as OpenTelemetry's RPC
// conventions ask of a method recorded as "_OTHER": the path its access
// line carries, clipped as there (clipAsked), without the leading slash,
// as the conventions write a method ("fami.v1.Nope/Get"). It holds what
// a client made up, as no metric label may: a span is one call's, and the
// clip bounds it.
func methodOriginal(path string) attribute.KeyValue {
	return attribute.String("rpc.method_original", strings.TrimPrefix(path, "/"))
}

// httpMethodOriginal is the span attribute of a request whose HTTP
// method is recorded as otherMethod that names the method asked, clipped
// (clipAsked), as OpenTelemetry's HTTP conventions ask: a method is a
// token of any length, bounded only by the header cap.
func httpMethodOriginal(method string) attribute.KeyValue {
	return attribute.String("http.request.method_original", clipAsked(method))
}

// finish records a finished call, unary or stream, the same way on every
// surface: its log line, its metrics and the end of its span. The
// principal's role and region go on the span; its subject (a person's
// username) only in the log.
func (p *pipeline) finish(ctx context.Context, span trace.Span, kind string, c *call, who *principal.Principal, err error, start time.Time) {
	code, reason := outcome(err)
	if t := p.triesOf(ctx, c); t != nil {
		// One try of a REST write of several If-Match tags: its
		// record waits to know whether it is the request's answer.
		// The span is the try's own.
		if span.IsRecording() {
			endSpan(span, who, code, reason, code != "OK")
		}
		span.End()
		try, by := *c, *who
		t.hold(start, func(from time.Time) { p.record(ctx, tracenoop.Span{}, kind, &try, &by, code, reason, from) })
		return
	}
	p.record(ctx, span, kind, c, who, code, reason, start)
}

// triesOf is the record of the tries of the REST call c (tries), or nil
// for a call made once.
func (p *pipeline) triesOf(ctx context.Context, c *call) *tries {
	if c.protocol != surfaceREST {
		return nil
	}
	client := gatewayClient(ctx)
	if client == nil {
		return nil
	}
	if cond := conditionOf(client); cond != nil {
		return cond.tries
	}
	return nil
}

// record is finish for a call whose outcome is code ("OK" for none) and
// reason. The access lines of calls that name no RPC are bounded
// (noRPCLines); their metrics and spans are not.
func (p *pipeline) record(ctx context.Context, span trace.Span, kind string, c *call, who *principal.Principal, code, reason string, start time.Time) {
	d := time.Since(start)
	if c.path == "" {
		p.logCall(ctx, kind, c, who.Subject, code, d, 0)
	} else if ok, dropped := p.noRPCLines.take(); ok {
		p.logCall(ctx, kind, c, who.Subject, code, d, dropped)
	}
	p.metrics.observe(c, code, reason, d)
	if span.IsRecording() {
		endSpan(span, who, code, reason, code != "OK")
	}
	span.End()
}

// refuseREST answers a REST request refused before its call reached the
// pipeline (checkQuery, the gateway's decoding, a download's query) with
// err's problem document, and records the call procedure as the pipeline
// records every call it runs: its access line, its metrics and its span,
// with the code and reason the caller gets, timed from start. The line
// names the caller when its token was checked first (refused).
func (p *pipeline) refuseREST(w http.ResponseWriter, r *http.Request, procedure string, err error, start time.Time) {
	st := toStatus(r.Context(), p.log, procedure, err)
	pr, retryAfter := problemFromStatus(st)
	p.answerREST(w, r, procedure, pr, retryAfter, start)
}

// answerREST is refuseREST for a refusal that is a problem document
// already (a request no route matches, routingProblem).
func (p *pipeline) answerREST(w http.ResponseWriter, r *http.Request, procedure string, pr problem, retryAfter int, start time.Time) {
	c := call{procedure: procedure, protocol: surfaceREST, peer: hostOf(r.RemoteAddr)}
	if strings.HasPrefix(procedure, unroutedService) {
		c.path = clipAsked(r.URL.Path)
	}
	if procedure == unroutedService+otherMethod {
		c.method = r.Method
	}
	p.refused(r.Context(), c, pr.Code, pr.Reason, start)
	writeProblem(w, pr, retryAfter)
}

// unrouted is the procedure recorded for an HTTP request that names no
// RPC (a REST path that no route matches, a web form refused before its
// page ran): service "http" and the request's method, one of the methods
// HTTP defines or "_OTHER". OpenTelemetry's HTTP conventions name a
// request without a route by its method alone, for the same reason: the
// access line, the metrics and the span say what was refused and how
// often, and their label sets stay bounded, never holding a path (or a
// method) a client made up.
func unrouted(method string) string {
	return unroutedService + knownMethod(method)
}

// knownMethod is method when HTTP defines it, otherMethod otherwise: the
// method a record may name.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return otherMethod
}

// otherMethod is OpenTelemetry's name of an HTTP method that HTTP does
// not define.
const otherMethod = "_OTHER"

// unroutedService starts every name unrouted gives.
const unroutedService = "/http/"

// otherProcedure is the procedure recorded for a gRPC, Connect or
// gRPC-Web call of a procedure the server does not serve (an unknown
// service, or an unknown method of a known one): OpenTelemetry's name of
// a method the server does not recognise, "_OTHER", as service and
// method, for the reason unrouted never names a path.
const otherProcedure = "/_OTHER/_OTHER"

// clipAsked is what a client asked that the records of a call naming
// nothing the server serves carry (the access line's path, a span's
// method_original): bounded as an echoed value is (errs.Clip).
func clipAsked(path string) string { return errs.Clip(path, 200) }

// servedBy is the set of procedures registered on srv
// ("/fami.v1.PartnerService/GetPartner"), with their descriptions.
func servedBy(srv *grpc.Server) map[string]grpc.MethodInfo {
	served := map[string]grpc.MethodInfo{}
	for name, info := range srv.GetServiceInfo() {
		for _, m := range info.Methods {
			served["/"+name+"/"+m.Name] = m
		}
	}
	return served
}

// serves reports whether the server serves the procedure a gRPC call
// names (served), as otelgrpc's filter of the calls it traces. served is
// set before the server serves any call.
func (p *pipeline) serves(info *stats.RPCTagInfo) bool {
	_, ok := p.served[info.FullMethodName]
	return ok
}

// unknown records a call of a procedure the server does not serve, named
// by c.procedure, under otherProcedure with the path asked, as the
// pipeline records every call it runs, with the code its caller gets,
// UNIMPLEMENTED, and no principal: nothing was run, nor the caller
// authenticated.
func (p *pipeline) unknown(ctx context.Context, c call) {
	c.path, c.procedure = clipAsked(c.procedure), otherProcedure
	p.refused(ctx, c, "UNIMPLEMENTED", "", time.Now())
}

// refuse is the answer to a call refused with err before the pipeline
// ran it (authenticateEarly's refusal, a call the in-process connection
// cannot hand over): the status its caller gets, the error logged as the
// pipeline logs one (callStatus), and the call recorded (refused), timed
// from start.
func (p *pipeline) refuse(ctx context.Context, c call, err error, start time.Time) *status.Status {
	st := callStatus(ctx, p.log, &c, err)
	code, reason := outcome(err)
	p.refused(ctx, c, code, reason, start)
	return st
}

// refused records a call the pipeline did not run, refused with code and
// reason, as it records every call it runs: its access line, its
// metrics, under the call's surface, and its span; with the caller when
// its token was checked before the refusal (authenticatedCaller), else
// with no principal.
func (p *pipeline) refused(ctx context.Context, c call, code, reason string, start time.Time) {
	kind := "rpc"
	if stream, _ := streamingRPC(c.procedure); stream {
		kind = "stream" // logged as the pipeline logs streams
	}
	who, _ := authenticatedCaller(ctx)
	ctx, span := p.begin(ctx, c)
	p.record(ctx, span, kind, &c, &who, code, reason, start)
}

// authenticatedCaller is the caller whose token was checked for the call
// of ctx (on its ticket, or authenticateEarly's value), without
// authenticating again; ok is false, with the zero principal, when none
// was.
func authenticatedCaller(ctx context.Context) (who principal.Principal, ok bool) {
	if t := ticketOf(ctx); t != nil && t.authenticated {
		return t.who, true
	}
	if who, ok := ctx.Value(earlyPrincipalKey{}).(*principal.Principal); ok {
		return *who, true
	}
	return principal.Principal{}, false
}

// grpcUnknown is the gRPC server's handler of the procedures it does not
// serve (grpc.UnknownServiceHandler): it answers UNIMPLEMENTED, as
// grpc-go does without one, and records the call.
func (p *pipeline) grpcUnknown(_ any, ss grpc.ServerStream) error {
	ctx := ss.Context()
	procedure, _ := grpc.MethodFromServerStream(ss)
	p.unknown(ctx, grpcCall(ctx, procedure))
	return status.Errorf(codes.Unimplemented, "unknown procedure %s", clipAsked(procedure))
}

// connectUnknown answers a Connect, gRPC or gRPC-Web call, on the HTTP
// listener, of a procedure the listener does not serve as connect-go
// answers one, 404 (which its clients and grpc-go's read as
// UNIMPLEMENTED), and records the call.
func (p *pipeline) connectUnknown(w http.ResponseWriter, r *http.Request) {
	p.unknown(r.Context(), call{procedure: r.URL.Path, protocol: connectProtocol(r), peer: hostOf(r.RemoteAddr)})
	http.NotFound(w, r)
}

// logCall writes a call's access line. It hands the record to the handler
// itself instead of calling Logger.LogAttrs, which would also capture the
// caller's program counter (the line's source is always here), and keeps
// the record in a frame of its own: the line is the deepest point of a
// call, and grpc-go and net/http start every call on a fresh goroutine
// whose small stack would otherwise be grown (copied) there on every call
// (issue 19). A line of a call that names no RPC carries the path asked
// (and the method, when HTTP does not define it), and the count of such lines dropped (suppressed) since the last one
// written or reported (logSuppressed), when there are any.
func (p *pipeline) logCall(ctx context.Context, kind string, c *call, subject, code string, d time.Duration, suppressed int64) {
	level := p.accessLevel
	if code == "INTERNAL" {
		level = max(level, slog.LevelWarn)
	}
	h := p.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, kind, 0)
	r.AddAttrs(slog.String("procedure", c.procedure), slog.String("protocol", c.protocol), slog.String("peer", c.peer),
		slog.String("principal", subject), slog.String("code", code), slog.Duration("duration", d))
	if c.path != "" {
		r.AddAttrs(slog.String("path", c.path))
	}
	if c.method != "" {
		r.AddAttrs(slog.String("method", clipAsked(c.method)))
	}
	if suppressed > 0 {
		r.AddAttrs(slog.Int64("suppressed", suppressed))
	}
	if store.IsValidateOnly(c.req) {
		// A check of a write (ADR 38), which wrote nothing.
		r.AddAttrs(slog.Bool("validate_only", true))
	}
	_ = h.Handle(ctx, r) // as Logger does: a log that cannot be written fails no call
}

// logSuppressed writes the count of the access lines of calls naming no
// RPC that noRPCLines dropped with no line written after them to say it.
func (p *pipeline) logSuppressed(dropped int64) {
	p.log.LogAttrs(context.Background(), p.accessLevel, "access lines suppressed", slog.Int64("suppressed", dropped))
}

// endSpan sets a finished call's outcome on its (recording) span.
func endSpan(span trace.Span, who *principal.Principal, code, reason string, failed bool) {
	span.SetAttributes(attribute.String("raccordo.code", code), attribute.String("raccordo.role", string(who.Role)), attribute.String("raccordo.principal_region", who.Region))
	if failed {
		span.SetAttributes(attribute.String("raccordo.reason", reason))
		if code == "INTERNAL" || code == "UNAVAILABLE" || code == "DEADLINE_EXCEEDED" {
			span.SetStatus(otelcodes.Error, code)
		}
	}
}

// outcome is the code (as the caller will see it) and the ErrorInfo reason
// of a call's error.
func outcome(err error) (code, reason string) {
	if err == nil {
		return "OK", ""
	}
	if e := errs.As(err); e != nil {
		return e.Code.String(), string(e.Reason)
	}
	if st, ok := status.FromError(err); ok {
		return upperSnake(st.Code()), detailsOf(st).info.GetReason()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "DEADLINE_EXCEEDED", ""
	case errors.Is(err, context.Canceled):
		return "CANCELLED", ""
	}
	return "INTERNAL", ""
}

// authenticate returns the principal of a call's bearer token; no
// Authorization header means the anonymous principal, and any malformed or
// invalid credential is refused (never downgraded to anonymous).
func (p *pipeline) authenticate(c call) (principal.Principal, error) {
	if c.caller != nil {
		return c.caller()
	}
	h := c.header("authorization")
	if h == "" {
		return principal.Anonymous, nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return principal.Principal{}, errs.InvalidToken.New("the Authorization header must be \"Bearer <token>\"")
	}
	claims, err := p.verifier.Verify(strings.TrimSpace(token))
	if err != nil {
		return principal.Principal{}, err
	}
	return claims.Principal(), nil
}

// authenticateEarly authenticates a call from its headers alone, before
// its request is read, decompressed or decoded (authBeforeDecode on the
// HTTP port, authFirst on the gRPC port), and after its admission under
// the concurrency limit, so that a refusal stays cheap. A credential that
// is not valid is refused; so is an anonymous caller of an RPC whose rule
// refuses one whatever the request (anonymousRefusals), and an anonymous
// compressed request, whatever its RPC (inflating is the costly part of
// reading a body: seconds of CPU for 4 MB). It is the pipeline's own
// authentication: the principal found rides on the context it returns,
// for the pipeline to take (principalOf) rather than authenticate again:
// on the call's ticket for a call admitted on arrival, in a value of its
// own for a stream, which is admitted by the stream limits instead.
func (p *pipeline) authenticateEarly(ctx context.Context, c call, compressed bool) (context.Context, error) {
	if p.noAuth {
		return ctx, nil
	}
	who, err := p.authenticate(c)
	if err == nil && !who.Authenticated() {
		err = p.anonymousRefusals[c.procedure]
		if err == nil && compressed {
			err = errs.TokenRequired.New("a compressed request needs a bearer token")
		}
	}
	if err != nil {
		return ctx, err
	}
	if t := ticketOf(ctx); t != nil {
		t.who, t.authenticated = who, true
		return ctx, nil
	}
	return context.WithValue(ctx, earlyPrincipalKey{}, &who), nil
}

// earlyPrincipalKey holds the principal authenticateEarly found for a
// call without a ticket.
type earlyPrincipalKey struct{}

// principalOf is the principal of a call: the one authenticateEarly
// found, or authenticate's.
func (p *pipeline) principalOf(ctx context.Context, c call) (principal.Principal, error) {
	if who, ok := authenticatedCaller(ctx); ok {
		return who, nil
	}
	return p.authenticate(c)
}

// admit authenticates and authorises a call and returns the context the
// service runs in.
func (p *pipeline) admit(ctx context.Context, c call) (context.Context, principal.Principal, error) {
	// A request that did not decode is refused before anything reads it,
	// and its caller named in the records.
	undecodable := p.undecoded.take(c.req)
	if p.noAuth {
		return principal.WithCall(ctx, c.peer, principal.Anonymous), principal.Anonymous, undecodable
	}
	who, err := p.principalOf(ctx, c)
	if err == nil {
		err = undecodable
	}
	if err == nil && who.Authenticated() {
		// Before the rights: a write of regions/- is invalid whoever
		// sends it, not a national read to refuse.
		err = noWildcardWrite(p.writes, c.procedure, c.req)
	}
	if err == nil {
		err = p.policy.Authorize(c.procedure, who, c.req)
	}
	if err == nil {
		// Bound the request's repeated fields before any service loops
		// over them (after authentication: strangers get no validation
		// work).
		err = check.Bounds(c.req)
	}
	if err != nil {
		return principal.WithClientAddr(ctx, c.peer), who, err
	}
	return principal.WithCall(ctx, c.peer, who), who, nil
}

// run executes a call. The error it returns is the service's, untranslated.
func (p *pipeline) run(ctx context.Context, c *call, next unaryFunc) (res any, err error) {
	start := time.Now()
	ctx, span := p.begin(ctx, *c)
	ctx, who, err := p.admit(ctx, *c)
	defer func() { p.finish(ctx, span, "rpc", c, &who, err, start) }()
	if err != nil {
		return nil, err
	}
	slot, err := p.enter(ctx, c)
	if err != nil {
		return nil, err
	}
	defer slot.release()
	if p.requestTimeout > 0 {
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > p.requestTimeout {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, p.requestTimeout)
			defer cancel()
		}
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, p.recovered(ctx, c, r)
		}
	}()
	if national(c.req) {
		var left func() ([]string, error)
		ctx, left = aip.TrackUnreachable(ctx)
		defer p.logUnreachable(ctx, c, left)
	}
	if res, err = next(ctx); err == nil && !c.file {
		_, err = answerOf(c.procedure, res)
	}
	return res, err
}

// answerOf is the message a unary handler answered with no error: res, or
// for connect-go the message in res's response. A handler that answers
// neither an error nor a message has a bug, which grpc-go and connect-go
// would hide, sending a nil message as an empty one, OK: it is an
// internal error, which the pipeline logs once and records as the code
// the caller gets (run), on every surface.
func answerOf(procedure string, res any) (proto.Message, error) {
	if r, ok := res.(connect.AnyResponse); ok {
		res = r.Any()
	}
	if m, ok := res.(proto.Message); ok && m.ProtoReflect().IsValid() {
		return m, nil
	}
	return nil, errs.Internal.New("the handler of %s returned neither an error nor a message", procedure)
}

// enter takes the call's place under the concurrency limit
// (shedder.enter). The tries of a REST write made once per tag of its
// If-Match list are one request, which holds one place from its first
// try to the end of its last (tries.enter).
func (p *pipeline) enter(ctx context.Context, c *call) (slot, error) {
	if t := p.triesOf(ctx, c); t != nil {
		return t.enter(ctx, p.shed)
	}
	return p.shed.enter(ctx)
}

// national reports whether req reads every region (regions/-): the calls
// that may answer without the regions they could not read (aip.Skip).
func national(req proto.Message) bool {
	switch r := req.(type) {
	case interface{ GetParent() string }:
		return aip.IsAllRegions(r.GetParent())
	case interface{ GetName() string }:
		return aip.IsAllRegions(r.GetName())
	}
	return false
}

// logUnreachable logs, once per call, the regions a national read left
// out and why, at the level and with the message of every DATA_LOSS the
// edge answers (toStatus): damaged data needs an operator whether the
// caller got an error or an answer without the region. The regional calls
// inside a national read never reach the edge, so nothing else logs them.
func (p *pipeline) logUnreachable(ctx context.Context, c *call, left func() ([]string, error)) {
	regions, err := left()
	switch {
	case len(regions) == 0:
	case errs.CodeOf(err) == errs.DataLoss: // the first region's; the line names every one's
		p.log.ErrorContext(ctx, "data loss", "procedure", c.procedure, "unreachable", regions, "err", err)
	default: // an import under way, which its operator knows of
		p.log.WarnContext(ctx, "region unreachable", "procedure", c.procedure, "unreachable", regions, "err", err)
	}
}

// recovered logs a call's panic, with its stack, and returns the error the
// caller gets.
func (p *pipeline) recovered(ctx context.Context, c *call, r any) error {
	p.log.ErrorContext(ctx, "panic", "procedure", c.procedure, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return errs.Internal.New("panic: %v", r)
}

// grpcUnary adapts the pipeline to grpc-go and translates errors at its
// edge.
func (p *pipeline) grpcUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	c := grpcCall(ctx, info.FullMethod)
	c.req, _ = req.(proto.Message)
	res, err := p.run(ctx, &c, func(ctx context.Context) (any, error) { return handler(ctx, req) })
	if err != nil {
		return nil, callStatus(ctx, p.log, &c, err).Err()
	}
	return res, nil
}

// authFirst is the gRPC server's registrar of the services: the handler
// of each unary method authenticates its call from its metadata
// (authenticateEarly) before it receives the request, which grpc-go
// reads, decompresses and decodes in the handler (its dec), before the
// interceptors run. The tap has admitted the call under the concurrency
// limit first. Streams are authenticated by the pipeline before their
// handler receives anything (stream).
type authFirst struct {
	grpc.ServiceRegistrar
	p *pipeline
}

func (a authFirst) RegisterService(desc *grpc.ServiceDesc, impl any) {
	d := *desc
	d.Methods = slices.Clone(desc.Methods)
	for i, m := range d.Methods {
		d.Methods[i].Handler = a.p.grpcAuthFirst("/"+desc.ServiceName+"/"+m.MethodName, m.Handler)
	}
	a.ServiceRegistrar.RegisterService(&d, impl)
}

// grpcAuthFirst is the handler of procedure, h, authenticating its call
// before h decodes the request (authFirst). A request that does not
// decode is held for the pipeline to refuse (undecoded); one that grpc-go
// refuses after, having read a second message, is dropped from the held.
func (p *pipeline) grpcAuthFirst(procedure string, h grpc.MethodHandler) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, intercept grpc.UnaryServerInterceptor) (any, error) {
		c := grpcCall(ctx, procedure)
		ctx, err := p.authenticateEarly(ctx, c, grpcCompressed(ctx))
		if err != nil {
			return nil, p.refuse(ctx, c, err, arrival(ctx)).Err()
		}
		held := func(m any) error {
			err := dec(decoding{m})
			if err != nil {
				_ = p.undecoded.take(m)
			}
			return err
		}
		return h(srv, ctx, held, intercept)
	}
}

// grpcCompressed reports whether the request of a grpc-go call is
// compressed: grpc-go keeps its grpc-encoding off the metadata, on the
// call's transport stream.
func grpcCompressed(ctx context.Context) bool {
	s, ok := grpc.ServerTransportStreamFromContext(ctx).(interface{ RecvCompress() string })
	return ok && s.RecvCompress() != "" && s.RecvCompress() != "identity"
}

// grpcCall is what the pipeline knows of a grpc-go call, or of a REST
// call that the gateway made through the in-process channel.
func grpcCall(ctx context.Context, procedure string) call {
	c := call{procedure: procedure, protocol: surfaceGRPC, header: func(k string) string {
		// One value, without copying the whole metadata as
		// metadata.FromIncomingContext would on every call.
		if v := metadata.ValueFromIncomingContext(ctx, k); len(v) > 0 {
			return v[0]
		}
		return ""
	}}
	if inProcess(ctx) {
		// The REST gateway, the web application and Server.InProcess's
		// callers reach the services through an in-process channel; the
		// client's address, if any, is in X-Forwarded-For.
		c.protocol = inprocSurface(ctx)
		c.peer = lastForwarded(c.header("x-forwarded-for"))
	} else if pr, ok := peer.FromContext(ctx); ok && pr.Addr != nil {
		c.peer = hostOf(pr.Addr.String())
	}
	return c
}

// connectUnary adapts the pipeline to connect-go (Connect, gRPC and
// gRPC-Web on the HTTP listener).
func (p *pipeline) connectUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		c := connectCall(req.Spec(), req.Peer(), req.Header())
		c.req, _ = req.Any().(proto.Message)
		res, err := p.run(ctx, &c, func(ctx context.Context) (any, error) { return next(ctx, req) })
		if err != nil {
			return nil, toConnect(callStatus(ctx, p.log, &c, err))
		}
		return res.(connect.AnyResponse), nil
	}
}

// connectCall is the call connect-go describes with spec, peer and the
// request's header, unary or stream.
func connectCall(spec connect.Spec, peer connect.Peer, header http.Header) call {
	return call{procedure: spec.Procedure, protocol: peer.Protocol, header: header.Get, peer: hostOf(peer.Addr)}
}

// lastForwarded returns the last X-Forwarded-For entry: the one the gateway
// appended from the connection's remote address. Earlier entries come from
// the client and are not trusted.
func lastForwarded(xff string) string {
	if i := strings.LastIndexByte(xff, ','); i >= 0 {
		xff = xff[i+1:]
	}
	return strings.TrimSpace(xff)
}

func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
