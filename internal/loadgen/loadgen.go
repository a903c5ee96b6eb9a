// Package loadgen drives a famid with load, over any of its four surfaces
// (gRPC, Connect, gRPC-Web, REST), and measures what comes back:
// throughput, goodput, refusals (and whether they said when to retry) and
// latency. A load is closed-loop (a number of callers, each calling again
// as soon as it has its answer: what finds the server's capacity) or
// open-loop (calls arrive at a rate whatever the answers: what overloads
// it). cmd/famiload is its command line.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Target is the famid under load.
type Target struct {
	// GRPCAddr is the gRPC listener (127.0.0.1:9090); HTTPURL the HTTP one
	// (http://127.0.0.1:8080), for Connect, gRPC-Web and REST.
	GRPCAddr string
	HTTPURL  string
	// H2C carries the HTTP surfaces' calls over one HTTP/2 connection
	// (cleartext) instead of a connection per concurrent call.
	H2C bool
	// Tokens are the bearer tokens to call each region with.
	Tokens map[string]string
	// Timeout bounds each call; a call that takes longer is an error.
	Timeout time.Duration
	// ServerPID, when set, is famid's process id on this machine (Linux):
	// each result then says how much CPU the server spent on it.
	ServerPID int
}

// Load is one load to put on the target.
type Load struct {
	// Surface is one of Surfaces; Op is Get or Create.
	Surface, Op string
	// Regions are the regions the calls go to, in turn.
	Regions []string
	// Concurrency is the number of closed-loop callers; when zero, calls
	// arrive open-loop at Rate per second.
	Concurrency int
	Rate        float64
	// MaxInFlight bounds the open-loop calls waiting for an answer: an
	// arrival beyond it is not sent and counts as dropped (the generator,
	// not the server, is then the limit). Zero means 10,000.
	MaxInFlight int
	// Duration is how long calls are sent; calls still unanswered at its
	// end are waited for and counted as late.
	Duration time.Duration
	// MinServed, when positive, keeps the calls coming past Duration until
	// that many have been served (or ctx ends), so that a machine too busy
	// to serve anything in Duration still yields a measurement rather than
	// none; the result's Seconds is then the time the load took.
	MinServed int64
	// MinAnswered, when positive, likewise keeps the calls coming until
	// that many have had their answer within the load, whatever it was:
	// served, refused, failed, or rejected by the client's own throttle.
	// A load on a server that refuses every call serves none; this bounds
	// it by the calls made rather than by the machine's speed.
	MinAnswered int64
	// Clients is how the load's clients behave; the zero value is plain
	// clients.
	Clients Clients
}

// Clients is how a load's clients behave towards an overloaded server.
type Clients struct {
	// Throttle, when positive, is the K of an sdk.Throttle shared by the
	// load's calls: the client rejects calls itself, without sending
	// them, as the server refuses them (RESOURCE_EXHAUSTED / 429).
	Throttle float64 `json:"throttle,omitempty"`
	// MaxConns, when positive, bounds the HTTP connections the Connect,
	// gRPC-Web and REST clients open (http.Transport.MaxConnsPerHost):
	// further calls wait in the client for one, instead of dialling a
	// connection each.
	MaxConns int `json:"maxConns,omitempty"`
}

// String names the clients: "plain", "throttle K=2", "max 64 conns"...
func (c Clients) String() string {
	var parts []string
	if c.Throttle > 0 {
		parts = append(parts, fmt.Sprintf("throttle K=%g", c.Throttle))
	}
	if c.MaxConns > 0 {
		parts = append(parts, fmt.Sprintf("max %d conns", c.MaxConns))
	}
	if len(parts) == 0 {
		return "plain"
	}
	return strings.Join(parts, ", ")
}

