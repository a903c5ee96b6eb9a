package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// surface is one way of calling the API. Every implementation takes and
// returns the generated messages and reports a failed call as a *callError,
// so one scenario runs unchanged on all of them.
type surface interface {
	ListRegions(context.Context, *famiv1.ListRegionsRequest) (*famiv1.ListRegionsResponse, error)
	GetRegion(context.Context, *famiv1.GetRegionRequest) (*famiv1.Region, error)
	ListMunicipalities(context.Context, *famiv1.ListMunicipalitiesRequest) (*famiv1.ListMunicipalitiesResponse, error)

	CreatePartner(context.Context, *famiv1.CreatePartnerRequest) (*famiv1.Partner, error)
	GetPartner(context.Context, *famiv1.GetPartnerRequest) (*famiv1.Partner, error)
	ListPartners(context.Context, *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error)
	UpdatePartner(context.Context, *famiv1.UpdatePartnerRequest) (*famiv1.Partner, error)
	DeletePartner(context.Context, *famiv1.DeletePartnerRequest) error

	CreateProject(context.Context, *famiv1.CreateProjectRequest) (*famiv1.Project, error)
	GetProject(context.Context, *famiv1.GetProjectRequest) (*famiv1.Project, error)
	ListProjects(context.Context, *famiv1.ListProjectsRequest) (*famiv1.ListProjectsResponse, error)
	UpdateProject(context.Context, *famiv1.UpdateProjectRequest) (*famiv1.Project, error)
	DeleteProject(context.Context, *famiv1.DeleteProjectRequest) error
	ExtendProject(context.Context, *famiv1.ExtendProjectRequest) (*famiv1.Project, error)

	CreateNetwork(context.Context, *famiv1.CreateNetworkRequest) (*famiv1.Network, error)
	GetNetwork(context.Context, *famiv1.GetNetworkRequest) (*famiv1.Network, error)
	ListNetworks(context.Context, *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error)
	UpdateNetwork(context.Context, *famiv1.UpdateNetworkRequest) (*famiv1.Network, error)
	DeleteNetwork(context.Context, *famiv1.DeleteNetworkRequest) error

	Login(context.Context, *famiv1.LoginRequest) (*famiv1.LoginResponse, error)
	WhoAmI(context.Context, *famiv1.WhoAmIRequest) (*famiv1.WhoAmIResponse, error)
	CreateAccount(context.Context, *famiv1.CreateAccountRequest) (*famiv1.Account, error)
	GetAccount(context.Context, *famiv1.GetAccountRequest) (*famiv1.Account, error)
	ListAccounts(context.Context, *famiv1.ListAccountsRequest) (*famiv1.ListAccountsResponse, error)
	DeleteAccount(context.Context, *famiv1.DeleteAccountRequest) error
	SetAccountPassword(context.Context, *famiv1.SetAccountPasswordRequest) error
	CreateServiceToken(context.Context, *famiv1.CreateServiceTokenRequest) (*famiv1.CreateServiceTokenResponse, error)
	ListServiceTokens(context.Context, *famiv1.ListServiceTokensRequest) (*famiv1.ListServiceTokensResponse, error)
	RevokeServiceToken(context.Context, *famiv1.RevokeServiceTokenRequest) (*famiv1.ServiceToken, error)
}

// surfaceKinds are the four surfaces, in the order the tests run them.
var surfaceKinds = []string{"grpc", "connect", "grpcweb", "rest"}

// newSurface returns a client of kind for ts that sends ts's token.
func newSurface(t *testing.T, ts *testServer, kind string) surface {
	t.Helper()
	return newSurfaceAs(t, ts, kind, ts.token)
}

// newSurfaceAs returns a client of kind for ts that sends token (none when
// empty).
func newSurfaceAs(t *testing.T, ts *testServer, kind, token string) surface {
	t.Helper()
	switch kind {
	case "grpc":
		return newGRPCSurface(t, ts, token)
	case "connect":
		return newConnectSurface(t, ts, token)
	case "grpcweb":
		return newConnectSurface(t, ts, token, connect.WithGRPCWeb())
	case "rest":
		return newRESTSurface(t, ts, token)
	}
	t.Fatalf("unknown surface %q", kind)
	return nil
}

