package opendata

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                       false,
		"gzip":                   true,
		"deflate, gzip;q=0.5":    true,
		"GZIP":                   true,
		"gzip;q=0":               false,
		"gzip; q=0.0, identity":  false,
		"br, deflate":            false,
		"x-gzip":                 false,
		"identity, gzip ; q=1.0": true,
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Encoding", header)
		if got := acceptsGzip(r); got != want {
			t.Errorf("Accept-Encoding %q: got %v, want %v", header, got, want)
		}
	}
}

func TestQuarterDates(t *testing.T) {
	for q, want := range map[string][2]string{
		"2025-Q1": {"2025-01-01", "2025-03-31"},
		"2025-Q2": {"2025-04-01", "2025-06-30"},
		"2025-Q3": {"2025-07-01", "2025-09-30"},
		"2025-Q4": {"2025-10-01", "2025-12-31"},
	} {
		start, end, err := quarterDates(q)
		if err != nil || start != want[0] || end != want[1] {
			t.Errorf("quarterDates(%q) = %s, %s, %v; want %s, %s", q, start, end, err, want[0], want[1])
		}
	}
	for _, bad := range []string{"2025-Q5", "2025-q1", "2025", "x-Q1"} {
		if _, _, err := quarterDates(bad); err == nil {
			t.Errorf("quarterDates(%q): no error", bad)
		}
	}
}

func TestPersonsSuppressesSmallCounts(t *testing.T) {
	for n, want := range map[int64][2]string{0: {"0", "false"}, 1: {"", "true"}, 2: {"", "true"}, 3: {"3", "false"}, 40: {"40", "false"}} {
		if c, s := persons(n); c != want[0] || s != want[1] {
			t.Errorf("persons(%d) = %q, %q; want %q, %q", n, c, s, want[0], want[1])
		}
	}
}

func TestLimiterIsPerClient(t *testing.T) {
	l := newLimiter(rate.Limit(1), 2)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2 {
		if _, ok := l.allow("a", now); !ok {
			t.Fatalf("request %d of a refused within the burst", i+1)
		}
	}
	if wait, ok := l.allow("a", now); ok || wait <= 0 {
		t.Errorf("past the burst: ok %v, wait %v; want a refusal with a wait", ok, wait)
	}
	if _, ok := l.allow("b", now); !ok {
		t.Error("another client was limited by a's requests")
	}
	if _, ok := l.allow("a", now.Add(time.Second)); !ok {
		t.Error("a second later a is still refused")
	}
}

func TestPublicProtocolStatesLeaveOutDrafts(t *testing.T) {
	if slices.Contains(publicProtocolStates, "DRAFT") || !slices.Contains(publicProtocolStates, "IN_FORCE") || len(publicProtocolStates) != 6 {
		t.Errorf("publicProtocolStates = %q, want every state but DRAFT", publicProtocolStates)
	}
}

// TestLimitCountsAnIPv6Slash64: the handler limits an IPv6 client by its
// /64 (principal.ClientOf), as logins and surveys are: the burst spent
// from one address of a /64, another address of it is refused, while
// another /64 and an IPv4 client are served. The limit is the first thing
// a request meets, so a POST (405) spends it without reading any data.
func TestLimitCountsAnIPv6Slash64(t *testing.T) {
	h := New(nil, Sources{}, Options{Rate: 0.001, Burst: 1})
	status := func(addr string) int {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, Prefix, nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if got := status("[2001:db8:0:1::1]:40000"); got != http.StatusMethodNotAllowed {
		t.Fatalf("first request: %d, want 405", got)
	}
	if got := status("[2001:db8:0:1::2]:40001"); got != http.StatusTooManyRequests {
		t.Errorf("another address of the /64 past its burst: %d, want 429", got)
	}
	for _, addr := range []string{"[2001:db8:0:2::1]:40000", "192.0.2.1:40000"} {
		if got := status(addr); got != http.StatusMethodNotAllowed {
			t.Errorf("from %s, outside that /64: %d, want 405", addr, got)
		}
	}
}
