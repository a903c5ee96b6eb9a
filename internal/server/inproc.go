package server

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/fullstorydev/grpchan/inprocgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/raccordo/raccordo/internal/errs"
)

// inprocConn is the gateway's connection to the services (ADR 13): an
// inprocgrpc.Channel, whose unary calls it makes itself when tracing is
// off. The channel runs every unary call on a goroutine of its own and
// hands the result back over a Go channel; that goroutine, starting on a
// small stack that the pipeline grows (a copy of the whole stack), its
// context and its channel were 12% of a REST call's server CPU (issue 19).
// Here a unary call runs on the caller's goroutine, through the same
// interceptor, with what the channel gives it: copies of the messages,
// the caller's outgoing metadata as incoming metadata, the in-process peer,
// a context without the caller's values (only its deadline and
// cancellation; gatewayClient finds the caller's context), and a
// server transport stream for grpc.SetHeader and grpc.SetTrailer; the
// gateway's answers alone are moved, not copied (moveMessage). Streams,
// and every call when tracing is on (the channel's stats handlers), go
// through the channel.
type inprocConn struct {
	*inprocgrpc.Channel
	// unary holds the unary methods by full name ("/pkg.Service/Method").
	unary map[string]inprocMethod
	// direct is false when tracing is on: every call goes through the
	// channel.
	direct    bool
	intercept grpc.UnaryServerInterceptor
	// log is the pipeline's, where the direct path's own failures are
	// logged (fault).
	log *slog.Logger
	// refuse, when set, is the pipeline's (pipeline.refuse): it logs and
	// records a call the connection refuses before the pipeline runs it
	// (fault).
	refuse func(ctx context.Context, c call, err error, start time.Time) *status.Status
}

type inprocMethod struct {
	srv     any
	handler grpc.MethodHandler
	// in and out are the method's request and answer types (fits).
	in, out protoreflect.MessageDescriptor
}

// newInprocConn returns a connection over ch; with direct set, its unary
// calls run through intercept on the caller's goroutine. What fails on
// the connection itself, outside intercept, is logged to log.
func newInprocConn(ch *inprocgrpc.Channel, intercept grpc.UnaryServerInterceptor, log *slog.Logger, direct bool) *inprocConn {
	return &inprocConn{Channel: ch, unary: map[string]inprocMethod{}, direct: direct, intercept: intercept, log: log}
}

// RegisterService registers a service on the channel, and its unary
// methods with their types, which the generated code registers in
// protoregistry.GlobalFiles; a method whose types are not found there is
// called through the channel, unchecked.
func (c *inprocConn) RegisterService(desc *grpc.ServiceDesc, srv any) {
	c.Channel.RegisterService(desc, srv)
	d, _ := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(desc.ServiceName))
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return
	}
	for _, m := range desc.Methods {
		if md := sd.Methods().ByName(protoreflect.Name(m.MethodName)); md != nil {
			c.unary["/"+desc.ServiceName+"/"+m.MethodName] = inprocMethod{srv: srv, handler: m.Handler, in: md.Input(), out: md.Output()}
		}
	}
}

// fits refuses a call whose request or answer is not a message of the
// method's types, before it runs. The generated clients never make one;
// refused after the call, it would lose the answer of a call the pipeline
// had run and recorded as served, a write perhaps, in the handing over.
func (m inprocMethod) fits(method string, req, resp any) error {
	if in, ok := req.(proto.Message); !ok || !in.ProtoReflect().IsValid() || in.ProtoReflect().Descriptor() != m.in {
		return errs.Internal.New("the request of %s is no %s but a %T", method, m.in.FullName(), req)
	}
	if out, ok := resp.(proto.Message); !ok || !out.ProtoReflect().IsValid() || out.ProtoReflect().Descriptor() != m.out {
		return errs.Internal.New("the answer of %s, a %s, cannot be handed into a %T", method, m.out.FullName(), resp)
	}
	return nil
}

// NewStream opens a stream through the channel. A stream whose client
// sends one request (server streaming) ignores SendMsg's io.EOF, as
// grpc-go's streams do: the generated client returns SendMsg's error as
// the call's, and inprocgrpc answers io.EOF when the server has already
// ended the stream (a watch refused before it read its request), so the
// gateway answered a refusal as "EOF", UNKNOWN and 500. The status the
// server ended with comes from the next Header or RecvMsg.
func (c *inprocConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := c.Channel.NewStream(ctx, desc, method, opts...)
	if err != nil || desc.ClientStreams {
		return cs, err
	}
	return oneRequestStream{cs}, nil
}

// oneRequestStream is a client stream that sends one request; see
// inprocConn.NewStream.
type oneRequestStream struct{ grpc.ClientStream }

