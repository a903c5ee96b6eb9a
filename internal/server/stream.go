package server

import (
	"context"
	"strconv"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/sharedmsg"
)

// Streams are admitted in two steps: the caller is authenticated from the
// headers before the handler runs, and the rule of the policy table is
// applied to the first request message as the handler receives it (a
// server stream's request names the region). A handler never sends before
// it has received its request, so nothing leaves before the decision.

// stream runs a streaming call through the pipeline: authentication, the
// authorisation hook, panic recovery and the log line. Streams have no
// request deadline: a watch is meant to stay open.
func (p *pipeline) stream(ctx context.Context, c call, next func(context.Context, admission) error) (err error) {
	start := time.Now()
	ctx, span := p.begin(ctx, c)
	defer p.metrics.streamStarted(c)()
	// A stream is bounded by the stream limits, not the unary calls'.
	p.shed.leave(ctx)
	ctx = principal.WithClientAddr(ctx, c.peer)
	// Graceful shutdown waits for in-flight calls, but a watch never ends
	// by itself: streams end when shutdown begins, telling the client to
	// reconnect (to this server once restarted, or to another).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.shutdown, cancel)
	defer stop()
	who := principal.Anonymous
	defer func() {
		if r := recover(); r != nil {
			err = p.recovered(ctx, &c, r)
		}
		if p.shutdown.Err() != nil && (err == nil || ctx.Err() != nil) {
			err = errs.ShuttingDown.New("the server is shutting down; reconnect and resume from the last revision")
		}
		// The log line, metrics and span record the error the caller gets.
		p.finish(ctx, span, "stream", &c, &who, err, start)
	}()
	if !p.noAuth {
		// On the HTTP port the caller was authenticated before connect-go
		// read anything (authBeforeDecode): principalOf takes that
		// principal; revocation and expiry are checked again below.
		if who, err = p.principalOf(ctx, c); err != nil {
			return err
		}
		ctx = principal.With(ctx, who)
	}
	if c.long {
		// A subject is unique within its region only (ADR 14).
		release, err := p.streams.acquire(who.Subject + "@" + who.Region)
		if err != nil {
			return err
		}
		defer release()
	}
	// A stream lives as long as its credential: it ends with
	// UNAUTHENTICATED when the token expires on the server's clock, and
	// when it is found revoked. Both are checked before every message
	// sent, and an idle watch sends a bookmark every few seconds. The
	// token was verified at admission; what can change since is only its
	// revocation and the clock, so the check before a message is those
	// two, not its header parsed and verified again (with 500 watchers
	// that was an eighth of the server's CPU).
	ctx, revoke := context.WithCancelCause(ctx)
	defer revoke(nil)
	expires := !p.noAuth && !who.ExpiresAt.IsZero()
	errExpired := errs.InvalidToken.New("the bearer token expired during the stream; reconnect with a fresh one")
	if expires {
		// An idle stream sends nothing until its next bookmark: a timer
		// wakes it when the token should expire, and the server's clock
		// decides whether it has.
		stop := p.onExpiry(who.ExpiresAt, func() { revoke(errExpired) })
		defer stop()
	}
	defer func() {
		if cause := context.Cause(ctx); errs.CodeOf(cause) == errs.Unauthenticated && ctx.Err() != nil {
			err = cause
		}
	}()
	recheck := func() error {
		if p.noAuth {
			return nil
		}
		if expires && !p.now().Before(who.ExpiresAt) {
			revoke(errExpired)
			return errExpired
		}
		if err := p.verifier.Recheck(who); err != nil {
			revoke(err)
			return err
		}
		return nil
	}
	admitted := p.noAuth
	authorize := func(m proto.Message) error {
		if admitted {
			return nil
		}
		if err := p.policy.Authorize(c.procedure, who, m); err != nil {
			return err
		}
		if err := check.Bounds(m); err != nil {
			return err
		}
		admitted = true
		return nil
	}
	return next(ctx, admission{authorize: authorize, recheck: recheck})
}

