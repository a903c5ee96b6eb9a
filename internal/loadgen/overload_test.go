package loadgen

import (
	"strings"
	"testing"
	"time"
)

// TestSummarize groups runs by surface and op in their first order and
// takes medians of each figure, the efficiency only over runs that
// measured it.
func TestSummarize(t *testing.T) {
	run := func(surface string, peak, over float64, refused, retryAfter, sent int64, eff float64) OverloadResult {
		return OverloadResult{Surface: surface, Op: Get, Peak: Result{Goodput: peak},
			Over:  Result{Goodput: over, Refused: refused, RefusedRetryAfter: retryAfter, Sent: sent, Errors: 1, Dropped: 2},
			Ratio: over / peak, Efficiency: eff}
	}
	got := Summarize([]OverloadResult{
		run(REST, 100, 90, 10, 10, 100, 0),
		run(GRPC, 1000, 800, 500, 500, 2000, 0.9),
		run(GRPC, 1200, 600, 800, 700, 2000, 0),
		run(GRPC, 800, 800, 0, 0, 1600, 1.1),
	})
	if len(got) != 2 || got[0].Surface != REST || got[1].Surface != GRPC {
		t.Fatalf("got %+v, want rest then grpc", got)
	}
	g := got[1]
	if g.Runs != 3 || g.Peak != 1000 || g.Goodput != 800 || g.Ratio != 0.8 || len(g.Ratios) != 3 {
		t.Errorf("grpc: %+v, want 3 runs, medians peak 1000, goodput 800, ratio 0.8", g)
	}
	if g.Efficiency != 1.0 {
		t.Errorf("efficiency %v, want the median of 0.9 and 1.1", g.Efficiency)
	}
	if g.RefusedShare != 0.25 || g.RetryAfterShare != 1200.0/1300 {
		t.Errorf("refused share %v, Retry-After share %v, want 0.25 and 1200/1300", g.RefusedShare, g.RetryAfterShare)
	}
	if g.Errors != 3 || g.Dropped != 6 {
		t.Errorf("errors %d, dropped %d, want the sums 3 and 6", g.Errors, g.Dropped)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p50, p99 := percentile(d, 0.5), percentile(d, 0.99); p50 != 51 || p99 != 100 {
		t.Errorf("p50 %v, p99 %v, want 51 and 100", p50, p99)
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("no latency: want 0")
	}
}

// TestSummarizeByClients keeps each kind of clients apart, and takes the
// median share of calls the clients rejected themselves.
func TestSummarizeByClients(t *testing.T) {
	run := func(c Clients, throttled int64) OverloadResult {
		return OverloadResult{Surface: GRPC, Op: Get, Clients: c, Peak: Result{Goodput: 100},
			Over: Result{Goodput: 80, Sent: 200, Throttled: throttled}, Ratio: 0.8}
	}
	k2 := Clients{Throttle: 2}
	got := Summarize([]OverloadResult{run(Clients{}, 0), run(k2, 50), run(Clients{}, 0), run(k2, 100), run(k2, 60)})
	if len(got) != 2 || got[0].Clients != (Clients{}) || got[1].Clients != k2 {
		t.Fatalf("got %+v, want plain clients then K=2", got)
	}
	if got[0].Runs != 2 || got[0].ThrottledShare != 0 || got[1].Runs != 3 || got[1].ThrottledShare != 0.3 {
		t.Errorf("got %+v, want 2 plain runs, none rejected by the client, and 3 of K=2 with a median share of 0.3", got)
	}
	if s := got[1].String(); !strings.Contains(s, "rejected by the client 30%") || !strings.Contains(s, "[throttle K=2]") {
		t.Errorf("summary line %q does not say what the clients rejected, or which clients", s)
	}
}
