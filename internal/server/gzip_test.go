package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// TestCompressedRequestsAuthenticateFirst: a compressed request without
// valid credentials is refused before its body is inflated (a body that
// is not even gzip gets UNAUTHENTICATED, not a decompression error), on
// the Connect and gRPC-Web protocols; with a token, compressed calls work.
// Anonymous gzip bodies used to be inflated in full first.
func TestCompressedRequestsAuthenticateFirst(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	url := ts.httpURL() + famiv1connect.PartnerServiceListPartnersProcedure
	for _, tc := range []struct {
		protocol    string
		contentType string
		headers     map[string]string
	}{
		{"connect", "application/json", map[string]string{"Content-Encoding": "gzip"}},
		{"grpcweb", "application/grpc-web+proto", map[string]string{"Grpc-Encoding": "gzip"}},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			for _, token := range []string{"", "not-a-token"} {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(strings.Repeat("not gzip at all ", 1000))))
				req.Header.Set("Content-Type", tc.contentType)
				for k, v := range tc.headers {
					req.Header.Set(k, v)
				}
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				code := res.StatusCode
				if tc.protocol == "grpcweb" {
					if s := res.Header.Get("Grpc-Status"); s != "16" {
						t.Errorf("token %q: grpc-status %q, want 16 (UNAUTHENTICATED)", token, s)
					}
				} else if code != http.StatusUnauthorized {
					t.Errorf("token %q: HTTP %d, want 401 before the body is read", token, code)
				}
			}
			opts := []connect.ClientOption{connect.WithSendGzip(), bearer(ts.token)}
			if tc.protocol == "grpcweb" {
				opts = append(opts, connect.WithGRPCWeb())
			}
			client := famiv1connect.NewPartnerServiceClient(http.DefaultClient, ts.httpURL(), opts...)
			if _, err := client.ListPartners(context.Background(), &famiv1.ListPartnersRequest{Parent: lombardia}); err != nil {
				t.Errorf("a compressed call with a token: %v", err)
			}
		})
	}
}