// onExpiry calls expired once the server's clock has reached at. Its timer
// waits real time for what the clock says is left, and waits again if the
// clock, asked when the timer fires, is not there yet; a clock moved ahead
// (a test's fakeclock.Shifted) is noticed at the stream's next message.
// The returned function stops the wait.
func (p *pipeline) onExpiry(at time.Time, expired func()) (stop func()) {
	var (
		mu      sync.Mutex
		timer   *time.Timer
		stopped bool
		wait    func()
	)
	wait = func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if left := at.Sub(p.now()); left > 0 {
			timer = time.AfterFunc(left, wait)
			return
		}
		expired()
	}
	mu.Lock()
	timer = time.AfterFunc(at.Sub(p.now()), wait)
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		timer.Stop()
	}
}

// admission is what a stream adapter asks of the pipeline: authorise the
// first message received, re-check the credential before each one sent.
type admission struct {
	authorize func(proto.Message) error
	recheck   func() error
}

// grpcStream adapts the pipeline to grpc-go server streams.
func (p *pipeline) grpcStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if _, ok := p.served[info.FullMethod]; !ok {
		// A procedure no service registered: the handler is grpcUnknown,
		// which runs nothing and records the call itself.
		return handler(srv, ss)
	}
	ctx := ss.Context()
	c := grpcCall(ctx, info.FullMethod)
	c.long = true
	err := p.stream(ctx, c, func(ctx context.Context, a admission) error {
		// The in-process channel (REST's and the web application's) hands
		// messages over as copies, made without our codec: it gets a shared
		// message as the message it wraps.
		return handler(srv, &admittingServerStream{ServerStream: ss, ctx: ctx, admission: a, unshare: inProcess(ctx)})
	})
	if err != nil {
		st := callStatus(ctx, p.log, &c, err)
		if ri := retryInfo(st); ri > 0 {
			// The gateway turns this header into REST's Retry-After
			// (gatewayHeader); gRPC clients read the RetryInfo detail.
			ss.SetHeader(metadata.Pairs("retry-after", strconv.Itoa(ri)))
		}
		return st.Err()
	}
	return nil
}

// admittingServerStream authorises the first message a handler receives,
// re-checks the credential before each message it sends and carries the
// admitted context.
type admittingServerStream struct {
	grpc.ServerStream
	ctx context.Context
	admission
	// unshare sends a shared message (sharedmsg) as the message it wraps,
	// for a stream whose codec is not the server's.
	unshare bool
}

func (s *admittingServerStream) SendMsg(m any) error {
	if err := s.recheck(); err != nil {
		return err
	}
	if s.unshare {
		m = sharedmsg.Unwrap(m)
	}
	return s.ServerStream.SendMsg(m)
}

func (s *admittingServerStream) Context() context.Context { return s.ctx }

func (s *admittingServerStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	msg, _ := m.(proto.Message)
	return s.authorize(msg)
}

// connectInterceptor is the pipeline as a connect.Interceptor, for unary
// and streaming handlers.
func (p *pipeline) connectInterceptor() connect.Interceptor { return connectPipeline{p} }

type connectPipeline struct{ p *pipeline }

func (cp connectPipeline) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return cp.p.connectUnary(next)
}

func (connectPipeline) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (cp connectPipeline) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	p := cp.p
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		c := connectCall(conn.Spec(), conn.Peer(), conn.RequestHeader())
		c.long = true
		err := p.stream(ctx, c, func(ctx context.Context, a admission) error {
			return next(ctx, &admittingConn{StreamingHandlerConn: conn, admission: a})
		})
		if err != nil {
			return toConnect(callStatus(ctx, p.log, &c, err))
		}
		return nil
	}
}

// admittingConn authorises the first message a connect handler receives
// and re-checks the credential before each message it sends.
type admittingConn struct {
	connect.StreamingHandlerConn
	admission
}

func (c *admittingConn) Send(m any) error {
	if err := c.recheck(); err != nil {
		return err
	}
	return c.StreamingHandlerConn.Send(m)
}

func (c *admittingConn) Receive(m any) error {
	if err := c.StreamingHandlerConn.Receive(m); err != nil {
		return err
	}
	msg, _ := m.(proto.Message)
	return c.authorize(msg)
}
