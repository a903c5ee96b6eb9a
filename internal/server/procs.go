package server

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
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
// some 35 MB more resident memory. In a container, SetMemoryLimit caps the
// heap below the container's memory: the collector then runs as often as
// it must, so GOGC 400 cannot get famid killed where 100 would have lived.
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

// MemoryShare is the share of its cgroup's memory limit that famid gives
// the Go runtime as its soft memory limit (GOMEMLIMIT). The cgroup's limit
// counts all of famid's memory; the runtime's limit only what the runtime
// manages (heap, stacks, its own structures). The tenth left is for the
// rest the kernel charges to the cgroup and cannot reclaim (socket
// buffers, page tables, threads' kernel stacks) and for the runtime's lag
// behind its own limit, as Go's GC guide advises (5 to 10%). The bbolt
// files' pages in the page cache are charged too, but the kernel reclaims
// clean ones before the OOM killer acts, and a commit's fdatasync leaves
// none dirty.
const MemoryShare = 0.9

// SetMemoryLimit sets the process's soft memory limit to MemoryShare of
// the memory limit of the cgroup it runs in (rounded down to a MiB), or
// off where the cgroup has none, unless the GOMEMLIMIT environment
// variable chose it (GOMEMLIMIT=off turns it off). It returns the limit in
// force as GOMEMLIMIT would spell it ("off" for none) and why. famid calls
// it as it starts, with SetGC. Go 1.26 sets GOMAXPROCS from the cgroup
// itself, but not the memory limit.
func SetMemoryLimit() (limit, why string) { return setMemoryLimit("/") }

// setMemoryLimit is SetMemoryLimit reading the cgroup files under root.
func setMemoryLimit(root string) (limit, why string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return memLimit(debug.SetMemoryLimit(-1)), "GOMEMLIMIT in the environment"
	}
	cg, file, err := cgroupMemoryLimit(root)
	switch {
	case err != nil:
		why = fmt.Sprintf("the cgroup's memory limit is unreadable (%v)", err)
	case file == "":
		why = "no cgroup memory limit"
	default:
		n := int64(float64(cg) * MemoryShare)
		if n >= 1<<20 {
			n &^= 1<<20 - 1 // whole MiB; below one, rounding would make it 0: the collector without pause
		}
		debug.SetMemoryLimit(n)
		return memLimit(n), fmt.Sprintf("%.0f%% of the cgroup's %s in %s", MemoryShare*100, memLimit(cg), file)
	}
	debug.SetMemoryLimit(math.MaxInt64) // the runtime's "off"
	return "off", why
}

// memLimit spells a memory limit as GOMEMLIMIT does.
func memLimit(n int64) string {
	switch {
	case n == math.MaxInt64:
		return "off"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n, 10)
}

// cgroupMemoryLimit is the memory limit of the cgroup the process runs in
// and the file that sets it, read under root: the least of the limits of
// its cgroup and of those above it that the process can see, since the
// kernel enforces each. It is 0 and "" when there is none: the files say
// "max" (v2) or a number past 4 EiB (v1's "no limit"), or are absent, or
// the process is in no cgroup (/proc/self/cgroup absent: not Linux).
//
// The hierarchies are taken at their usual mount points under
// /sys/fs/cgroup. Walking up also finds a container's own limit where
// /proc/self/cgroup shows the host's path but the container sees only its
// cgroup, at the mount point (cgroup v1 without a cgroup namespace).
func cgroupMemoryLimit(root string) (limit int64, file string, err error) {
	mount, path, name, err := memoryCgroup(root)
	if err != nil || name == "" {
		return 0, "", err
	}
	for dir := filepath.Join("/", path); ; dir = filepath.Dir(dir) {
		f := filepath.Join(root, mount, dir, name)
		n, err := readMemoryLimit(f)
		if err != nil {
			return 0, "", err
		}
		if n > 0 && (file == "" || n < limit) {
			limit, file = n, f
		}
		if dir == "/" {
			return limit, file, nil
		}
	}
}

// memoryCgroup reads root's /proc/self/cgroup for the cgroup of the
// memory controller: its hierarchy's mount point under root, its path
// there and the name of its limit file; name is "" when the process is in
// no cgroup or none has the memory controller.
func memoryCgroup(root string) (mount, path, name string, err error) {
	b, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", "", nil
	}
	if err != nil {
		return "", "", "", err
	}
	// Each line is hierarchy-ID:controllers:path; cgroup v2's one line is
	// "0::path". With both, as in systemd's hybrid mode, the memory
	// controller is v1's.
	cgroups := 0
	for line := range strings.Lines(string(b)) {
		id, rest, _ := strings.Cut(strings.TrimSpace(line), ":")
		controllers, p, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		cgroups++
		switch {
		case slices.Contains(strings.Split(controllers, ","), "memory"):
			mount, path, name = "sys/fs/cgroup/memory", p, "memory.limit_in_bytes"
		case id == "0" && controllers == "" && name == "":
			mount, path, name = "sys/fs/cgroup", p, "memory.max"
		}
	}
	if cgroups == 0 {
		return "", "", "", fmt.Errorf("%s: %.40q is not a list of cgroups", filepath.Join(root, "proc/self/cgroup"), b)
	}
	return mount, path, name, nil
}

// readMemoryLimit reads one cgroup limit file: 0 when it sets no limit
// ("max", a number past 4 EiB, or no such file).
func readMemoryLimit(f string) (int64, error) {
	b, err := os.ReadFile(f)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %.40q is not a memory limit", f, s)
	}
	if n >= 1<<62 {
		return 0, nil
	}
	return n, nil
}
