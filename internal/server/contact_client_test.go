package server_test

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// contactClient is ContactService as one surface calls it; failed calls
// are *callError, as in surface_test.go.
type contactClient interface {
	CreateContact(context.Context, *famiv1.CreateContactRequest) (*famiv1.Contact, error)
	GetContact(context.Context, *famiv1.GetContactRequest) (*famiv1.Contact, error)
	ListContacts(context.Context, *famiv1.ListContactsRequest) (*famiv1.ListContactsResponse, error)
	UpdateContact(context.Context, *famiv1.UpdateContactRequest) (*famiv1.Contact, error)
	DeleteContact(context.Context, *famiv1.DeleteContactRequest) (*emptypb.Empty, error)
}

func newContactClient(t *testing.T, ts *testServer, kind, token string) contactClient {
	t.Helper()
	switch kind {
	case "grpc":
		return grpcContacts{famiv1.NewContactServiceClient(dialGRPC(t, ts, token))}
	case "connect", "grpcweb":
		var opts []connect.ClientOption
		if kind == "grpcweb" {
			opts = append(opts, connect.WithGRPCWeb())
		}
		if token != "" {
			opts = append(opts, bearer(token))
		}
		return connectContacts{famiv1connect.NewContactServiceClient(newHTTPClient(t), ts.httpURL(), opts...)}
	case "rest":
		return restContacts{newRESTSurface(t, ts, token)}
	}
	t.Fatalf("unknown surface %q", kind)
	return nil
}

type grpcContacts struct{ c famiv1.ContactServiceClient }

type connectContacts struct {
	c famiv1connect.ContactServiceClient
}

// restContacts calls the "# ContactService" rules of fami_http.yaml.
type restContacts struct{ s *restSurface }

func (g grpcContacts) CreateContact(ctx context.Context, r *famiv1.CreateContactRequest) (*famiv1.Contact, error) {
	res, err := g.c.CreateContact(ctx, r)
	return res, grpcErr(err)
}

func (g grpcContacts) GetContact(ctx context.Context, r *famiv1.GetContactRequest) (*famiv1.Contact, error) {
	res, err := g.c.GetContact(ctx, r)
	return res, grpcErr(err)
}

func (g grpcContacts) ListContacts(ctx context.Context, r *famiv1.ListContactsRequest) (*famiv1.ListContactsResponse, error) {
	res, err := g.c.ListContacts(ctx, r)
	return res, grpcErr(err)
}

func (g grpcContacts) UpdateContact(ctx context.Context, r *famiv1.UpdateContactRequest) (*famiv1.Contact, error) {
	res, err := g.c.UpdateContact(ctx, r)
	return res, grpcErr(err)
}

func (g grpcContacts) DeleteContact(ctx context.Context, r *famiv1.DeleteContactRequest) (*emptypb.Empty, error) {
	res, err := g.c.DeleteContact(ctx, r)
	return res, grpcErr(err)
}

func (c connectContacts) CreateContact(ctx context.Context, r *famiv1.CreateContactRequest) (*famiv1.Contact, error) {
	res, err := c.c.CreateContact(ctx, r)
	return res, connectErr(err)
}

func (c connectContacts) GetContact(ctx context.Context, r *famiv1.GetContactRequest) (*famiv1.Contact, error) {
	res, err := c.c.GetContact(ctx, r)
	return res, connectErr(err)
}

func (c connectContacts) ListContacts(ctx context.Context, r *famiv1.ListContactsRequest) (*famiv1.ListContactsResponse, error) {
	res, err := c.c.ListContacts(ctx, r)
	return res, connectErr(err)
}

func (c connectContacts) UpdateContact(ctx context.Context, r *famiv1.UpdateContactRequest) (*famiv1.Contact, error) {
	res, err := c.c.UpdateContact(ctx, r)
	return res, connectErr(err)
}

func (c connectContacts) DeleteContact(ctx context.Context, r *famiv1.DeleteContactRequest) (*emptypb.Empty, error) {
	res, err := c.c.DeleteContact(ctx, r)
	return res, connectErr(err)
}

func (r restContacts) CreateContact(ctx context.Context, req *famiv1.CreateContactRequest) (*famiv1.Contact, error) {
	out := &famiv1.Contact{}
	return out, r.s.call(ctx, http.MethodPost, "/v1/"+req.GetParent()+"/contacts", supportQuery(req, "parent", "contact"), req.GetContact(), out)
}

func (r restContacts) GetContact(ctx context.Context, req *famiv1.GetContactRequest) (*famiv1.Contact, error) {
	out := &famiv1.Contact{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetName(), nil, nil, out)
}

func (r restContacts) ListContacts(ctx context.Context, req *famiv1.ListContactsRequest) (*famiv1.ListContactsResponse, error) {
	out := &famiv1.ListContactsResponse{}
	return out, r.s.call(ctx, http.MethodGet, "/v1/"+req.GetParent()+"/contacts", supportQuery(req, "parent"), nil, out)
}

func (r restContacts) UpdateContact(ctx context.Context, req *famiv1.UpdateContactRequest) (*famiv1.Contact, error) {
	out := &famiv1.Contact{}
	return out, r.s.call(ctx, http.MethodPatch, "/v1/"+req.GetContact().GetName(), supportQuery(req, "contact"), req.GetContact(), out)
}

func (r restContacts) DeleteContact(ctx context.Context, req *famiv1.DeleteContactRequest) (*emptypb.Empty, error) {
	out := &emptypb.Empty{}
	return out, r.s.call(ctx, http.MethodDelete, "/v1/"+req.GetName(), supportQuery(req, "name"), nil, out)
}
