package loadgen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Overload is the overload measurement: the peak goodput of closed-loop
// loads of plain clients (the best over Concurrencies, which finds the
// capacity), then an open-loop load arriving at Factor times that peak for
// each of Clients in turn, in the same run.
type Overload struct {
	Surface, Op   string
	Regions       []string
	Concurrencies []int
	// Factor is the open loop's rate over the peak; 2 when zero.
	Factor      float64
	Duration    time.Duration
	MaxInFlight int
	// MinServed is every load's Load.MinServed.
	MinServed int64
	// Clients are the clients of the open loops, one after the other
	// against the same peak; plain clients only when empty. Over gRPC,
	// clients with MaxConns are skipped: a gRPC client has one connection.
	Clients []Clients
}

// OverloadResult is one overload measurement. Ratio is the goodput under
// overload over the peak goodput.
type OverloadResult struct {
	Surface string   `json:"surface"`
	Op      string   `json:"op"`
	Clients Clients  `json:"clients"`
	Closed  []Result `json:"closed"`
	Peak    Result   `json:"peak"`
	Over    Result   `json:"overload"`
	Ratio   float64  `json:"ratio"`
	// Efficiency is the goodput per server CPU-second under overload over
	// the same at the peak (with Target.ServerPID): the share of the
	// server's work that still ends in a served call, whatever CPU the
	// machine's other processes leave it. Each side divides the calls
	// served within the load's time by the server's CPU within that same
	// time (Result.ServerCPU); the late calls and the CPU spent draining
	// them (Result.ServerDrainCPU) are in neither. A call still in
	// progress as the time ends counts as late, though part of its work
	// is in the time: with many calls waiting that lowers the figure, by
	// at most the work done on them so far.
	Efficiency float64 `json:"efficiency,omitempty"`
}

// Overload measures the peak, then offers Factor times it with each of
// o.Clients in turn: one result for each, sharing the closed loops.
func (t Target) Overload(ctx context.Context, o Overload) ([]OverloadResult, error) {
	if len(o.Concurrencies) == 0 {
		return nil, errors.New("no concurrency to find the peak with")
	}
	factor := o.Factor
	if factor <= 0 {
		factor = 2
	}
	base := OverloadResult{Surface: o.Surface, Op: o.Op}
	for _, c := range o.Concurrencies {
		r, err := t.Run(ctx, Load{Surface: o.Surface, Op: o.Op, Regions: o.Regions, Concurrency: c, Duration: o.Duration, MinServed: o.MinServed})
		if err != nil {
			return nil, err
		}
		base.Closed = append(base.Closed, r)
		if r.Goodput > base.Peak.Goodput {
			base.Peak = r
		}
	}
	if base.Peak.Goodput == 0 {
		return nil, fmt.Errorf("%s %s: no call succeeded in the closed loops", o.Surface, o.Op)
	}
	clients := o.Clients
	if len(clients) == 0 {
		clients = []Clients{{}}
	}
	var out []OverloadResult
	for _, cc := range clients {
		if o.Surface == GRPC && cc.MaxConns > 0 {
			continue // one HTTP/2 connection: nothing to bound
		}
		over, err := t.Run(ctx, Load{Surface: o.Surface, Op: o.Op, Regions: o.Regions, Clients: cc,
			Rate: factor * base.Peak.Goodput, MaxInFlight: o.MaxInFlight, Duration: o.Duration, MinServed: o.MinServed})
		if err != nil {
			return out, err
		}
		res := base
		res.Clients, res.Over = cc, over
		res.Ratio = over.Goodput / res.Peak.Goodput
		if over.ServerCPU > 0 && res.Peak.ServerCPU > 0 {
			res.Efficiency = (float64(over.OK) / over.ServerCPU) / (float64(res.Peak.OK) / res.Peak.ServerCPU)
		}
		out = append(out, res)
	}
	return out, nil
}

// Summary is the medians of several overload measurements of one surface,
// op and kind of clients.
type Summary struct {
	Surface string  `json:"surface"`
	Op      string  `json:"op"`
	Clients Clients `json:"clients"`
	Runs    int     `json:"runs"`
	// Peak and Goodput are the median peak goodput and goodput under
	// overload (calls/s); Ratio the median of each run's ratio, Ratios
	// every run's.
	Peak    float64   `json:"peak"`
	Goodput float64   `json:"goodput"`
	Ratio   float64   `json:"ratio"`
	Ratios  []float64 `json:"ratios"`
	// Efficiency is the median of the runs' OverloadResult.Efficiency.
	Efficiency float64 `json:"efficiency,omitempty"`
	// RefusedShare is the median share of the overload's calls refused;
	// RetryAfterShare the share of all refusals that had a Retry-After.
	RefusedShare    float64 `json:"refusedShare"`
	RetryAfterShare float64 `json:"retryAfterShare"`
	// ThrottledShare is the median share of the overload's calls that
	// the clients rejected themselves (Clients.Throttle).
	ThrottledShare float64 `json:"throttledShare,omitempty"`
	// Errors are the overload phases' calls that were neither served nor
	// refused, and Dropped the arrivals the generator could not send,
	// over every run.
	Errors  int64 `json:"errors"`
	Dropped int64 `json:"dropped"`
}

