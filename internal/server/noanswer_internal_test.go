package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/fullstorydev/grpchan/inprocgrpc"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// faultPipeline is the pipeline as the server builds it, without
// authentication (noAuth), logging to a buffer: for the faults no real
// service makes, mounted on real transports by the tests below.
func faultPipeline(logged *syncbuf.Buffer) *pipeline {
	log := slog.New(slog.NewTextHandler(logged, nil))
	m := newMetrics()
	return &pipeline{log: log, metrics: m, noAuth: true, shed: newShedder(16, time.Second, defaultRefusedBodyLimit, m, log)}
}

// TestNoAnswerIsAnInternalErrorOnEverySurface: a service whose handler
// answers neither an error nor a message (a bug) is answered INTERNAL,
// logged once naming the procedure, and recorded INTERNAL (the access
// line, the metrics), by the pipeline, on every surface: gRPC on a
// loopback listener, Connect and gRPC-Web on a loopback HTTP listener,
// and the in-process connection (REST, the web application, an embedder;
// direct and through the channel). Before, grpc-go and connect-go sent
// the nil message as an empty partner, OK, logged as served; the
// in-process connection answered INTERNAL, but after the pipeline had
// recorded the call as OK.
func TestNoAnswerIsAnInternalErrorOnEverySurface(t *testing.T) {
	t.Parallel()
	const procedure = famiv1.PartnerService_GetPartner_FullMethodName
	req := &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/p1"}
	type surface struct {
		name, label string
		call        func(p *pipeline) error
	}
	inproc := func(direct bool, caller inprocCaller) func(p *pipeline) error {
		return func(p *pipeline) error {
			conn := newInprocConn(new(inprocgrpc.Channel).WithServerUnaryInterceptor(p.grpcUnary), p.grpcUnary, p.log, direct)
			famiv1.RegisterPartnerServiceServer(conn, noAnswer{})
			var cc grpc.ClientConnInterface = conn
			if caller != gatewayCaller {
				cc = callerConn{conn, caller}
			}
			_, err := famiv1.NewPartnerServiceClient(cc).GetPartner(t.Context(), req)
			return err
		}
	}
	connectOn := func(opts ...connect.ClientOption) func(p *pipeline) error {
		return func(p *pipeline) error {
			mux := http.NewServeMux()
			mux.Handle(famiv1connect.NewPartnerServiceHandler(noAnswer{}, connect.WithInterceptors(p.connectInterceptor())))
			srv := httptest.NewServer(mux) // on loopback
			defer srv.Close()
			_, err := famiv1connect.NewPartnerServiceClient(srv.Client(), srv.URL, opts...).GetPartner(t.Context(), req)
			return err
		}
	}
	surfaces := []surface{
		{"gRPC", "grpc", func(p *pipeline) error {
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := grpc.NewServer(grpc.ChainUnaryInterceptor(p.grpcUnary), grpc.ForceServerCodecV2(newGRPCCodec(nil)))
			famiv1.RegisterPartnerServiceServer(srv, noAnswer{})
			go srv.Serve(lis)
			defer srv.Stop()
			cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			_, err = famiv1.NewPartnerServiceClient(cc).GetPartner(t.Context(), req)
			return err
		}},
		{"Connect", "connect", connectOn()},
		{"gRPC-Web", "grpcweb", connectOn(connect.WithGRPCWeb())},
		{"REST's in-process call", "rest", inproc(true, gatewayCaller)},
		{"REST's call through the channel (tracing on)", "rest", inproc(false, gatewayCaller)},
		{"the web application's", "web", inproc(true, webCaller)},
		{"an embedder's (Server.InProcess)", "inproc", inproc(true, embedderCaller)},
	}
	for _, s := range surfaces {
		var logged syncbuf.Buffer
		p := faultPipeline(&logged)
		err := s.call(p)
		code, msg := status.Code(err), status.Convert(err).Message()
		if ce := new(connect.Error); errors.As(err, &ce) {
			code, msg = codes.Code(ce.Code()), ce.Message()
		}
		if code != codes.Internal || msg != "internal error" {
			t.Errorf("%s: answered %v, want a bare INTERNAL", s.name, err)
		}
		log := logged.String()
		if n := strings.Count(log, `msg="internal error"`); n != 1 || !strings.Contains(log, "procedure="+procedure) {
			t.Errorf("%s: logged %d times, want once, naming the procedure:\n%s", s.name, n, log)
		}
		lines := LogLines(log, "rpc")
		if len(lines) != 1 || !strings.Contains(lines[0], " protocol="+s.label+" ") || !strings.Contains(lines[0], " code=INTERNAL ") {
			t.Errorf("%s: access lines %q, want one, protocol=%s code=INTERNAL", s.name, lines, s.label)
		}
		for code, want := range map[string]float64{"INTERNAL": 1, "OK": 0} {
			if got := counted(t, p, code, s.label); got != want {
				t.Errorf("%s: raccordo_rpc_requests_total code %s: %v, want %v", s.name, code, got, want)
			}
		}
	}
}

