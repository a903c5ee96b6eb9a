// Package heaptest measures, in benchmarks, the heap a piece of work keeps
// live: what it holds, as opposed to what it allocates (-benchmem's B/op).
package heaptest

import "runtime"

// Live is the heap still live after two full collections. One is not
// enough: it moves what each sync.Pool holds into the pool's victim cache,
// still reachable, and only the next one frees it. bbolt keeps its write
// pages in such a pool, so a base taken after a benchmark's setup counted
// about 0.8 MB of the setup's pages that the samples, a collection later,
// no longer did, and a run of one iteration reported a peak of 0.
func Live() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Peak is the most heap live, above a base, at the points a benchmark
// samples. Each sample costs a collection, so a benchmark that samples
// often does not measure its work's speed.
type Peak struct {
	base, max uint64
}

// Start takes the heap live now as the base of the next samples: call it
// before each run of the work, outside the benchmark's timer.
func (p *Peak) Start() { p.base = Live() }

// Sample notes the heap live now, above the base.
func (p *Peak) Sample() {
	if live := Live(); live > p.base {
		p.max = max(p.max, live-p.base)
	}
}

// Max is the largest sample above its base, over every run, in bytes: the
// figure a benchmark reports as peak-live-B.
func (p *Peak) Max() uint64 { return p.max }
