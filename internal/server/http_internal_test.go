package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPanicAnswersAPrivateProblem: a plain HTTP handler that set its own
// caching and download headers and then panicked answers a 500 problem
// that no cache keeps and no browser saves as the file, still readable
// across origins, and the panic is logged.
func TestPanicAnswersAPrivateProblem(t *testing.T) {
	var logged bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logged, nil))}
	panicking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Content-Disposition", `attachment; filename="hours.csv"`)
		h.Set("ETag", `"r42"`)
		h.Set("Content-Type", "text/csv")
		panic("broken export")
	})
	h := recoverHTTP(s, privateByDefault(withCORS([]string{"https://regione.example"}, panicking)))

	r := httptest.NewRequest(http.MethodGet, "/v1/regions/lombardia/supportEntries:export", nil)
	r.Header.Set("Origin", "https://regione.example")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	want := map[string]string{
		"Cache-Control":               "no-store",
		"X-Content-Type-Options":      "nosniff",
		"Content-Type":                "application/problem+json",
		"Access-Control-Allow-Origin": "https://regione.example",
		"Content-Disposition":         "",
		"ETag":                        "",
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code != "INTERNAL" || p.Status != 500 {
		t.Errorf("body %q (%v), want an INTERNAL problem", w.Body, err)
	}
	if !strings.Contains(logged.String(), "broken export") {
		t.Errorf("log %q does not name the panic", logged.String())
	}
}