func (s oneRequestStream) SendMsg(m any) error {
	if err := s.ClientStream.SendMsg(m); err != io.EOF {
		return err
	}
	return nil
}

// Invoke makes a unary call: on the caller's goroutine when the method
// is registered here and every option is one directOptions knows, through
// the channel otherwise. Unlike the channel, it returns when the handler
// does, not as soon as the caller's context ends (the pipeline's deadline
// and the context's cancellation still stop the handler). A call of a
// registered method is first checked to fit its types (fits), on either
// path.
func (c *inprocConn) Invoke(ctx context.Context, method string, req, resp any, opts ...grpc.CallOption) error {
	m, ok := c.unary[method]
	if ok {
		if err := m.fits(method, req, resp); err != nil {
			return c.refused(ctx, method, err)
		}
	}
	if !ok || !c.direct || !directOptions(opts) {
		return c.Channel.Invoke(ctx, method, req, resp, opts...)
	}
	in, out := req.(proto.Message), resp.(proto.Message) // they fit
	call := &inprocCall{inprocServerContext: inprocServerContext{ctx}, stream: inprocStream{method: method}}
	sctx := context.Context(call)
	if md, ok := metadata.FromOutgoingContext(ctx); ok {
		sctx = metadata.NewIncomingContext(sctx, md)
	}
	stream := &call.stream
	sctx = grpc.NewContextWithServerTransportStream(sctx, stream)
	decode := func(dst any) error {
		copyMessage(dst.(proto.Message), in) // the handler's new request: of in's type (fits)
		return nil
	}
	v, err := m.handler(m.srv, sctx, decode, c.intercept)
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = stream.header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = stream.trailer
		case grpc.PeerCallOption:
			*o.PeerAddr = inprocPeer
		}
	}
	if err != nil {
		return err
	}
	// The pipeline answers a handler's nil answer with an error
	// (answerOf); an interceptor that is not the pipeline might not.
	answer, err := answerOf(method, v)
	if err != nil {
		return c.fault(ctx, method, err)
	}
	if fromGateway(ctx) {
		moveMessage(out, answer)
	} else {
		copyMessage(out, answer)
	}
	return nil
}

// fault is the answer to a direct call that the connection fails itself,
// after the pipeline ran it, as the generated clients and services never
// make it: the error is logged once, as the pipeline logs a service's
// internal error (toStatus), and the caller gets a bare INTERNAL. Nothing
// else logs it: the pipeline has recorded the call, and the web
// application logs no internal error again.
func (c *inprocConn) fault(ctx context.Context, method string, err error) error {
	return toStatus(ctx, c.log, method, err).Err()
}

// refused is the answer to a call the connection refuses before the
// pipeline runs it (fits), as the generated clients never make one: the
// caller gets a bare INTERNAL, and the call is logged and recorded, once,
// under its caller's surface (refuse), as every call the pipeline runs
// is. A REST call is the exception: the gateway's error handler records
// and logs it, as every REST refusal before the pipeline (refuseREST), so
// its error is passed on as it is.
func (c *inprocConn) refused(ctx context.Context, method string, err error) error {
	caller := callerOf(ctx)
	if caller == gatewayCaller {
		return err
	}
	if c.refuse == nil {
		return c.fault(ctx, method, err)
	}
	call := call{procedure: method, protocol: caller.surface()}
	if md, ok := metadata.FromOutgoingContext(ctx); ok {
		if xff := md.Get("x-forwarded-for"); len(xff) > 0 {
			call.peer = lastForwarded(xff[len(xff)-1])
		}
	}
	return c.refuse(ctx, call, err, time.Now()).Err()
}

// directOptions reports whether the direct path handles every call
// option: the generated clients' static method marker, the gateway's
// headers and trailers, a peer; anything else (credentials, message size
// limits) goes through the channel.
func directOptions(opts []grpc.CallOption) bool {
	for _, o := range opts {
		switch o.(type) {
		case grpc.StaticMethodCallOption, grpc.HeaderCallOption, grpc.TrailerCallOption, grpc.PeerCallOption:
		default:
			return false
		}
	}
	return true
}

// copyMessage makes dst, a message of src's type, a copy of src, as the
// channel's cloner does.
func copyMessage(dst, src proto.Message) {
	proto.Reset(dst)
	proto.Merge(dst, src)
}

// moveMessage gives dst the fields of src, sharing their values rather
// than copying them. It hands a handler's answer to the gateway, which
// only marshals it, as grpc-go marshals the answer it is given, rather
// than copying every resource of a page (docs/benchmarks.md, "REST
// ListChanges"). The web application, which may change what it is given
// (it sorts lists), still gets a copy.
func moveMessage(dst, src proto.Message) {
	proto.Reset(dst)
	to, from := dst.ProtoReflect(), src.ProtoReflect()
	from.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		to.Set(fd, v)
		return true
	})
	to.SetUnknown(from.GetUnknown())
}

