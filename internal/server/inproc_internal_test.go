package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/fullstorydev/grpchan/inprocgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// partnerEcho answers GetPartner with a partner it keeps, after noting what
// its call's context holds.
type partnerEcho struct {
	famiv1.UnimplementedPartnerServiceServer
	kept            *famiv1.Partner
	auth, network   string
	leaked, clientV any
}

type clientValueKey struct{}

func (e *partnerEcho) GetPartner(ctx context.Context, req *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	if req.GetName() == "missing" {
		return nil, status.Error(codes.NotFound, "no such partner")
	}
	if v := metadata.ValueFromIncomingContext(ctx, "authorization"); len(v) > 0 {
		e.auth = v[0]
	}
	if p, ok := peer.FromContext(ctx); ok {
		e.network = p.Addr.Network()
	}
	e.leaked = ctx.Value(clientValueKey{})
	if client := gatewayClient(ctx); client != nil {
		e.clientV = client.Value(clientValueKey{})
	}
	grpc.SetHeader(ctx, metadata.Pairs("retry-after", "3"))
	grpc.SetTrailer(ctx, metadata.Pairs("t", "2"))
	req.Name = "changed by the server"
	e.kept = &famiv1.Partner{Name: "regions/lombardia/partners/p1", DisplayName: "Kept"}
	return e.kept, nil
}

// The direct unary path gives a service what grpchan's channel gives it,
// and the caller what the channel gives back: the same test passes on both.
func TestInprocConnLikeTheChannel(t *testing.T) {
	for _, direct := range []bool{false, true} {
		var intercepted []string
		intercept := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			intercepted = append(intercepted, info.FullMethod)
			return h(ctx, req)
		}
		ch := new(inprocgrpc.Channel).WithServerUnaryInterceptor(intercept)
		if direct {
			// Calls that went through the channel would not be intercepted.
			ch = new(inprocgrpc.Channel)
		}
		conn := newInprocConn(ch, intercept, slog.New(slog.DiscardHandler), direct)
		echo := &partnerEcho{}
		famiv1.RegisterPartnerServiceServer(conn, echo)
		client := famiv1.NewPartnerServiceClient(conn)

		ctx := context.WithValue(context.Background(), clientValueKey{}, "client's")
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer t")
		req := &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/p1"}
		var header, trailer metadata.MD
		var p peer.Peer
		res, err := client.GetPartner(ctx, req, grpc.Header(&header), grpc.Trailer(&trailer), grpc.Peer(&p))
		if err != nil {
			t.Fatalf("direct %v: %v", direct, err)
		}
		if !proto.Equal(res, echo.kept) || res == echo.kept {
			t.Errorf("direct %v: got %v (the service's own message: %v), want a copy of %v", direct, res, res == echo.kept, echo.kept)
		}
		if req.Name != "regions/lombardia/partners/p1" {
			t.Errorf("direct %v: the service changed the caller's request: %q", direct, req.Name)
		}
		if echo.auth != "Bearer t" || echo.network != "inproc" || echo.leaked != nil || echo.clientV != "client's" {
			t.Errorf("direct %v: the service saw authorization %q, peer network %q, the caller's value %v, through gatewayClient %v",
				direct, echo.auth, echo.network, echo.leaked, echo.clientV)
		}
		if strings.Join(header.Get("retry-after"), ",") != "3" || strings.Join(trailer.Get("t"), ",") != "2" || p.Addr == nil || p.Addr.Network() != "inproc" {
			t.Errorf("direct %v: header %v, trailer %v, peer %v", direct, header, trailer, p.Addr)
		}
		_, err = client.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: "missing"})
		if status.Code(err) != codes.NotFound {
			t.Errorf("direct %v: error %v, want NotFound", direct, err)
		}
		if len(intercepted) != 2 || intercepted[0] != famiv1.PartnerService_GetPartner_FullMethodName {
			t.Errorf("direct %v: interceptor saw %q", direct, intercepted)
		}
		if _, err := client.ListPartners(ctx, &famiv1.ListPartnersRequest{}); status.Code(err) != codes.Unimplemented {
			t.Errorf("direct %v: ListPartners: %v, want Unimplemented", direct, err)
		}
	}
}

// A context derived from a direct call's server context ends with the
// caller's, as it would on the channel.
func TestInprocServerContextEndsWithTheCaller(t *testing.T) {
	client, cancel := context.WithCancel(context.Background())
	derived, stop := context.WithCancel(inprocServerContext{client})
	defer stop()
	cancel()
	<-derived.Done()
	if derived.Value(inprocClientKey{}) != client {
		t.Error("the derived context lost its caller")
	}
}

// kept answers GetPartner with the one partner it keeps.
type kept struct {
	famiv1.UnimplementedPartnerServiceServer
	p *famiv1.Partner
}

func (k kept) GetPartner(context.Context, *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	return k.p, nil
}

