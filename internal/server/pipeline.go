package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/raccordo/raccordo/internal/errs"
)

// call is what the shared pipeline knows of a unary RPC, whatever transport
// carried it.
type call struct {
	// procedure is the full method, "/fami.v1.PartnerService/GetPartner".
	procedure string
	// protocol names the transport for the logs: grpc, connect, grpcweb or
	// rest (REST arrives through the in-process gRPC channel).
	protocol string
	// header returns a request header (gRPC metadata) value.
	header func(key string) string
	// peer is the client's address.
	peer string
}

type unaryFunc func(ctx context.Context) (any, error)

// pipeline is the one place where every unary call, on every surface, gets
// its deadline, panic recovery and log line, so the rules cannot drift
// between transports.
type pipeline struct {
	log            *slog.Logger
	requestTimeout time.Duration
}

// run executes a call. The error it returns is the service's, untranslated.
func (p *pipeline) run(ctx context.Context, c call, next unaryFunc) (res any, err error) {
	start := time.Now()
	if p.requestTimeout > 0 {
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > p.requestTimeout {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, p.requestTimeout)
			defer cancel()
		}
	}
	defer func() {
		if r := recover(); r != nil {
			p.log.ErrorContext(ctx, "panic", "procedure", c.procedure, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res, err = nil, errs.New(errs.Internal, "INTERNAL", "panic: %v", r)
		}
		level := slog.LevelInfo
		code := "OK"
		if err != nil {
			code = errs.CodeOf(err).String()
			if st, ok := status.FromError(err); ok {
				code = upperSnake(st.Code())
			}
			if errs.CodeOf(err) == errs.Internal {
				level = slog.LevelWarn
			}
		}
		p.log.Log(ctx, level, "rpc", "procedure", c.procedure, "protocol", c.protocol, "peer", c.peer, "code", code, "duration", time.Since(start))
	}()
	return next(ctx)
}

// grpcUnary adapts the pipeline to grpc-go and translates errors at its
// edge.
func (p *pipeline) grpcUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	c := call{procedure: info.FullMethod, protocol: "grpc", header: func(k string) string {
		if v := md.Get(k); len(v) > 0 {
			return v[0]
		}
		return ""
	}}
	if pr, ok := peer.FromContext(ctx); ok && pr.Addr != nil {
		c.peer = pr.Addr.String()
	}
	if inProcess(ctx) {
		// The REST gateway reaches the services through an in-process
		// channel; the client's address is in X-Forwarded-For.
		c.protocol = "rest"
		c.peer = firstForwarded(c.header("x-forwarded-for"))
	}
	res, err := p.run(ctx, c, func(ctx context.Context) (any, error) { return handler(ctx, req) })
	if err != nil {
		return nil, toStatus(ctx, p.log, c.procedure, err).Err()
	}
	return res, nil
}

// connectUnary adapts the pipeline to connect-go (Connect, gRPC and
// gRPC-Web on the HTTP listener).
func (p *pipeline) connectUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		c := call{
			procedure: req.Spec().Procedure,
			protocol:  req.Peer().Protocol,
			header:    req.Header().Get,
			peer:      req.Peer().Addr,
		}
		res, err := p.run(ctx, c, func(ctx context.Context) (any, error) { return next(ctx, req) })
		if err != nil {
			return nil, toConnect(toStatus(ctx, p.log, c.procedure, err))
		}
		return res.(connect.AnyResponse), nil
	}
}

// connectInterceptor is the pipeline as a connect.Interceptor.
func (p *pipeline) connectInterceptor() connect.Interceptor {
	return connect.UnaryInterceptorFunc(p.connectUnary)
}

func firstForwarded(xff string) string {
	first, _, _ := strings.Cut(xff, ",")
	first = strings.TrimSpace(first)
	if host, _, err := net.SplitHostPort(first); err == nil {
		return host
	}
	return first
}