// inprocCall is a direct unary call's server context and its transport
// stream, made together (one allocation for the two).
type inprocCall struct {
	inprocServerContext
	stream inprocStream
}

// inprocServerContext is a unary call's server context: the caller's
// deadline and cancellation without its values, as the channel's, and the
// in-process peer.
type inprocServerContext struct{ context.Context }

type inprocClientKey struct{}

// inprocPeerContext holds the in-process peer, the same for every call:
// made once, not a context per call.
var inprocPeerContext = peer.NewContext(context.Background(), &inprocPeer)

func (c inprocServerContext) Value(key any) any {
	if key == (inprocClientKey{}) {
		return c.Context
	}
	return inprocPeerContext.Value(key)
}

// AfterFunc lets a context derived from this one (the pipeline's
// deadline) be cancelled with the caller's: without it, the context
// package, which cannot see through Value, starts a goroutine per derived
// context to watch the caller's.
func (c inprocServerContext) AfterFunc(f func()) (stop func() bool) {
	return context.AfterFunc(c.Context, f)
}

// gatewayClient returns, in a call's server context, the context of the
// in-process caller (the REST request's, through the gateway), or nil.
func gatewayClient(ctx context.Context) context.Context {
	if client, ok := ctx.Value(inprocClientKey{}).(context.Context); ok {
		return client
	}
	return inprocgrpc.ClientContext(ctx)
}

// inprocCaller is who makes a call on the in-process connection: the
// gateway (REST), unless the call's context is marked with another
// (callerConn). It names the call's surface in the access log, the
// metrics and the span, and decides whether the answer is moved to the
// caller or copied (fromGateway). A small integer, so that marking a
// context with it allocates nothing for the value.
type inprocCaller uint8

const (
	// gatewayCaller is REST through the gateway: calls are not marked.
	gatewayCaller inprocCaller = iota
	// webCaller is the web application.
	webCaller
	// embedderCaller is any other caller in the process, through
	// Server.InProcess (a program embedding the server, a test seeding a
	// region).
	embedderCaller
)

// surface is the caller's surface label.
func (c inprocCaller) surface() string {
	switch c {
	case webCaller:
		return surfaceWeb
	case embedderCaller:
		return surfaceInproc
	}
	return surfaceREST
}

type inprocCallerKey struct{}

// callerOf is the caller a call's client context is marked with.
func callerOf(ctx context.Context) inprocCaller {
	c, _ := ctx.Value(inprocCallerKey{}).(inprocCaller)
	return c
}

// callerConn is the gateway's connection as a caller other than the
// gateway uses it: each call's context is marked with the caller, so that
// the pipeline names its surface, and its answers are copies, which the
// caller may change (the web application sorts lists), never the
// service's own fields.
type callerConn struct {
	grpc.ClientConnInterface
	caller inprocCaller
}

func (c callerConn) Invoke(ctx context.Context, method string, req, resp any, opts ...grpc.CallOption) error {
	return c.ClientConnInterface.Invoke(context.WithValue(ctx, inprocCallerKey{}, c.caller), method, req, resp, opts...)
}

func (c callerConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.ClientConnInterface.NewStream(context.WithValue(ctx, inprocCallerKey{}, c.caller), desc, method, opts...)
}

// fromGateway reports whether a call on the in-process connection, by its
// client context, is the gateway's, whose answers are moved (the gateway
// only encodes them) and whose refusals before the pipeline its error
// handler logs.
func fromGateway(ctx context.Context) bool { return callerOf(ctx) == gatewayCaller }

// inprocSurface names the surface of an in-process call, by its server
// context: its caller's (inprocCaller.surface).
func inprocSurface(ctx context.Context) string {
	if client := gatewayClient(ctx); client != nil {
		return callerOf(client).surface()
	}
	return gatewayCaller.surface()
}

// inprocPeer is the peer of in-process calls, with the channel's network
// name (inProcess recognises REST's and the web application's calls by
// it).
var inprocPeer = peer.Peer{Addr: inprocAddr{}, AuthInfo: inprocAddr{}}

type inprocAddr struct{}

func (inprocAddr) Network() string  { return "inproc" }
func (inprocAddr) String() string   { return "0" }
func (inprocAddr) AuthType() string { return "inproc" }

// inprocStream collects what a unary handler sets with grpc.SetHeader,
// grpc.SendHeader and grpc.SetTrailer.
type inprocStream struct {
	method          string
	header, trailer metadata.MD
}

func (s *inprocStream) Method() string { return s.method }

func (s *inprocStream) SetHeader(md metadata.MD) error {
	s.header = metadata.Join(s.header, md)
	return nil
}

func (s *inprocStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

func (s *inprocStream) SetTrailer(md metadata.MD) error {
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}
