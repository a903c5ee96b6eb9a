package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestRESTRightsBeforeTheBody: the refusal a REST caller gets does not
// depend on whether its body (or its query) decodes. A caller of another region, or
// without a token, gets for a body the gateway cannot decode what it gets
// for a well-formed one (403/404, 401), since its rights are decided by
// the path; a caller the rights let in still gets 400 naming the body.
func TestRESTRightsBeforeTheBody(t *testing.T) {
	t.Parallel()
	ts, _, api := restWithPartner(t, server.Config{})
	ctx := t.Context()
	before := snapshot(t, ctx, api)
	consultant := ts.mintToken(auth.TokenSpec{Subject: "test:consultant:lombardia", Role: principal.Consultant, Region: "lombardia"})

	// Bodies that any resource's message decodes, or does not.
	const good = `{"name":""}`
	bad := map[string]string{
		"malformed JSON": `{"name":`,
		"unknown field":  `{"fooBar":1}`,
		"wrong type":     `{"name":42}`,
	}
	requests := []struct {
		name, method, path string
		query              url.Values
	}{
		// A consultant keeps contacts in its own region: refused for
		// the region (OUTSIDE_REGION).
		{"create a contact in veneto", http.MethodPost, "/v1/regions/veneto/contacts", url.Values{"contactId": {"mario-rossi"}}},
		{"update a contact in veneto", http.MethodPatch, "/v1/regions/veneto/contacts/mario-rossi", nil},
		// A consultant creates no partner anywhere: refused for its
		// role (ROLE_NOT_ALLOWED).
		{"create a partner in veneto", http.MethodPost, "/v1/regions/veneto/partners", url.Values{"partnerId": {"cpia-venezia"}}},
	}
	for _, rq := range requests {
		for _, who := range []struct{ name, token string }{{"consultant of lombardia", consultant}, {"no token", ""}} {
			rs := newRESTSurface(t, ts, who.token)
			res, err := rs.send(ctx, rq.method, rq.path, rq.query, []byte(good))
			if err != nil {
				t.Fatalf("%s %s: %v", rq.method, rq.path, err)
			}
			want, ok := asCallError(problemError(rq.method, rq.path, res))
			if !ok || (want.Code != codes.PermissionDenied && want.Code != codes.NotFound && want.Code != codes.Unauthenticated) {
				t.Fatalf("%s, %s, well-formed body: got status %d %s, want a refusal of the caller", rq.name, who.name, res.Status, res.Body)
			}
			if who.token == "" && res.Status != http.StatusUnauthorized {
				t.Errorf("%s without a token: got status %d, want 401", rq.name, res.Status)
			}
			if who.token != "" && strings.Contains(rq.path, "contacts") && want.Reason != "OUTSIDE_REGION" {
				t.Errorf("%s by a consultant of lombardia: got reason %q, want OUTSIDE_REGION", rq.name, want.Reason)
			}
			for name, body := range bad {
				t.Run(rq.name+"/"+who.name+"/"+name, func(t *testing.T) {
					res, err := rs.send(ctx, rq.method, rq.path, rq.query, []byte(body))
					if err != nil {
						t.Fatalf("%s %s: %v", rq.method, rq.path, err)
					}
					got, ok := asCallError(problemError(rq.method, rq.path, res))
					if !ok {
						t.Fatalf("got status %d %s, want a problem document", res.Status, res.Body)
					}
					if got.HTTPStatus != want.HTTPStatus || got.Code != want.Code || got.Reason != want.Reason {
						t.Errorf("got %d %s %s (%s), want %d %s %s as for a well-formed body", got.HTTPStatus, upperSnake(got.Code), got.Reason,
							got.Message, want.HTTPStatus, upperSnake(want.Code), want.Reason)
					}
				})
			}
		}
	}

	// The same for a query value the gateway cannot decode.
	contacts := "/v1/regions/veneto/contacts"
	for _, who := range []struct{ name, token string }{{"consultant of lombardia", consultant}, {"no token", ""}} {
		rs := newRESTSurface(t, ts, who.token)
		res, err := rs.send(ctx, http.MethodGet, contacts, nil, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", contacts, err)
		}
		want, ok := asCallError(problemError(http.MethodGet, contacts, res))
		if !ok || (want.Reason != "OUTSIDE_REGION" && want.Reason != "TOKEN_REQUIRED") {
			t.Fatalf("%s, GET %s: got status %d %s, want OUTSIDE_REGION or TOKEN_REQUIRED", who.name, contacts, res.Status, res.Body)
		}
		t.Run("list contacts in veneto/"+who.name+"/wrong type", func(t *testing.T) {
			res, err := rs.send(ctx, http.MethodGet, contacts, url.Values{"pageSize": {"many"}}, nil)
			if err != nil {
				t.Fatalf("GET %s: %v", contacts, err)
			}
			got, ok := asCallError(problemError(http.MethodGet, contacts, res))
			if !ok || got.HTTPStatus != want.HTTPStatus || got.Reason != want.Reason {
				t.Errorf("got status %d %s, want %d %s as without the query", res.Status, res.Body, want.HTTPStatus, want.Reason)
			}
		})
	}

	// The region's own admin is let in by its rights: the body is at
	// fault, and named.
	admin := newRESTSurface(t, ts, ts.token)
	for name, body := range bad {
		t.Run("allowed/"+name, func(t *testing.T) {
			res, err := admin.send(ctx, http.MethodPost, "/v1/"+lombardia+"/partners", url.Values{"partnerId": {"cpia-milano"}}, []byte(strings.Replace(body, `"name"`, `"displayName"`, 1)))
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			e, ok := asCallError(problemError(http.MethodPost, "partners", res))
			if !ok || res.Status != http.StatusBadRequest || e.Code != codes.InvalidArgument {
				t.Fatalf("got status %d %s, want 400 INVALID_ARGUMENT", res.Status, res.Body)
			}
			if name == "malformed JSON" && !slices.ContainsFunc(e.Fields, func(f string) bool { return strings.Contains(f, "body") }) {
				t.Errorf("got violations of %q, want one naming the body", e.Fields)
			}
		})
	}
	wantNothingWritten(t, ctx, api, before)
}

