package server_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// contactClient is ContactService as one surface calls it, with the "# ContactService" rules of
// fami_http.yaml on REST; failed calls are *callError, as in
// surface_test.go.
type contactClient struct{ c *rpcClient }

func newContactClient(t *testing.T, ts *testServer, kind, token string) contactClient {
	t.Helper()
	return contactClient{newRPCClient(t, ts, kind, token)}
}

func (x contactClient) CreateContact(ctx context.Context, r *famiv1.CreateContactRequest) (*famiv1.Contact, error) {
	return unary(ctx, x.c, famiv1connect.ContactServiceCreateContactProcedure,
		httpPost("/v1/{parent}/contacts", "contact"), r, &famiv1.Contact{})
}

func (x contactClient) GetContact(ctx context.Context, r *famiv1.GetContactRequest) (*famiv1.Contact, error) {
	return unary(ctx, x.c, famiv1connect.ContactServiceGetContactProcedure,
		httpGet("/v1/{name}"), r, &famiv1.Contact{})
}

func (x contactClient) ListContacts(ctx context.Context, r *famiv1.ListContactsRequest) (*famiv1.ListContactsResponse, error) {
	return unary(ctx, x.c, famiv1connect.ContactServiceListContactsProcedure,
		httpGet("/v1/{parent}/contacts"), r, &famiv1.ListContactsResponse{})
}

func (x contactClient) UpdateContact(ctx context.Context, r *famiv1.UpdateContactRequest) (*famiv1.Contact, error) {
	return unary(ctx, x.c, famiv1connect.ContactServiceUpdateContactProcedure,
		httpPatch("/v1/{contact.name}", "contact"), r, &famiv1.Contact{})
}

func (x contactClient) DeleteContact(ctx context.Context, r *famiv1.DeleteContactRequest) (*emptypb.Empty, error) {
	return unary(ctx, x.c, famiv1connect.ContactServiceDeleteContactProcedure,
		httpDelete("/v1/{name}"), r, &emptypb.Empty{})
}