// Result is what a load got back. Sent = OK + Refused + Throttled +
// Errors + Late: every call the generator made, whether or not its client
// let it leave.
type Result struct {
	Surface     string  `json:"surface"`
	Op          string  `json:"op"`
	Mode        string  `json:"mode"` // "closed" or "open"
	Concurrency int     `json:"concurrency,omitempty"`
	Clients     Clients `json:"clients"`
	Rate        float64 `json:"rate,omitempty"` // the open loop's arrival rate asked for
	// Seconds is the time calls were sent for: Duration, or longer with
	// Load.MinServed.
	Seconds float64 `json:"seconds"`
	Sent    int64   `json:"sent"`
	// Dropped are open-loop arrivals not sent (MaxInFlight reached).
	Dropped int64 `json:"dropped"`
	OK      int64 `json:"ok"`
	// Refused are RESOURCE_EXHAUSTED / 429 answers; RefusedRetryAfter
	// those of them with a Retry-After (gRPC: RetryInfo).
	Refused           int64 `json:"refused"`
	RefusedRetryAfter int64 `json:"refusedRetryAfter"`
	// Throttled are calls the client's throttle rejected without sending
	// them (Clients.Throttle).
	Throttled int64 `json:"throttled"`
	// Errors are any other failure, by code (ErrorCodes).
	Errors     int64            `json:"errors"`
	ErrorCodes map[string]int64 `json:"errorCodes,omitempty"`
	// Late are calls answered after the load's end, whatever the answer.
	Late int64 `json:"late"`
	// Throughput is the answers per second within the load's time
	// (successes and refusals alike); Goodput the successes per second.
	Throughput float64 `json:"throughput"`
	Goodput    float64 `json:"goodput"`
	// P50 and P99 are the latencies of the successful calls, in
	// milliseconds.
	P50 float64 `json:"p50Ms"`
	P99 float64 `json:"p99Ms"`
	// ServerCPU is the CPU seconds famid (with Target.ServerPID) spent
	// within the load's time, read as it ends, before the wait for the
	// late calls: the interval its OK and Goodput count. ServerDrainCPU
	// is what famid spent during that wait, answering the late calls.
	// (Until 2026-11-30 ServerCPU included the drain: under overload that
	// charged the calls served in time with the late ones' work.)
	// ClientCPU is the generator's, drain included. On a shared machine
	// the CPU a process gets moves with the others' load; the work per
	// call does not.
	ServerCPU      float64 `json:"serverCpuSeconds,omitempty"`
	ServerDrainCPU float64 `json:"serverDrainCpuSeconds,omitempty"`
	ClientCPU      float64 `json:"clientCpuSeconds"`
}

// targetPartner is the partner a Get load reads in each region.
const targetPartner = "famiload-target"

// Run puts a load on the target and reports what came back.
func (t Target) Run(ctx context.Context, l Load) (Result, error) {
	if len(l.Regions) == 0 {
		return Result{}, errors.New("no region to call")
	}
	if l.Concurrency <= 0 && l.Rate <= 0 {
		return Result{}, errors.New("a load needs a concurrency (closed loop) or a rate (open loop)")
	}
	for _, r := range l.Regions {
		if t.Tokens[r] == "" {
			return Result{}, fmt.Errorf("no token for region %s", r)
		}
	}
	c, err := newClient(t, l.Surface, l.Clients)
	if err != nil {
		return Result{}, err
	}
	defer c.close()
	call, err := t.op(ctx, c, l)
	if err != nil {
		return Result{}, err
	}
	server, client := t.serverCPU(), clientCPU()
	var r Result
	var serverAtEnd float64
	if l.Concurrency > 0 {
		r, serverAtEnd = t.closedLoop(ctx, c, call, l)
	} else {
		r, serverAtEnd = t.openLoop(ctx, c, call, l)
	}
	if t.ServerPID > 0 {
		r.ServerCPU = serverAtEnd - server
		r.ServerDrainCPU = t.serverCPU() - serverAtEnd
	}
	r.ClientCPU = clientCPU() - client
	return r, nil
}

// callFunc makes the n-th call of a load.
type callFunc func(ctx context.Context, n int64) error

// runs makes each Create load's partner ids unique across runs.
var runs atomic.Int64

// op returns the load's call, after making sure a Get has something to
// read in every region.
func (t Target) op(ctx context.Context, c client, l Load) (callFunc, error) {
	region := func(n int64) string { return l.Regions[n%int64(len(l.Regions))] }
	switch l.Op {
	case Get:
		for _, r := range l.Regions {
			if err := t.setUp(ctx, c, r); err != nil {
				return nil, fmt.Errorf("create the partner to read in %s: %w", r, err)
			}
		}
		return func(ctx context.Context, n int64) error {
			r := region(n)
			return c.getPartner(ctx, t.Tokens[r], "regions/"+r+"/partners/"+targetPartner)
		}, nil
	case Create:
		prefix := fmt.Sprintf("load-%x-%d-", time.Now().UnixNano(), runs.Add(1))
		return func(ctx context.Context, n int64) error {
			r := region(n)
			return c.createPartner(ctx, t.Tokens[r], "regions/"+r, fmt.Sprintf("%s%d", prefix, n))
		}, nil
	}
	return nil, fmt.Errorf("unknown op %q (want %s or %s)", l.Op, Get, Create)
}

