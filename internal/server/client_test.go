package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// rpcClient is one surface's connection to a test server, whatever the
// service: a grpc.ClientConnInterface, so that the generated clients of
// every service (surface, clients_test.go) call through it.
type rpcClient struct {
	kind string
	// conn is the gRPC connection (kind "grpc").
	conn *grpc.ClientConn
	// hc, base and opts make Connect clients (kinds "connect", "grpcweb").
	hc   *http.Client
	base string
	opts []connect.ClientOption
	// rest is the REST surface (kind "rest").
	rest *restSurface
}

// newRPCClient returns a client of kind (one of surfaceKinds) for ts that
// sends token (none when empty).
func newRPCClient(t *testing.T, ts *testServer, kind, token string) *rpcClient {
	t.Helper()
	c := &rpcClient{kind: kind}
	switch kind {
	case "grpc":
		c.conn = dialGRPC(t, ts, token)
	case "connect", "grpcweb":
		if kind == "grpcweb" {
			c.opts = append(c.opts, connect.WithGRPCWeb())
		}
		if token != "" {
			c.opts = append(c.opts, bearer(token))
		}
		c.hc, c.base = newHTTPClient(t), ts.httpURL()
	case "rest":
		c.rest = newRESTSurface(t, ts, token)
	default:
		t.Fatalf("unknown surface %q", kind)
	}
	return c
}

// route is the REST mapping of one RPC as fami_http.yaml writes it. The
// tests restate it rather than read the YAML, so that a changed URL fails
// them as it would fail a client.
type route struct {
	method string
	// path has {field.path} variables, replaced by the request's values
	// verbatim (resource names keep their slashes).
	path string
	// body is the request field sent as the body, "*" for the request
	// without its path fields, "" for none. The fields in neither the path
	// nor the body go in the query.
	body string
}

// httpGet, httpDelete, httpPost and httpPatch write a route as the YAML
// does: `get: path`, or `post: path` with `body: body`.
func httpGet(path string) route         { return route{http.MethodGet, path, ""} }
func httpDelete(path string) route      { return route{http.MethodDelete, path, ""} }
func httpPost(path, body string) route  { return route{http.MethodPost, path, body} }
func httpPatch(path, body string) route { return route{http.MethodPatch, path, body} }

// Invoke calls method (a famiv1connect ...Procedure constant, which is also
// the gRPC method name) with args on c's surface, over REST by its rule of
// httpRules, and decodes the answer into reply. A failed call is a
// *callError, as in surface_test.go.
func (c *rpcClient) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	req, out := args.(proto.Message), reply.(proto.Message)
	switch c.kind {
	case "grpc":
		return grpcErr(c.conn.Invoke(ctx, method, req, out, opts...))
	case "connect", "grpcweb":
		return c.connectUnary(ctx, method, req, out)
	}
	if download, ok := downloads[method]; ok {
		res, err := download(ctx, c.rest, req)
		if err != nil {
			return err
		}
		proto.Merge(out, res)
		return nil
	}
	rt, ok := httpRules[method]
	if !ok {
		return fmt.Errorf("%s has no REST rule in httpRules", method)
	}
	return c.rest.route(ctx, rt, req, out)
}

// NewStream opens a server stream on gRPC, Connect or gRPC-Web; REST's
// streams are sync_test.go's restFeed.
func (c *rpcClient) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	switch c.kind {
	case "grpc":
		s, err := c.conn.NewStream(ctx, desc, method, opts...)
		if err != nil {
			return nil, grpcErr(err)
		}
		return grpcStream{s}, nil
	case "connect", "grpcweb":
		if desc.ClientStreams {
			return nil, fmt.Errorf("%s: the %s client opens server streams only", method, c.kind)
		}
		return &connectStream{ctx: ctx, c: c, procedure: method}, nil
	}
	return nil, fmt.Errorf("%s: REST streams are sync_test.go's restFeed", method)
}

// grpcStream reports a gRPC stream's errors as *callError, and its end
// (io.EOF) as it is.
type grpcStream struct{ grpc.ClientStream }

func (s grpcStream) RecvMsg(m any) error {
	if err := s.ClientStream.RecvMsg(m); err != io.EOF {
		return grpcErr(err)
	}
	return io.EOF
}

// anyMessage lets one connect-go client type carry any message: the
// request as it is, and each response decoded into the message its
// caller asked for (connectClient's into).
type anyMessage struct{ proto.Message }

// connectClient is a Connect or gRPC-Web client of procedure, with the
// schema the generated Connect clients carry, that decodes each response
// into into().
func (c *rpcClient) connectClient(procedure string, into func() proto.Message) (*connect.Client[anyMessage, anyMessage], error) {
	m, err := methodOf(procedure)
	if err != nil {
		return nil, err
	}
	opts := append(slices.Clip(c.opts), connect.WithSchema(m),
		connect.WithResponseInitializer(func(_ connect.Spec, msg any) error {
			msg.(*anyMessage).Message = into()
			return nil
		}))
	return connect.NewClient[anyMessage, anyMessage](c.hc, c.base+procedure, opts...), nil
}

