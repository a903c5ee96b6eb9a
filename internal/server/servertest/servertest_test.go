package servertest_test

import (
	"net/http"
	"testing"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
)

// TestStart: the server answers on its URL, over the data dir it was
// given, and its tokens are accepted (and none refused).
func TestStart(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, server.Config{DataDir: dir})
	if s.DataDir != dir {
		t.Errorf("DataDir %q, want %q", s.DataDir, dir)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{
		{s.Token(t, auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"}), http.StatusOK},
		{"", http.StatusUnauthorized},
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/v1/regions/lombardia/partners", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("GET partners with token %t: %d, want %d", tc.token != "", res.StatusCode, tc.want)
		}
	}
}
