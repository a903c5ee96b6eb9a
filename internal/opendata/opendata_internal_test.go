package opendata

import (
	"net/http"
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