// connectUnary calls procedure over Connect or gRPC-Web.
func (c *rpcClient) connectUnary(ctx context.Context, procedure string, req, reply proto.Message) error {
	client, err := c.connectClient(procedure, func() proto.Message { return reply })
	if err != nil {
		return err
	}
	_, err = client.CallUnary(ctx, connect.NewRequest(&anyMessage{req}))
	return connectErr(err)
}

// connectStream is a server stream over Connect or gRPC-Web, driven as
// the generated gRPC clients drive one: the request is sent (SendMsg), the
// call made (CloseSend), then the responses received (RecvMsg).
type connectStream struct {
	ctx       context.Context
	c         *rpcClient
	procedure string
	req       proto.Message
	stream    *connect.ServerStreamForClient[anyMessage]
	// into is the message RecvMsg decodes the next response into.
	into proto.Message
}

func (s *connectStream) SendMsg(m any) error {
	s.req = m.(proto.Message)
	return nil
}

func (s *connectStream) CloseSend() error {
	client, err := s.c.connectClient(s.procedure, func() proto.Message { return s.into })
	if err != nil {
		return err
	}
	s.stream, err = client.CallServerStream(s.ctx, connect.NewRequest(&anyMessage{s.req}))
	return connectErr(err)
}

func (s *connectStream) RecvMsg(m any) error {
	s.into = m.(proto.Message)
	if s.stream.Receive() {
		return nil
	}
	err := s.stream.Err()
	s.stream.Close()
	if err != nil {
		return connectErr(err)
	}
	return io.EOF
}

// The tests read no stream metadata.
func (s *connectStream) Header() (metadata.MD, error) { return nil, nil }
func (s *connectStream) Trailer() metadata.MD         { return nil }
func (s *connectStream) Context() context.Context     { return s.ctx }

// methodOf is the descriptor of procedure ("/fami.v1.Service/Method"), the
// schema the generated Connect clients carry.
func methodOf(procedure string) (protoreflect.MethodDescriptor, error) {
	name := strings.ReplaceAll(strings.TrimPrefix(procedure, "/"), "/", ".")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, err
	}
	m, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a method", name)
	}
	return m, nil
}

// route sends req through rt and decodes the answer into out.
func (s *restSurface) route(ctx context.Context, rt route, req, out proto.Message) error {
	var skip []protoreflect.Name
	path := rt.path
	for {
		open := strings.IndexByte(path, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(path[open:], '}') + open
		field := path[open+1 : end]
		path = path[:open] + fieldValue(req, field) + path[end+1:]
		top, _, _ := strings.Cut(field, ".")
		skip = append(skip, protoreflect.Name(top))
	}
	var body proto.Message
	var query url.Values
	switch rt.body {
	case "":
		query = restQuery(req, skip...)
	case "*":
		body = without(req, skip...)
	default:
		fd := req.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(rt.body))
		body = req.ProtoReflect().Get(fd).Message().Interface()
		query = restQuery(req, append(skip, fd.Name())...)
	}
	return s.call(ctx, rt.method, path, query, body, out)
}

// fieldValue is the string at path ("parent", "partner.name") in m.
func fieldValue(m proto.Message, path string) string {
	r := m.ProtoReflect()
	names := strings.Split(path, ".")
	for _, n := range names[:len(names)-1] {
		r = r.Get(r.Descriptor().Fields().ByName(protoreflect.Name(n))).Message()
	}
	return r.Get(r.Descriptor().Fields().ByName(protoreflect.Name(names[len(names)-1]))).String()
}

// restQuery encodes the populated fields of a request but skip as query
// parameters with their JSON names, as grpc-gateway reads them: enums by
// name, repeated fields repeated, timestamps in RFC 3339, field masks as
// comma-separated paths. grpc-gateway passes mask paths through verbatim,
// so they keep their proto names here; TestRESTUpdateMaskJSONNames covers
// the JSON names (updateMask=displayName) the README shows.
func restQuery(req proto.Message, skip ...protoreflect.Name) url.Values {
	q := url.Values{}
	scalar := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
		switch fd.Kind() {
		case protoreflect.EnumKind:
			if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
				return string(ev.Name())
			}
			return strconv.Itoa(int(v.Enum()))
		case protoreflect.MessageKind:
			switch m := v.Message().Interface().(type) {
			case *timestamppb.Timestamp:
				return m.AsTime().Format(time.RFC3339Nano)
			case *fieldmaskpb.FieldMask:
				return strings.Join(m.GetPaths(), ",")
			}
			panic(fmt.Sprintf("restQuery: cannot encode %s in a query", fd.FullName()))
		}
		return v.String()
	}
	req.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if slices.Contains(skip, fd.Name()) {
			return true
		}
		if fd.IsList() {
			for i := 0; i < v.List().Len(); i++ {
				q.Add(fd.JSONName(), scalar(fd, v.List().Get(i)))
			}
			return true
		}
		q.Set(fd.JSONName(), scalar(fd, v))
		return true
	})
	return q
}

// without returns a copy of req with the named fields cleared: the body
// of a `body: "*"` rule, without what the path carries.
func without(req proto.Message, fields ...protoreflect.Name) proto.Message {
	c := proto.Clone(req)
	for _, f := range fields {
		c.ProtoReflect().Clear(c.ProtoReflect().Descriptor().Fields().ByName(f))
	}
	return c
}
