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
// loads (the best over Concurrencies, which finds the capacity), then an
// open-loop load arriving at Factor times that peak, in the same run.
type Overload struct {
	Surface, Op   string
	Regions       []string
	Concurrencies []int
	// Factor is the open loop's rate over the peak; 2 when zero.
	Factor      float64
	Duration    time.Duration
	MaxInFlight int
}

// OverloadResult is one overload measurement. Ratio is the goodput under
// overload over the peak goodput.
type OverloadResult struct {
	Surface string   `json:"surface"`
	Op      string   `json:"op"`
	Closed  []Result `json:"closed"`
	Peak    Result   `json:"peak"`
	Over    Result   `json:"overload"`
	Ratio   float64  `json:"ratio"`
	// Efficiency is the goodput per server CPU-second under overload over
	// the same at the peak (with Target.ServerPID): the share of the
	// server's work that still ends in a served call, whatever CPU the
	// machine's other processes leave it.
	Efficiency float64 `json:"efficiency,omitempty"`
}

// Overload measures the peak, then offers Factor times it.
func (t Target) Overload(ctx context.Context, o Overload) (OverloadResult, error) {
	if len(o.Concurrencies) == 0 {
		return OverloadResult{}, errors.New("no concurrency to find the peak with")
	}
	factor := o.Factor
	if factor <= 0 {
		factor = 2
	}
	res := OverloadResult{Surface: o.Surface, Op: o.Op}
	for _, c := range o.Concurrencies {
		r, err := t.Run(ctx, Load{Surface: o.Surface, Op: o.Op, Regions: o.Regions, Concurrency: c, Duration: o.Duration})
		if err != nil {
			return res, err
		}
		res.Closed = append(res.Closed, r)
		if r.Goodput > res.Peak.Goodput {
			res.Peak = r
		}
	}
	if res.Peak.Goodput == 0 {
		return res, fmt.Errorf("%s %s: no call succeeded in the closed loops", o.Surface, o.Op)
	}
	over, err := t.Run(ctx, Load{Surface: o.Surface, Op: o.Op, Regions: o.Regions,
		Rate: factor * res.Peak.Goodput, MaxInFlight: o.MaxInFlight, Duration: o.Duration})
	if err != nil {
		return res, err
	}
	res.Over = over
	res.Ratio = over.Goodput / res.Peak.Goodput
	if over.ServerCPU > 0 && res.Peak.ServerCPU > 0 {
		res.Efficiency = (float64(over.OK) / over.ServerCPU) / (float64(res.Peak.OK) / res.Peak.ServerCPU)
	}
	return res, nil
}

// Summary is the medians of several overload measurements of one surface
// and op.
type Summary struct {
	Surface string `json:"surface"`
	Op      string `json:"op"`
	Runs    int    `json:"runs"`
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
	// Errors are the overload phases' calls that were neither served nor
	// refused, and Dropped the arrivals the generator could not send,
	// over every run.
	Errors  int64 `json:"errors"`
	Dropped int64 `json:"dropped"`
}

// Summarize groups measurements by surface and op, in their first order.
func Summarize(results []OverloadResult) []Summary {
	var out []Summary
	for _, r := range results {
		if !slices.ContainsFunc(out, func(s Summary) bool { return s.Surface == r.Surface && s.Op == r.Op }) {
			out = append(out, Summary{Surface: r.Surface, Op: r.Op})
		}
	}
	for i := range out {
		s := &out[i]
		var peaks, goodputs, refusedShares, efficiencies []float64
		var refused, retryAfter int64
		for _, r := range results {
			if r.Surface != s.Surface || r.Op != s.Op {
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
			}
			refused += r.Over.Refused
			retryAfter += r.Over.RefusedRetryAfter
			s.Errors += r.Over.Errors
			s.Dropped += r.Over.Dropped
		}
		s.Peak, s.Goodput, s.Ratio = median(peaks), median(goodputs), median(s.Ratios)
		s.RefusedShare, s.Efficiency = median(refusedShares), median(efficiencies)
		if refused > 0 {
			s.RetryAfterShare = float64(retryAfter) / float64(refused)
		}
	}
	return out
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
	fmt.Fprintf(&b, " %.1fs: sent %d, ok %d (%.0f/s), refused %d (%d with Retry-After), errors %d, late %d",
		r.Seconds, r.Sent, r.OK, r.Goodput, r.Refused, r.RefusedRetryAfter, r.Errors, r.Late)
	if r.Dropped > 0 {
		fmt.Fprintf(&b, ", dropped %d", r.Dropped)
	}
	fmt.Fprintf(&b, "; p50 %.2f ms, p99 %.2f ms", r.P50, r.P99)
	if r.ServerCPU > 0 {
		fmt.Fprintf(&b, "; server CPU %.2fs", r.ServerCPU)
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
	if o.Efficiency > 0 {
		s += fmt.Sprintf("; goodput per server CPU-second %.1f%% of peak's", 100*o.Efficiency)
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
	if s.Efficiency > 0 {
		out += fmt.Sprintf("; goodput per server CPU-second %.1f%% of peak's", 100*s.Efficiency)
	}
	return out
}
