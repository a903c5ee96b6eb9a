package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/raccordo/raccordo/internal/server"
)

// FuzzRESTDecoding posts any body and any query to a real server's REST
// surface: the answer is never a 5xx, and every refusal is a problem
// document (the gateway's decoding and the pipeline's validation together).
func FuzzRESTDecoding(f *testing.F) {
	for _, s := range []string{
		`{"displayName":"CPIA 5 Milano","kind":"PARTNER_KIND_ADULT_EDUCATION_CENTRE"}`,
		`{"displayName":"x","kind":"PARTNER_KIND_FOO"}`, `{"displayName":`, `[]`, `null`, `{"fooBar":1}`,
		`{"displayName":42}`, `{"municipalities":["015146","015146"]}`, "\xff\xfe", `{"displayName":"\ud800"}`,
		`{"displayName":"Comune\u202Eexe","kind":"PARTNER_KIND_SCHOOL"}`,
	} {
		f.Add(s, "cpia-milano")
	}
	f.Add(`{}`, "\xff")
	f.Add(`{}`, "../x")
	ts := startServer(f, server.Config{})
	rs := &restSurface{hc: &http.Client{}, base: ts.httpURL(), token: ts.token}
	f.Fuzz(func(t *testing.T, body, id string) {
		res, err := rs.send(t.Context(), http.MethodPost, "/v1/"+lombardia+"/partners", url.Values{"partnerId": {id}}, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status >= 500 {
			t.Fatalf("HTTP %d for body %q, id %q: %s", res.Status, body, id, res.Body)
		}
		if res.Status >= 400 {
			var p struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
			}
			if err := json.Unmarshal(res.Body, &p); err != nil || p.Status != res.Status || p.Code == "" {
				t.Fatalf("HTTP %d without a problem document: %s", res.Status, res.Body)
			}
		}
	})
}