// callError is a failed call in the same shape whatever the surface.
type callError struct {
	// Code is the gRPC code (REST: the problem document's "code").
	Code codes.Code
	// HTTPStatus is the response's status on REST, 0 on the RPC surfaces.
	HTTPStatus int
	// Message is the status message (REST: the problem's "detail").
	Message string
	// Reason is the google.rpc.ErrorInfo reason (REST: "reason").
	Reason string
	// Domain is the google.rpc.ErrorInfo domain; empty on REST.
	Domain string
	// Fields are the google.rpc.BadRequest field violations' fields (REST:
	// the problem's violations).
	Fields []string
	// RetryAfter is the google.rpc.RetryInfo delay (REST: the Retry-After
	// header), 0 when the error has none.
	RetryAfter time.Duration
}

func (e *callError) Error() string {
	return fmt.Sprintf("%s (http %d, reason %s, fields %v): %s", upperSnake(e.Code), e.HTTPStatus, e.Reason, e.Fields, e.Message)
}

// asCallError returns the *callError in err's chain.
func asCallError(err error) (*callError, bool) {
	var ce *callError
	ok := errors.As(err, &ce)
	return ce, ok
}

// upperSnake spells a code as the gRPC spec does: INVALID_ARGUMENT.
func upperSnake(c codes.Code) string {
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// fromDetails fills the ErrorInfo and BadRequest parts of e.
func (e *callError) fromDetails(details []any) {
	for _, d := range details {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Domain = d.GetReason(), d.GetDomain()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.Fields = append(e.Fields, v.GetField())
			}
		case *errdetails.RetryInfo:
			e.RetryAfter = d.GetRetryDelay().AsDuration()
		}
	}
}

// --- gRPC (grpc-go on the gRPC port) ---

type grpcSurface struct {
	regions  famiv1.RegionServiceClient
	partners famiv1.PartnerServiceClient
	projects famiv1.ProjectServiceClient
	networks famiv1.NetworkServiceClient
	auth     famiv1.AuthServiceClient
}