// setUp creates the partner a Get load reads in region, unless it is
// there already; a refusal (the server is busy) is retried a few times.
func (t Target) setUp(ctx context.Context, c client, region string) error {
	for try := 0; ; try++ {
		err := c.createPartner(ctx, t.Tokens[region], "regions/"+region, targetPartner)
		switch {
		case err == nil || alreadyExists(c, err):
			return nil
		case !c.classify(err).refused || try == 20:
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tally counts a load's outcomes as they come, from many goroutines.
type tally struct {
	start time.Time
	// minServed and minAnswered are Load's; enough is closed once that
	// many calls have been served and answered (at once when neither is
	// positive).
	minServed, minAnswered int64
	enough                 chan struct{}
	enoughOnce             sync.Once
	// ended is set, under mu, as the load's time ends: a call answered
	// after it is late.
	ended atomic.Bool

	mu         sync.Mutex
	ok         int64
	refused    int64
	retryAfter int64
	throttled  int64
	errors     int64
	late       int64
	codes      map[string]int64
	latencies  []time.Duration
}

func newTally(l Load) *tally {
	t := &tally{start: time.Now(), minServed: l.MinServed, minAnswered: l.MinAnswered, enough: make(chan struct{})}
	t.checkEnough()
	return t
}

// checkEnough closes enough once the load has served and answered as many
// calls as it must; t.mu is held, or t not yet shared.
func (t *tally) checkEnough() {
	answered := t.ok + t.refused + t.throttled + t.errors
	if t.ok >= t.minServed && answered >= t.minAnswered {
		t.enoughOnce.Do(func() { close(t.enough) })
	}
}

// due returns a channel closed once the load may end: l.Duration after its
// start, with enough calls served and answered.
func (t *tally) due(ctx context.Context, l Load) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		timer := time.NewTimer(time.Until(t.start.Add(l.Duration)))
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		select {
		case <-ctx.Done():
		case <-t.enough:
		}
	}()
	return ch
}

// end ends the load's time, and returns how long it was.
func (t *tally) end() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended.Store(true)
	return time.Since(t.start)
}

// record counts one call that started at start and ended with err.
func (t *tally) record(c client, start time.Time, err error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.ended.Load():
		t.late++
	case err == nil:
		t.ok++
		t.latencies = append(t.latencies, now.Sub(start))
	default:
		o := c.classify(err)
		switch {
		case o.throttled:
			t.throttled++
		case o.refused:
			t.refused++
			if o.retryAfter {
				t.retryAfter++
			}
		default:
			t.errors++
			if t.codes == nil {
				t.codes = map[string]int64{}
			}
			t.codes[o.code]++
		}
	}
	t.checkEnough()
}

func (t Target) call(ctx context.Context, c client, call callFunc, tl *tally, n int64) {
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.Timeout)
		defer cancel()
	}
	start := time.Now()
	err := call(ctx, n)
	tl.record(c, start, err)
}

// closedLoop runs l's callers until its time ends, and returns, with
// what they got, the server's CPU reading (serverCPU) as the time ended,
// before waiting for the calls still unanswered.
func (t Target) closedLoop(ctx context.Context, c client, call callFunc, l Load) (Result, float64) {
	tl := newTally(l)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range l.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && !tl.ended.Load() {
				n := next.Add(1) - 1
				t.call(ctx, c, call, tl, n)
			}
		})
	}
	<-tl.due(ctx, l)
	took := tl.end()
	serverAtEnd := t.serverCPU()
	wg.Wait()
	r := tl.result(l, "closed", took, next.Load(), 0)
	r.Concurrency = l.Concurrency
	return r, serverAtEnd
}

// openLoop sends calls at l.Rate, each in its own goroutine, whether or
// not the earlier ones have been answered, until l's time ends; it
// returns the server's CPU reading as closedLoop does.
func (t Target) openLoop(ctx context.Context, c client, call callFunc, l Load) (Result, float64) {
	maxInFlight := l.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = 10000
	}
	slots := make(chan struct{}, maxInFlight)
	tl := newTally(l)
	due := tl.due(ctx, l)
	var sent, dropped int64
	var wg sync.WaitGroup
	interval := max(time.Duration(float64(time.Second)/l.Rate), time.Nanosecond)
	for open := true; open; {
		select {
		case <-due:
			open = false
			continue
		default:
		}
		// Every arrival due by now leaves now: a generator that fell
		// behind catches up instead of lowering the rate.
		for arrivals := int64(time.Since(tl.start)/interval) + 1; sent+dropped < arrivals; {
			select {
			case slots <- struct{}{}:
				n := sent
				sent++
				wg.Go(func() {
					defer func() { <-slots }()
					t.call(ctx, c, call, tl, n)
				})
			default:
				dropped++
			}
		}
		time.Sleep(min(interval, time.Millisecond))
	}
	took := tl.end()
	serverAtEnd := t.serverCPU()
	wg.Wait()
	r := tl.result(l, "open", took, sent, dropped)
	r.Rate = l.Rate
	return r, serverAtEnd
}

func (t *tally) result(l Load, mode string, took time.Duration, sent, dropped int64) Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	secs := took.Seconds()
	r := Result{
		Surface: l.Surface, Op: l.Op, Mode: mode, Clients: l.Clients, Seconds: secs,
		Sent: sent, Dropped: dropped, OK: t.ok, Refused: t.refused, RefusedRetryAfter: t.retryAfter, Throttled: t.throttled,
		Errors: t.errors, ErrorCodes: t.codes, Late: t.late,
		Throughput: float64(t.ok+t.refused+t.errors) / secs,
		Goodput:    float64(t.ok) / secs,
	}
	slices.Sort(t.latencies)
	r.P50 = percentile(t.latencies, 0.50)
	r.P99 = percentile(t.latencies, 0.99)
	return r
}

// percentile returns the q-quantile of sorted latencies in milliseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(int(q*float64(len(sorted))), len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}
