package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// rpcClient is one surface's connection to a test server, whatever the
// service: surface's methods (clients_test.go), one per RPC, hand unary
// the procedure, its REST route and the messages.
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

// unary calls procedure (a famiv1connect ...Procedure constant, which is
// also the gRPC method name) with req on c's surface, over REST through
// rt, and returns the answer: out, into which gRPC and REST decode it, or
// the message Connect made. A failed call is a *callError, as in
// surface_test.go.
func unary[Req, Res any](ctx context.Context, c *rpcClient, procedure string, rt route, req *Req, out *Res) (*Res, error) {
	switch c.kind {
	case "grpc":
		return out, grpcErr(c.conn.Invoke(ctx, procedure, req, out))
	case "connect", "grpcweb":
		m, err := methodOf(procedure)
		if err != nil {
			return nil, err
		}
		opts := append(slices.Clip(c.opts), connect.WithSchema(m))
		res, err := connect.NewClient[Req, Res](c.hc, c.base+procedure, opts...).CallUnary(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, connectErr(err)
		}
		return res.Msg, nil
	}
	return out, c.rest.route(ctx, rt, any(req).(proto.Message), any(out).(proto.Message))
}

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