// dialGRPC connects to ts's gRPC port; every call carries token, if any.
func dialGRPC(t *testing.T, ts *testServer, token string) *grpc.ClientConn {
	t.Helper()
	auth := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	conn, err := grpc.NewClient(ts.grpcAddr(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(auth),
	)
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func newGRPCSurface(t *testing.T, ts *testServer, token string) *grpcSurface {
	conn := dialGRPC(t, ts, token)
	return &grpcSurface{
		regions:  famiv1.NewRegionServiceClient(conn),
		partners: famiv1.NewPartnerServiceClient(conn),
		projects: famiv1.NewProjectServiceClient(conn),
		networks: famiv1.NewNetworkServiceClient(conn),
		auth:     famiv1.NewAuthServiceClient(conn),
	}
}

// grpcErr converts a grpc-go error.
func grpcErr(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("not a gRPC status: %w", err)
	}
	e := &callError{Code: st.Code(), Message: st.Message()}
	e.fromDetails(st.Details())
	return e
}

func (s *grpcSurface) ListRegions(ctx context.Context, r *famiv1.ListRegionsRequest) (*famiv1.ListRegionsResponse, error) {
	res, err := s.regions.ListRegions(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) CreatePartner(ctx context.Context, r *famiv1.CreatePartnerRequest) (*famiv1.Partner, error) {
	res, err := s.partners.CreatePartner(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) GetPartner(ctx context.Context, r *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	res, err := s.partners.GetPartner(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) ListPartners(ctx context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
	res, err := s.partners.ListPartners(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) UpdatePartner(ctx context.Context, r *famiv1.UpdatePartnerRequest) (*famiv1.Partner, error) {
	res, err := s.partners.UpdatePartner(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) DeletePartner(ctx context.Context, r *famiv1.DeletePartnerRequest) error {
	_, err := s.partners.DeletePartner(ctx, r)
	return grpcErr(err)
}

func (s *grpcSurface) CreateProject(ctx context.Context, r *famiv1.CreateProjectRequest) (*famiv1.Project, error) {
	res, err := s.projects.CreateProject(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) GetProject(ctx context.Context, r *famiv1.GetProjectRequest) (*famiv1.Project, error) {
	res, err := s.projects.GetProject(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) ExtendProject(ctx context.Context, r *famiv1.ExtendProjectRequest) (*famiv1.Project, error) {
	res, err := s.projects.ExtendProject(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) CreateNetwork(ctx context.Context, r *famiv1.CreateNetworkRequest) (*famiv1.Network, error) {
	res, err := s.networks.CreateNetwork(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) GetNetwork(ctx context.Context, r *famiv1.GetNetworkRequest) (*famiv1.Network, error) {
	res, err := s.networks.GetNetwork(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) ListNetworks(ctx context.Context, r *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error) {
	res, err := s.networks.ListNetworks(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) UpdateNetwork(ctx context.Context, r *famiv1.UpdateNetworkRequest) (*famiv1.Network, error) {
	res, err := s.networks.UpdateNetwork(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) DeleteNetwork(ctx context.Context, r *famiv1.DeleteNetworkRequest) error {
	_, err := s.networks.DeleteNetwork(ctx, r)
	return grpcErr(err)
}

// --- Connect and gRPC-Web (connect-go on the HTTP port) ---

type connectSurface struct {
	regions  famiv1connect.RegionServiceClient
	partners famiv1connect.PartnerServiceClient
	projects famiv1connect.ProjectServiceClient
	networks famiv1connect.NetworkServiceClient
	auth     famiv1connect.AuthServiceClient
}

// newHTTPClient returns an HTTP client whose idle connections are closed
// when the test ends.
func newHTTPClient(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// newConnectSurface returns connect-go clients of ts's HTTP port: the
// Connect protocol by default, gRPC-Web with connect.WithGRPCWeb(). Every
// call carries token, if any.
func newConnectSurface(t *testing.T, ts *testServer, token string, opts ...connect.ClientOption) *connectSurface {
	auth := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if token != "" {
				req.Header().Set("Authorization", "Bearer "+token)
			}
			return next(ctx, req)
		}
	})
	opts = append(opts, connect.WithInterceptors(auth))
	hc, base := newHTTPClient(t), ts.httpURL()
	return &connectSurface{
		regions:  famiv1connect.NewRegionServiceClient(hc, base, opts...),
		partners: famiv1connect.NewPartnerServiceClient(hc, base, opts...),
		projects: famiv1connect.NewProjectServiceClient(hc, base, opts...),
		networks: famiv1connect.NewNetworkServiceClient(hc, base, opts...),
		auth:     famiv1connect.NewAuthServiceClient(hc, base, opts...),
	}
}

// connectErr converts a connect-go error.
func connectErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return fmt.Errorf("not a Connect error: %w", err)
	}
	e := &callError{Code: codes.Code(ce.Code()), Message: ce.Message()}
	var details []any
	for _, d := range ce.Details() {
		v, err := d.Value()
		if err != nil {
			return fmt.Errorf("error detail %s: %w", d.Type(), err)
		}
		details = append(details, v)
	}
	e.fromDetails(details)
	return e
}

func (s *connectSurface) ListRegions(ctx context.Context, r *famiv1.ListRegionsRequest) (*famiv1.ListRegionsResponse, error) {
	res, err := s.regions.ListRegions(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) CreatePartner(ctx context.Context, r *famiv1.CreatePartnerRequest) (*famiv1.Partner, error) {
	res, err := s.partners.CreatePartner(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) GetPartner(ctx context.Context, r *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	res, err := s.partners.GetPartner(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) ListPartners(ctx context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
	res, err := s.partners.ListPartners(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) UpdatePartner(ctx context.Context, r *famiv1.UpdatePartnerRequest) (*famiv1.Partner, error) {
	res, err := s.partners.UpdatePartner(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) DeletePartner(ctx context.Context, r *famiv1.DeletePartnerRequest) error {
	_, err := s.partners.DeletePartner(ctx, r)
	return connectErr(err)
}

func (s *connectSurface) CreateProject(ctx context.Context, r *famiv1.CreateProjectRequest) (*famiv1.Project, error) {
	res, err := s.projects.CreateProject(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) GetProject(ctx context.Context, r *famiv1.GetProjectRequest) (*famiv1.Project, error) {
	res, err := s.projects.GetProject(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) ExtendProject(ctx context.Context, r *famiv1.ExtendProjectRequest) (*famiv1.Project, error) {
	res, err := s.projects.ExtendProject(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) CreateNetwork(ctx context.Context, r *famiv1.CreateNetworkRequest) (*famiv1.Network, error) {
	res, err := s.networks.CreateNetwork(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) GetNetwork(ctx context.Context, r *famiv1.GetNetworkRequest) (*famiv1.Network, error) {
	res, err := s.networks.GetNetwork(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) ListNetworks(ctx context.Context, r *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error) {
	res, err := s.networks.ListNetworks(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) UpdateNetwork(ctx context.Context, r *famiv1.UpdateNetworkRequest) (*famiv1.Network, error) {
	res, err := s.networks.UpdateNetwork(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) DeleteNetwork(ctx context.Context, r *famiv1.DeleteNetworkRequest) error {
	_, err := s.networks.DeleteNetwork(ctx, r)
	return connectErr(err)
}

// --- REST (HTTP/JSON through grpc-gateway on the HTTP port) ---

// restSurface calls the REST mapping of proto/fami/v1/fami_http.yaml with
// protojson bodies, as a browser or curl would.
type restSurface struct {
	hc    *http.Client
	base  string
	token string
}

func newRESTSurface(t *testing.T, ts *testServer, token string) *restSurface {
	return &restSurface{hc: newHTTPClient(t), base: ts.httpURL(), token: token}
}

// restResponse is a raw REST exchange.
type restResponse struct {
	Status      int
	ContentType string
	Header      http.Header
	Body        []byte
}

// send is the one request builder of the REST surface: it adds the
// credentials and the JSON content type. query may be nil.
func (s *restSurface) send(ctx context.Context, method, path string, query url.Values, body []byte) (*restResponse, error) {
	u := s.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return &restResponse{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), Header: res.Header, Body: b}, nil
}

// problemDoc is the RFC 9457 problem document the REST surface answers
// errors with.
type problemDoc struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status"`
	Detail     string `json:"detail"`
	Code       string `json:"code"`
	Reason     string `json:"reason"`
	Violations []struct {
		Field       string `json:"field"`
		Description string `json:"description"`
	} `json:"violations"`
}

// problemError turns a non-2xx response into a *callError, checking that
// it is a well-formed problem document consistent with its status line.
func problemError(method, path string, r *restResponse) error {
	mt, _, _ := mime.ParseMediaType(r.ContentType)
	if mt != "application/problem+json" {
		return fmt.Errorf("%s %s: status %d with Content-Type %q, want application/problem+json; body %s", method, path, r.Status, r.ContentType, r.Body)
	}
	var p problemDoc
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return fmt.Errorf("%s %s: problem document: %v; body %s", method, path, err, r.Body)
	}
	if p.Status != r.Status || p.Type == "" || p.Title == "" {
		return fmt.Errorf("%s %s: problem document %s: want status %d and non-empty type and title", method, path, r.Body, r.Status)
	}
	var code codes.Code
	if err := code.UnmarshalJSON([]byte(strconv.Quote(p.Code))); err != nil {
		return fmt.Errorf("%s %s: problem code %q: %v", method, path, p.Code, err)
	}
	e := &callError{Code: code, HTTPStatus: r.Status, Message: p.Detail, Reason: p.Reason}
	for _, v := range p.Violations {
		e.Fields = append(e.Fields, v.Field)
	}
	if ra := r.Header.Get("Retry-After"); ra != "" {
		secs, err := strconv.Atoi(ra)
		if err != nil || secs < 0 {
			return fmt.Errorf("%s %s: Retry-After %q is not a number of seconds", method, path, ra)
		}
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}

// call sends one REST request: body (if not nil) as protojson, the response
// decoded into out (if not nil).
func (s *restSurface) call(ctx context.Context, method, path string, query url.Values, body, out proto.Message) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = protojson.Marshal(body); err != nil {
			return err
		}
	}
	r, err := s.send(ctx, method, path, query, b)
	if err != nil {
		return err
	}
	if r.Status/100 != 2 {
		return problemError(method, path, r)
	}
	if mt, _, _ := mime.ParseMediaType(r.ContentType); mt != "application/json" {
		return fmt.Errorf("%s %s: Content-Type %q, want application/json", method, path, r.ContentType)
	}
	if out == nil {
		out = &emptypb.Empty{}
	}
	if err := protojson.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("%s %s: decode %s: %v", method, path, r.Body, err)
	}
	return nil
}

// queryOf encodes the populated fields of a request, except those carried
// in the path or the body, as query parameters with their JSON names, as
// grpc-gateway expects: enums by name, field masks as comma-separated
// paths. grpc-gateway passes mask paths through verbatim, so they keep
// their proto names here; TestRESTUpdateMaskJSONNames covers the JSON
// names (updateMask=displayName) the README shows.
func queryOf(req proto.Message, skip ...protoreflect.Name) url.Values {
	q := url.Values{}
	req.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		for _, s := range skip {
			if fd.Name() == s {
				return true
			}
		}
		var s string
		switch fd.Kind() {
		case protoreflect.EnumKind:
			s = strconv.Itoa(int(v.Enum()))
			if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
				s = string(ev.Name())
			}
		case protoreflect.MessageKind:
			fm, ok := v.Message().Interface().(*fieldmaskpb.FieldMask)
			if !ok {
				panic(fmt.Sprintf("queryOf: cannot encode %s in a query", fd.FullName()))
			}
			s = strings.Join(fm.GetPaths(), ",")
		default:
			s = v.String()
		}
		q.Set(fd.JSONName(), s)
		return true
	})
	return q
}

func (s *restSurface) ListRegions(ctx context.Context, r *famiv1.ListRegionsRequest) (*famiv1.ListRegionsResponse, error) {
	out := &famiv1.ListRegionsResponse{}
	return out, s.call(ctx, http.MethodGet, "/v1/regions", queryOf(r), nil, out)
}

func (s *restSurface) CreatePartner(ctx context.Context, r *famiv1.CreatePartnerRequest) (*famiv1.Partner, error) {
	out := &famiv1.Partner{}
	return out, s.call(ctx, http.MethodPost, "/v1/"+r.GetParent()+"/partners", queryOf(r, "parent", "partner"), r.GetPartner(), out)
}

func (s *restSurface) GetPartner(ctx context.Context, r *famiv1.GetPartnerRequest) (*famiv1.Partner, error) {
	out := &famiv1.Partner{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetName(), nil, nil, out)
}

func (s *restSurface) ListPartners(ctx context.Context, r *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error) {
	out := &famiv1.ListPartnersResponse{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetParent()+"/partners", queryOf(r, "parent"), nil, out)
}

func (s *restSurface) UpdatePartner(ctx context.Context, r *famiv1.UpdatePartnerRequest) (*famiv1.Partner, error) {
	out := &famiv1.Partner{}
	return out, s.call(ctx, http.MethodPatch, "/v1/"+r.GetPartner().GetName(), queryOf(r, "partner"), r.GetPartner(), out)
}

func (s *restSurface) DeletePartner(ctx context.Context, r *famiv1.DeletePartnerRequest) error {
	return s.call(ctx, http.MethodDelete, "/v1/"+r.GetName(), queryOf(r, "name"), nil, nil)
}

func (s *restSurface) CreateProject(ctx context.Context, r *famiv1.CreateProjectRequest) (*famiv1.Project, error) {
	out := &famiv1.Project{}
	return out, s.call(ctx, http.MethodPost, "/v1/"+r.GetParent()+"/projects", queryOf(r, "parent", "project"), r.GetProject(), out)
}

func (s *restSurface) GetProject(ctx context.Context, r *famiv1.GetProjectRequest) (*famiv1.Project, error) {
	out := &famiv1.Project{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetName(), nil, nil, out)
}

func (s *restSurface) ExtendProject(ctx context.Context, r *famiv1.ExtendProjectRequest) (*famiv1.Project, error) {
	// body: "*": the whole request but the path's name.
	body := proto.CloneOf(r)
	body.Name = ""
	out := &famiv1.Project{}
	return out, s.call(ctx, http.MethodPost, "/v1/"+r.GetName()+":extend", nil, body, out)
}

func (s *restSurface) CreateNetwork(ctx context.Context, r *famiv1.CreateNetworkRequest) (*famiv1.Network, error) {
	out := &famiv1.Network{}
	return out, s.call(ctx, http.MethodPost, "/v1/"+r.GetParent()+"/networks", queryOf(r, "parent", "network"), r.GetNetwork(), out)
}

func (s *restSurface) GetNetwork(ctx context.Context, r *famiv1.GetNetworkRequest) (*famiv1.Network, error) {
	out := &famiv1.Network{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetName(), nil, nil, out)
}

func (s *restSurface) ListNetworks(ctx context.Context, r *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error) {
	out := &famiv1.ListNetworksResponse{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetParent()+"/networks", queryOf(r, "parent"), nil, out)
}

func (s *restSurface) UpdateNetwork(ctx context.Context, r *famiv1.UpdateNetworkRequest) (*famiv1.Network, error) {
	out := &famiv1.Network{}
	return out, s.call(ctx, http.MethodPatch, "/v1/"+r.GetNetwork().GetName(), queryOf(r, "network"), r.GetNetwork(), out)
}

func (s *restSurface) DeleteNetwork(ctx context.Context, r *famiv1.DeleteNetworkRequest) error {
	return s.call(ctx, http.MethodDelete, "/v1/"+r.GetName(), queryOf(r, "name"), nil, nil)
}

// --- The remaining RPCs, on each surface ---

func (s *grpcSurface) GetRegion(ctx context.Context, r *famiv1.GetRegionRequest) (*famiv1.Region, error) {
	res, err := s.regions.GetRegion(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) ListMunicipalities(ctx context.Context, r *famiv1.ListMunicipalitiesRequest) (*famiv1.ListMunicipalitiesResponse, error) {
	res, err := s.regions.ListMunicipalities(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) ListProjects(ctx context.Context, r *famiv1.ListProjectsRequest) (*famiv1.ListProjectsResponse, error) {
	res, err := s.projects.ListProjects(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) UpdateProject(ctx context.Context, r *famiv1.UpdateProjectRequest) (*famiv1.Project, error) {
	res, err := s.projects.UpdateProject(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) DeleteProject(ctx context.Context, r *famiv1.DeleteProjectRequest) error {
	_, err := s.projects.DeleteProject(ctx, r)
	return grpcErr(err)
}

func (s *grpcSurface) Login(ctx context.Context, r *famiv1.LoginRequest) (*famiv1.LoginResponse, error) {
	res, err := s.auth.Login(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) WhoAmI(ctx context.Context, r *famiv1.WhoAmIRequest) (*famiv1.WhoAmIResponse, error) {
	res, err := s.auth.WhoAmI(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) CreateAccount(ctx context.Context, r *famiv1.CreateAccountRequest) (*famiv1.Account, error) {
	res, err := s.auth.CreateAccount(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) GetAccount(ctx context.Context, r *famiv1.GetAccountRequest) (*famiv1.Account, error) {
	res, err := s.auth.GetAccount(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) ListAccounts(ctx context.Context, r *famiv1.ListAccountsRequest) (*famiv1.ListAccountsResponse, error) {
	res, err := s.auth.ListAccounts(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) DeleteAccount(ctx context.Context, r *famiv1.DeleteAccountRequest) error {
	_, err := s.auth.DeleteAccount(ctx, r)
	return grpcErr(err)
}

func (s *grpcSurface) SetAccountPassword(ctx context.Context, r *famiv1.SetAccountPasswordRequest) error {
	_, err := s.auth.SetAccountPassword(ctx, r)
	return grpcErr(err)
}

func (s *grpcSurface) CreateServiceToken(ctx context.Context, r *famiv1.CreateServiceTokenRequest) (*famiv1.CreateServiceTokenResponse, error) {
	res, err := s.auth.CreateServiceToken(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) ListServiceTokens(ctx context.Context, r *famiv1.ListServiceTokensRequest) (*famiv1.ListServiceTokensResponse, error) {
	res, err := s.auth.ListServiceTokens(ctx, r)
	return res, grpcErr(err)
}

func (s *grpcSurface) RevokeServiceToken(ctx context.Context, r *famiv1.RevokeServiceTokenRequest) (*famiv1.ServiceToken, error) {
	res, err := s.auth.RevokeServiceToken(ctx, r)
	return res, grpcErr(err)
}

func (s *connectSurface) GetRegion(ctx context.Context, r *famiv1.GetRegionRequest) (*famiv1.Region, error) {
	res, err := s.regions.GetRegion(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) ListMunicipalities(ctx context.Context, r *famiv1.ListMunicipalitiesRequest) (*famiv1.ListMunicipalitiesResponse, error) {
	res, err := s.regions.ListMunicipalities(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) ListProjects(ctx context.Context, r *famiv1.ListProjectsRequest) (*famiv1.ListProjectsResponse, error) {
	res, err := s.projects.ListProjects(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) UpdateProject(ctx context.Context, r *famiv1.UpdateProjectRequest) (*famiv1.Project, error) {
	res, err := s.projects.UpdateProject(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) DeleteProject(ctx context.Context, r *famiv1.DeleteProjectRequest) error {
	_, err := s.projects.DeleteProject(ctx, r)
	return connectErr(err)
}

func (s *connectSurface) Login(ctx context.Context, r *famiv1.LoginRequest) (*famiv1.LoginResponse, error) {
	res, err := s.auth.Login(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) WhoAmI(ctx context.Context, r *famiv1.WhoAmIRequest) (*famiv1.WhoAmIResponse, error) {
	res, err := s.auth.WhoAmI(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) CreateAccount(ctx context.Context, r *famiv1.CreateAccountRequest) (*famiv1.Account, error) {
	res, err := s.auth.CreateAccount(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) GetAccount(ctx context.Context, r *famiv1.GetAccountRequest) (*famiv1.Account, error) {
	res, err := s.auth.GetAccount(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) ListAccounts(ctx context.Context, r *famiv1.ListAccountsRequest) (*famiv1.ListAccountsResponse, error) {
	res, err := s.auth.ListAccounts(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) DeleteAccount(ctx context.Context, r *famiv1.DeleteAccountRequest) error {
	_, err := s.auth.DeleteAccount(ctx, r)
	return connectErr(err)
}

func (s *connectSurface) SetAccountPassword(ctx context.Context, r *famiv1.SetAccountPasswordRequest) error {
	_, err := s.auth.SetAccountPassword(ctx, r)
	return connectErr(err)
}

func (s *connectSurface) CreateServiceToken(ctx context.Context, r *famiv1.CreateServiceTokenRequest) (*famiv1.CreateServiceTokenResponse, error) {
	res, err := s.auth.CreateServiceToken(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) ListServiceTokens(ctx context.Context, r *famiv1.ListServiceTokensRequest) (*famiv1.ListServiceTokensResponse, error) {
	res, err := s.auth.ListServiceTokens(ctx, r)
	return res, connectErr(err)
}

func (s *connectSurface) RevokeServiceToken(ctx context.Context, r *famiv1.RevokeServiceTokenRequest) (*famiv1.ServiceToken, error) {
	res, err := s.auth.RevokeServiceToken(ctx, r)
	return res, connectErr(err)
}

func (s *restSurface) GetRegion(ctx context.Context, r *famiv1.GetRegionRequest) (*famiv1.Region, error) {
	out := &famiv1.Region{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetName(), nil, nil, out)
}

func (s *restSurface) ListMunicipalities(ctx context.Context, r *famiv1.ListMunicipalitiesRequest) (*famiv1.ListMunicipalitiesResponse, error) {
	out := &famiv1.ListMunicipalitiesResponse{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetParent()+"/municipalities", queryOf(r, "parent"), nil, out)
}

func (s *restSurface) ListProjects(ctx context.Context, r *famiv1.ListProjectsRequest) (*famiv1.ListProjectsResponse, error) {
	out := &famiv1.ListProjectsResponse{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetParent()+"/projects", queryOf(r, "parent"), nil, out)
}

func (s *restSurface) UpdateProject(ctx context.Context, r *famiv1.UpdateProjectRequest) (*famiv1.Project, error) {
	out := &famiv1.Project{}
	return out, s.call(ctx, http.MethodPatch, "/v1/"+r.GetProject().GetName(), queryOf(r, "project"), r.GetProject(), out)
}

func (s *restSurface) DeleteProject(ctx context.Context, r *famiv1.DeleteProjectRequest) error {
	return s.call(ctx, http.MethodDelete, "/v1/"+r.GetName(), queryOf(r, "name"), nil, nil)
}

func (s *restSurface) Login(ctx context.Context, r *famiv1.LoginRequest) (*famiv1.LoginResponse, error) {
	out := &famiv1.LoginResponse{}
	return out, s.call(ctx, http.MethodPost, "/v1/auth:login", nil, r, out)
}

func (s *restSurface) WhoAmI(ctx context.Context, r *famiv1.WhoAmIRequest) (*famiv1.WhoAmIResponse, error) {
	out := &famiv1.WhoAmIResponse{}
	return out, s.call(ctx, http.MethodGet, "/v1/auth:whoami", nil, nil, out)
}

func (s *restSurface) CreateAccount(ctx context.Context, r *famiv1.CreateAccountRequest) (*famiv1.Account, error) {
	// body: "*": the whole request but the path's parent.
	body := proto.CloneOf(r)
	body.Parent = ""
	out := &famiv1.Account{}
	return out, s.call(ctx, http.MethodPost, "/v1/"+r.GetParent()+"/accounts", nil, body, out)
}

func (s *restSurface) GetAccount(ctx context.Context, r *famiv1.GetAccountRequest) (*famiv1.Account, error) {
	out := &famiv1.Account{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetName(), nil, nil, out)
}

func (s *restSurface) ListAccounts(ctx context.Context, r *famiv1.ListAccountsRequest) (*famiv1.ListAccountsResponse, error) {
	out := &famiv1.ListAccountsResponse{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetParent()+"/accounts", queryOf(r, "parent"), nil, out)
}

func (s *restSurface) DeleteAccount(ctx context.Context, r *famiv1.DeleteAccountRequest) error {
	return s.call(ctx, http.MethodDelete, "/v1/"+r.GetName(), queryOf(r, "name"), nil, nil)
}

func (s *restSurface) SetAccountPassword(ctx context.Context, r *famiv1.SetAccountPasswordRequest) error {
	body := proto.CloneOf(r)
	body.Name = ""
	return s.call(ctx, http.MethodPost, "/v1/"+r.GetName()+":setPassword", nil, body, nil)
}

func (s *restSurface) CreateServiceToken(ctx context.Context, r *famiv1.CreateServiceTokenRequest) (*famiv1.CreateServiceTokenResponse, error) {
	body := proto.CloneOf(r)
	body.Parent = ""
	out := &famiv1.CreateServiceTokenResponse{}
	return out, s.call(ctx, http.MethodPost, "/v1/"+r.GetParent()+"/serviceTokens", nil, body, out)
}

func (s *restSurface) ListServiceTokens(ctx context.Context, r *famiv1.ListServiceTokensRequest) (*famiv1.ListServiceTokensResponse, error) {
	out := &famiv1.ListServiceTokensResponse{}
	return out, s.call(ctx, http.MethodGet, "/v1/"+r.GetParent()+"/serviceTokens", queryOf(r, "parent"), nil, out)
}

func (s *restSurface) RevokeServiceToken(ctx context.Context, r *famiv1.RevokeServiceTokenRequest) (*famiv1.ServiceToken, error) {
	body := proto.CloneOf(r)
	body.Name = ""
	out := &famiv1.ServiceToken{}
	return out, s.call(ctx, http.MethodPost, "/v1/"+r.GetName()+":revoke", nil, body, out)
}
