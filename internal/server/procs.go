package server

import (
	"os"
	"runtime"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
)

// Procs is the GOMAXPROCS for a process serving cfg on cores CPUs: twice
// the cores with the bbolt store, the cores with etcd.
//
// A region's writer spends most of a commit in bbolt's two fdatasyncs, and
// a goroutine in a system call keeps its P (the right to run Go code)
// until the runtime's monitor takes it back, tens of µs to milliseconds
// later (golang/go#29734). With one P per core, two regions syncing at
// once on two cores leave no P for the handlers that fill the next
// batches: the batches shrink to a few creates, each create carries more
// of a commit's fixed work, and two regions wrote slower than one
// (docs/benchmarks.md, "Two regions, third pass"). One more P per core
// lets as many writers sync at once as there are cores while Go code
// still runs on every core; more Ps would only add threads taking turns
// on the same cores. The etcd store's writes wait on the network, which
// holds no P.
func Procs(cfg Config, cores int) int {
	if cfg.Store == StoreEtcd {
		return cores
	}
	return 2 * cores
}

// startProcs is the runtime's own GOMAXPROCS, read as the process starts: the
// CPUs it may use (its affinity, or its cgroup's CPU limit).
var startProcs = runtime.GOMAXPROCS(0)

// SetProcs sets the process's GOMAXPROCS to Procs of the CPUs it may use,
// unless the GOMAXPROCS environment variable chose it, and returns the
// value in force. famid calls it before it opens the server; calling it
// again sets the same value.
func SetProcs(cfg Config) int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	n := Procs(cfg, startProcs)
	runtime.GOMAXPROCS(n)
	return n
}

// GCPercent is famid's GOGC: the heap may grow to five times what is live
// before the next collection, where Go's default lets it reach twice.
// famid's live heap is small (10 to 30 MB under a write load) and a
// durable create allocates about 20 kB across gRPC, bbolt and the
// pipeline, so at Go's default the collector ran every few hundred
// creates and took a fifth of a create's CPU (docs/benchmarks.md,
// "Writes, fourth pass"). At 400 it runs about a quarter as often, for
// some 35 MB more resident memory. Where memory is tight, GOMEMLIMIT
// still caps the heap: the collector then runs as often as it must.
const GCPercent = 400

// SetGC sets the process's GOGC to GCPercent, unless the GOGC environment
// variable chose it, and returns the value in force (-1: collection off).
// famid calls it as it starts, with SetProcs.
func SetGC() int {
	if os.Getenv("GOGC") != "" {
		return gcPercent()
	}
	debug.SetGCPercent(GCPercent)
	return GCPercent
}

// gcPercent is the process's GOGC in force, -1 when collection is off.
func gcPercent() int {
	s := []runtimemetrics.Sample{{Name: "/gc/gogc:percent"}}
	runtimemetrics.Read(s)
	return int(int64(s[0].Value.Uint64())) // the runtime's int32, -1 for off
}