// The gateway is given the service's answer's fields, not a copy of them;
// the web application, which may change what it is given, gets a copy,
// and so does a caller of Server.InProcess.
func TestInprocAnswerMovedToTheGatewayCopiedToTheWeb(t *testing.T) {
	conn := newInprocConn(new(inprocgrpc.Channel), func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}, slog.New(slog.DiscardHandler), true)
	svc := kept{p: &famiv1.Partner{Name: "regions/lombardia/partners/p1", Municipalities: []string{"015146", "015077"}}}
	famiv1.RegisterPartnerServiceServer(conn, svc)
	want := proto.Clone(svc.p)
	req := &famiv1.GetPartnerRequest{Name: svc.p.Name}

	gw, err := famiv1.NewPartnerServiceClient(conn).GetPartner(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(gw, want) || gw == svc.p || &gw.Municipalities[0] != &svc.p.Municipalities[0] {
		t.Errorf("the gateway got %v, want the answer's own fields in a message of its own", gw)
	}

	web, err := famiv1.NewPartnerServiceClient(callerConn{conn, webCaller}).GetPartner(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	web.Municipalities[0] = "changed by the web"
	if !proto.Equal(web, &famiv1.Partner{Name: want.(*famiv1.Partner).Name, Municipalities: []string{"changed by the web", "015077"}}) || !proto.Equal(svc.p, want) {
		t.Errorf("the web's change reached the service's answer: %v", svc.p)
	}

	// Server.InProcess's callers, too, may change what they are given.
	embedded, err := famiv1.NewPartnerServiceClient(callerConn{conn, embedderCaller}).GetPartner(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	embedded.Municipalities[0] = "changed in process"
	if !proto.Equal(svc.p, want) {
		t.Errorf("an in-process caller's change reached the service's answer: %v", svc.p)
	}
}

// A stream the server ends before taking its request answers the server's
// status, never SendMsg's io.EOF: the generated client returns SendMsg's
// error as the call's, so a REST watch refused by the stream limit was
// answered 500 "EOF" whenever the refusal won the race with the request.
// Here the race is lost on purpose: Header waits for the server's end,
// then the request is sent, as often as makes a lost race certain.
func TestInprocStreamEndedBeforeItsRequest(t *testing.T) {
	// The stream limit refuses in the pipeline, before the handler reads
	// the request.
	refuse := func(any, grpc.ServerStream, *grpc.StreamServerInfo, grpc.StreamHandler) error {
		return status.Error(codes.ResourceExhausted, "too many watches")
	}
	conn := newInprocConn(new(inprocgrpc.Channel).WithServerStreamInterceptor(refuse), nil, slog.New(slog.DiscardHandler), false)
	famiv1.RegisterSyncServiceServer(conn, famiv1.UnimplementedSyncServiceServer{})
	desc := &famiv1.SyncService_ServiceDesc.Streams[0]
	for i := range 64 {
		cs, err := conn.NewStream(t.Context(), desc, famiv1.SyncService_Watch_FullMethodName)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.Header(); err != nil {
			t.Fatalf("try %d: Header: %v", i, err)
		}
		if err := cs.SendMsg(&famiv1.WatchRequest{Parent: "regions/lombardia"}); err != nil {
			t.Fatalf("try %d: SendMsg: %v, want nil and the status from RecvMsg", i, err)
		}
		if err := cs.CloseSend(); err != nil {
			t.Fatalf("try %d: CloseSend: %v", i, err)
		}
		err = cs.RecvMsg(&famiv1.WatchResponse{})
		if status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("try %d: RecvMsg: %v, want RESOURCE_EXHAUSTED", i, err)
		}
	}
}

// noAnswer answers GetPartner with neither an error nor a partner: a
// service's bug, which the direct path answers itself, past the pipeline.
type noAnswer struct {
	famiv1.UnimplementedPartnerServiceServer
}

func (noAnswer) GetPartner(context.Context, *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	return nil, nil
}

// The failures the direct path answers itself, outside the pipeline, are
// logged once, on the pipeline's logger and as it logs an internal error,
// and their text is not the caller's. A REST call the pipeline never saw
// is logged by the gateway's error handler (refuseREST, whose translation
// is toStatus's, done here), not by the connection too.
func TestInprocFailuresLoggedOnce(t *testing.T) {
	t.Parallel()
	const method = famiv1.PartnerService_GetPartner_FullMethodName
	web := context.WithValue(context.Background(), inprocCallerKey{}, webCaller)
	cases := []struct {
		name    string
		ctx     context.Context
		req     any
		gateway bool // the gateway's error handler translates the error (refuseREST)
	}{
		{"no answer, web", web, &famiv1.GetPartnerRequest{Name: "p"}, false},
		// The pipeline recorded it: the gateway's handler only answers it.
		{"no answer, REST", context.Background(), &famiv1.GetPartnerRequest{Name: "p"}, false},
		{"nil request, web", web, (*famiv1.GetPartnerRequest)(nil), false},
		{"nil request, REST", context.Background(), (*famiv1.GetPartnerRequest)(nil), true},
		{"request of another method, web", web, &famiv1.ListPartnersRequest{}, false},
		{"request of another method, REST", context.Background(), &famiv1.ListPartnersRequest{}, true},
	}
	for _, tc := range cases {
		var logged bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logged, nil))
		conn := newInprocConn(new(inprocgrpc.Channel), func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctx, req)
		}, log, true)
		famiv1.RegisterPartnerServiceServer(conn, noAnswer{})
		err := conn.Invoke(tc.ctx, method, tc.req, &famiv1.Partner{})
		if tc.gateway {
			err = toStatus(tc.ctx, log, method, status.Convert(err).Err()).Err()
		}
		if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "internal error" {
			t.Errorf("%s: answered %v, want a bare INTERNAL", tc.name, err)
		}
		if n := strings.Count(logged.String(), `msg="internal error"`); n != 1 || !strings.Contains(logged.String(), "procedure="+method) {
			t.Errorf("%s: logged %d times, want once, naming the procedure:\n%s", tc.name, n, logged.String())
		}
	}
}