// ran answers GetPartner, counting its calls.
type ran struct {
	famiv1.UnimplementedPartnerServiceServer
	calls *int
}

func (r ran) GetPartner(context.Context, *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	*r.calls++
	return &famiv1.Partner{Name: "regions/lombardia/partners/p1"}, nil
}

// TestInprocAnswerThatCannotBeHandedOverIsRefusedBeforeTheCall: an
// in-process call whose answer cannot be handed over (a message of
// another type than the method's) is refused before the service runs,
// logged once; before, the service ran (a write would have been made),
// the pipeline recorded the call as OK, and then the caller got INTERNAL.
func TestInprocAnswerThatCannotBeHandedOverIsRefusedBeforeTheCall(t *testing.T) {
	for _, direct := range []bool{true, false} {
		for _, caller := range []inprocCaller{gatewayCaller, webCaller, embedderCaller} {
			var logged syncbuf.Buffer
			p := faultPipeline(&logged)
			conn := newInprocConn(new(inprocgrpc.Channel).WithServerUnaryInterceptor(p.grpcUnary), p.grpcUnary, p.log, direct)
			calls := 0
			famiv1.RegisterPartnerServiceServer(conn, ran{calls: &calls})
			ctx := context.WithValue(t.Context(), inprocCallerKey{}, caller)
			const method = famiv1.PartnerService_GetPartner_FullMethodName
			err := conn.Invoke(ctx, method, &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/p1"}, &famiv1.Project{})
			if caller == gatewayCaller { // REST's is translated and logged by the gateway's error handler (refuseREST)
				err = toStatus(ctx, p.log, method, status.Convert(err).Err()).Err()
			}
			what := caller.surface()
			if direct {
				what += ", direct"
			}
			if status.Code(err) != codes.Internal || calls != 0 {
				t.Errorf("%s: %v after %d calls of the service, want INTERNAL before any", what, err, calls)
			}
			if lines := LogLines(logged.String(), "rpc"); len(lines) != 0 {
				t.Errorf("%s: access lines %q, want none: the pipeline never ran the call", what, lines)
			}
			if got := counted(t, p, "OK", caller.surface()); got != 0 {
				t.Errorf("%s: counted %v calls served, want none", what, got)
			}
			if n := strings.Count(logged.String(), `msg="internal error"`); n != 1 {
				t.Errorf("%s: logged %d times, want once:\n%s", what, n, logged.String())
			}
		}
	}
}

// counted is p's count of GetPartner's calls that ended with code on
// surface.
func counted(t *testing.T, p *pipeline, code, surface string) float64 {
	t.Helper()
	var m dto.Metric
	if err := p.metrics.rpcs.WithLabelValues("fami.v1.PartnerService", "GetPartner", code, surface).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
