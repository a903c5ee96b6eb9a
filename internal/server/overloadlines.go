package server

import (
	"context"
	"log/slog"
	"time"
)

// The access lines of the calls refused at the concurrency limit as they
// arrive are bounded per surface: under overload a line for every refusal
// would spend on logging the CPU the refusal is there to save, and bury
// the lines of the calls served. Each surface writes the first
// defaultOverloadLines refusals of an interval as access lines, like any
// call's; the rest are counted, and the count is said by the surface's
// next refusal line ("suppressed=N") or, at the end of a flood, by one
// line of its own ("access lines suppressed", with the surface and the
// code). The metrics count every refusal (raccordo_rpc_requests_total,
// raccordo_rate_limited_total). docs/operations.md, "Overload".
const (
	defaultOverloadLines = 10
	overloadInterval     = time.Minute
)

// overloadLines are the line budgets of the refusals at arrival, one per
// surface a call can arrive on (the in-process callers are admitted in
// the pipeline, which writes their lines).
type overloadLines struct {
	p       *pipeline
	budgets map[string]*lineBudget
}

func newOverloadLines(p *pipeline, limit int) *overloadLines {
	o := &overloadLines{p: p, budgets: map[string]*lineBudget{}}
	for _, surface := range []string{surfaceGRPC, surfaceConnect, surfaceGRPCWeb, surfaceREST, surfaceWeb} {
		o.budgets[surface] = newLineBudget(limit, overloadInterval, p.now, func(dropped int64) {
			p.log.LogAttrs(context.Background(), p.accessLevel, "access lines suppressed",
				slog.String("protocol", surface), slog.String("code", codeOverloaded), slog.Int64("suppressed", dropped))
		})
	}
	return o
}

// write writes the access line of c, refused at arrival, if its surface's
// budget allows it.
func (o *overloadLines) write(ctx context.Context, c *call) {
	b := o.budgets[c.protocol]
	if b == nil {
		return
	}
	if ok, dropped := b.take(); ok {
		o.p.logCall(ctx, "rpc", c, "", codeOverloaded, 0, dropped)
	}
}

// close says the refusals whose lines were dropped and not yet said.
func (o *overloadLines) close() {
	for _, b := range o.budgets {
		b.close()
	}
}

// codeOverloaded is the code of a refusal at the concurrency limit.
const codeOverloaded = "RESOURCE_EXHAUSTED"