// Summarize groups measurements by surface, op and clients, in their
// first order.
func Summarize(results []OverloadResult) []Summary {
	var out []Summary
	for _, r := range results {
		if !slices.ContainsFunc(out, func(s Summary) bool { return s.groups(r) }) {
			out = append(out, Summary{Surface: r.Surface, Op: r.Op, Clients: r.Clients})
		}
	}
	for i := range out {
		s := &out[i]
		var peaks, goodputs, refusedShares, throttledShares, efficiencies []float64
		var refused, retryAfter int64
		for _, r := range results {
			if !s.groups(r) {
				continue
			}
			s.Runs++
			peaks = append(peaks, r.Peak.Goodput)
			goodputs = append(goodputs, r.Over.Goodput)
			s.Ratios = append(s.Ratios, r.Ratio)
			if r.Efficiency > 0 {
				efficiencies = append(efficiencies, r.Efficiency)
			}
			if r.Over.Sent > 0 {
				refusedShares = append(refusedShares, float64(r.Over.Refused)/float64(r.Over.Sent))
				throttledShares = append(throttledShares, float64(r.Over.Throttled)/float64(r.Over.Sent))
			}
			refused += r.Over.Refused
			retryAfter += r.Over.RefusedRetryAfter
			s.Errors += r.Over.Errors
			s.Dropped += r.Over.Dropped
		}
		s.Peak, s.Goodput, s.Ratio = median(peaks), median(goodputs), median(s.Ratios)
		s.RefusedShare, s.Efficiency = median(refusedShares), median(efficiencies)
		s.ThrottledShare = median(throttledShares)
		if refused > 0 {
			s.RetryAfterShare = float64(retryAfter) / float64(refused)
		}
	}
	return out
}

// groups reports whether r is one of the measurements s summarizes.
func (s Summary) groups(r OverloadResult) bool {
	return s.Surface == r.Surface && s.Op == r.Op && s.Clients == r.Clients
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Sorted(slices.Values(v))
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// String is the result as one line of text.
func (r Result) String() string {
	var b strings.Builder
	if r.Mode == "closed" {
		fmt.Fprintf(&b, "%-7s %-6s closed c=%d", r.Surface, r.Op, r.Concurrency)
	} else {
		fmt.Fprintf(&b, "%-7s %-6s open %.0f/s", r.Surface, r.Op, r.Rate)
	}
	if r.Clients != (Clients{}) {
		fmt.Fprintf(&b, " (%s)", r.Clients)
	}
	fmt.Fprintf(&b, " %.1fs: sent %d, ok %d (%.0f/s), refused %d (%d with Retry-After), errors %d, late %d",
		r.Seconds, r.Sent, r.OK, r.Goodput, r.Refused, r.RefusedRetryAfter, r.Errors, r.Late)
	if r.Throttled > 0 {
		fmt.Fprintf(&b, ", rejected by the client %d", r.Throttled)
	}
	if r.Dropped > 0 {
		fmt.Fprintf(&b, ", dropped %d", r.Dropped)
	}
	fmt.Fprintf(&b, "; p50 %.2f ms, p99 %.2f ms", r.P50, r.P99)
	if r.ServerCPU > 0 {
		fmt.Fprintf(&b, "; server CPU %.2fs (then %.2fs for the late calls)", r.ServerCPU, r.ServerDrainCPU)
	}
	fmt.Fprintf(&b, ", generator CPU %.2fs", r.ClientCPU)
	for _, code := range slices.Sorted(maps.Keys(r.ErrorCodes)) {
		fmt.Fprintf(&b, "; %s x%d", code, r.ErrorCodes[code])
	}
	return b.String()
}

// String is the measurement as one line of text.
func (o OverloadResult) String() string {
	s := fmt.Sprintf("%-7s %-6s peak %.0f/s (c=%d); at %.0f/s offered (%.0f/s sent, %d dropped): goodput %.0f/s = %.1f%% of peak, refused %.0f/s (%d of %d with Retry-After), errors %d, late %d, p99 %.2f ms",
		o.Surface, o.Op, o.Peak.Goodput, o.Peak.Concurrency, o.Over.Rate, float64(o.Over.Sent)/o.Over.Seconds, o.Over.Dropped,
		o.Over.Goodput, 100*o.Ratio, float64(o.Over.Refused)/o.Over.Seconds, o.Over.RefusedRetryAfter, o.Over.Refused,
		o.Over.Errors, o.Over.Late, o.Over.P99)
	if o.Over.Throttled > 0 {
		s += fmt.Sprintf(", rejected by the client %.0f/s", float64(o.Over.Throttled)/o.Over.Seconds)
	}
	if o.Efficiency > 0 {
		s += fmt.Sprintf("; goodput per server CPU-second %.1f%% of peak's", 100*o.Efficiency)
	}
	if o.Clients != (Clients{}) {
		s += fmt.Sprintf(" [%s]", o.Clients)
	}
	return s
}

// String is the summary as one line of text.
func (s Summary) String() string {
	ratios := make([]string, len(s.Ratios))
	for i, r := range s.Ratios {
		ratios[i] = fmt.Sprintf("%.1f%%", 100*r)
	}
	out := fmt.Sprintf("%-7s %-6s median of %d: peak %.0f/s, goodput at overload %.0f/s = %.1f%% [%s]; refused %.0f%% of calls, %.0f%% of refusals with Retry-After; errors %d, dropped %d",
		s.Surface, s.Op, s.Runs, s.Peak, s.Goodput, 100*s.Ratio, strings.Join(ratios, " "), 100*s.RefusedShare, 100*s.RetryAfterShare, s.Errors, s.Dropped)
	if s.ThrottledShare > 0 {
		out += fmt.Sprintf("; rejected by the client %.0f%% of calls", 100*s.ThrottledShare)
	}
	if s.Efficiency > 0 {
		out += fmt.Sprintf("; goodput per server CPU-second %.1f%% of peak's", 100*s.Efficiency)
	}
	if s.Clients != (Clients{}) {
		out += fmt.Sprintf(" [%s]", s.Clients)
	}
	return out
}