// TestConnectJSONMalformedBodyOfAnotherRegion records what Connect's JSON
// codec answers a body it cannot decode: connect-go decodes the request
// before any interceptor runs, and the region is in the body, so the
// caller's rights cannot be checked first. It answers 400
// INVALID_ARGUMENT to a caller of another region, as gRPC and gRPC-Web
// answer a message that does not decode; a well-formed body gets the
// rights' refusal. A caller without a token is refused 401 before the
// body is decoded (authBeforeDecode, ADR 34): it used to get the 400.
func TestConnectJSONMalformedBodyOfAnotherRegion(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	consultant := ts.mintToken(auth.TokenSpec{Subject: "test:consultant:lombardia", Role: principal.Consultant, Region: "lombardia"})
	post := func(token, body string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.httpURL()+"/fami.v1.PartnerService/CreatePartner", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := newHTTPClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		t.Logf("token %t, body %.40q: %d %s", token != "", body, res.StatusCode, b)
		return res.StatusCode
	}
	const good = `{"parent":"regions/veneto","partnerId":"cpia-venezia","partner":{"displayName":"CPIA","kind":"PARTNER_KIND_ADULT_EDUCATION_CENTRE"}}`
	if got := post(consultant, good); got != http.StatusForbidden && got != http.StatusNotFound {
		t.Errorf("well-formed body of another region: got %d, want 403 or 404", got)
	}
	if got := post(consultant, `{"parent":"regions/veneto","partner":`); got != http.StatusBadRequest {
		t.Errorf("malformed body (token true): got %d, want 400", got)
	}
	if got := post("", `{"parent":"regions/veneto","partner":`); got != http.StatusUnauthorized {
		t.Errorf("malformed body (token false): got %d, want 401 before the body is decoded", got)
	}
}
