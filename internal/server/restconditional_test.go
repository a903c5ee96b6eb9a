package server_test

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestRESTRefusesConditionalHeaders: the API guards a write with the etag
// field of its request (the body's "etag", ?etag= on a DELETE), not with
// HTTP's preconditions. A client that sent If-Match,
// If-Unmodified-Since or, on a write, If-None-Match, as HTTP lets it, had its precondition silently
// ignored: a stale If-Match overwrote or deleted what another client had
// changed since. Such a request is refused, naming the header, and writes
// nothing.
func TestRESTRefusesConditionalHeaders(t *testing.T) {
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	seedPartner(t, ctx, admin)
	name := lombardia + "/partners/udp-milano"
	before, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	rs := newRESTSurface(t, ts, ts.token)
	for _, tt := range []struct {
		method, path, header, value string
		body                        []byte
	}{
		{http.MethodPatch, "/v1/" + name, "If-Match", `"stale"`, []byte(`{"displayName":"Sovrascritto"}`)},
		{http.MethodDelete, "/v1/" + name, "If-Match", `"stale"`, nil},
		{http.MethodDelete, "/v1/" + name, "If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT", nil},
		{http.MethodPatch, "/v1/" + name, "If-None-Match", "*", []byte(`{"displayName":"Sovrascritto"}`)},
	} {
		req, err := http.NewRequestWithContext(ctx, tt.method, ts.httpURL()+tt.path, bytes.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(tt.header, tt.value)
		hr, err := rs.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(hr.Body)
		hr.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		res := &restResponse{Status: hr.StatusCode, ContentType: hr.Header.Get("Content-Type"), Header: hr.Header, Body: body}
		e, ok := asCallError(problemError(tt.method, tt.path, res))
		if !ok || e.HTTPStatus != http.StatusBadRequest || e.Reason != "INVALID_ARGUMENT" || !slices.Equal(e.Fields, []string{tt.header}) {
			t.Errorf("%s %s with %s: got HTTP %d %s, want 400 naming %s", tt.method, tt.path, tt.header, res.Status, res.Body, tt.header)
		}
	}
	after, err := admin.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: name})
	if err != nil || after.GetEtag() != before.GetEtag() || after.GetDisplayName() != before.GetDisplayName() {
		t.Errorf("after the refused requests: got %v, %v; want the partner as it was, %v", after, err, before)
	}
	// A read's If-None-Match (a cache's conditional GET) is no write's
	// precondition: answered whole, as without it.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.httpURL()+"/v1/"+name, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.token)
	req.Header.Set("If-None-Match", `"stale"`)
	hr, err := rs.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(hr.Body)
	hr.Body.Close()
	if err != nil || hr.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(before.GetEtag())) {
		t.Errorf("GET with If-None-Match: got HTTP %d %s, %v; want 200 with the partner", hr.StatusCode, body, err)
	}
}
