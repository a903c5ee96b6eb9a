package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// cgroupCPU is where Linux's cgroup v1 cpu controller is mounted.
var cgroupCPU = "/sys/fs/cgroup/cpu"

// cpuPeriod is the quota's period, in microseconds: short, so that a
// confined server is throttled in slices of a few milliseconds and not for
// a tenth of a second at a time (the kernel's default period).
const cpuPeriod = 10_000

// cpuShares is the confined group's weight against the machine's other
// processes (each weighs 1024): on a shared machine the quota, not the
// neighbours, is then what bounds the server, so that its capacity stays
// the same between the peak and the overload. The quota caps what the
// weight can take from the others.
const cpuShares = 8192

// ConfineCPU moves the process pid (every thread of it) into a cgroup of
// its own that lets it use cores CPUs at most (0.4: 40% of one core), so
// that a load generator with as much CPU can offer it a multiple of its
// capacity. release moves the process back where it was and removes the
// cgroup; it must be called, and also works once the process has exited.
// Linux's cgroup v1 cpu controller is needed, and the rights to write it
// (root).
func ConfineCPU(pid int, cores float64) (release func() error, err error) {
	if cores <= 0 {
		return nil, fmt.Errorf("confine the server's CPU: %v cores is not a quota", cores)
	}
	// The kernel's least quota is 1 ms.
	return moveToCgroup(pid, "server", max(int(cores*cpuPeriod), 1000))
}

// WeighCPU moves the process pid into a cgroup of its own with no quota
// and the same weight as ConfineCPU's: the generator, given as much
// weight as the server it loads, is not starved by the machine's other
// processes either. release is as ConfineCPU's.
func WeighCPU(pid int) (release func() error, err error) {
	return moveToCgroup(pid, "generator", -1)
}

// moveToCgroup moves pid into a new cgroup named for role, with a quota of
// quota µs every cpuPeriod (-1: none) and the weight cpuShares.
func moveToCgroup(pid int, role string, quota int) (release func() error, err error) {
	if pid <= 0 {
		return nil, fmt.Errorf("cgroup for the %s: no process id", role)
	}
	if _, err := os.Stat(filepath.Join(cgroupCPU, "cpu.cfs_quota_us")); err != nil {
		return nil, fmt.Errorf("cgroup for the %s: no cgroup v1 cpu controller at %s (%w)", role, cgroupCPU, err)
	}
	home, err := cpuCgroupOf(pid)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cgroupCPU, fmt.Sprintf("famiload-%d-%s", os.Getpid(), role))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup for the %s: %w", role, err)
	}
	release = func() error {
		// Writing a process to its old group's cgroup.procs takes it out
		// of ours; a process that has exited has left it already.
		err := writeCgroup(filepath.Join(cgroupCPU, home), "cgroup.procs", strconv.Itoa(pid))
		if errors.Is(err, syscall.ESRCH) {
			err = nil
		}
		return errors.Join(err, os.Remove(dir))
	}
	for _, w := range []struct{ file, value string }{
		{"cpu.cfs_period_us", strconv.Itoa(cpuPeriod)},
		{"cpu.cfs_quota_us", strconv.Itoa(quota)},
		{"cpu.shares", strconv.Itoa(cpuShares)},
		{"cgroup.procs", strconv.Itoa(pid)},
	} {
		if err := writeCgroup(dir, w.file, w.value); err != nil {
			return nil, errors.Join(fmt.Errorf("cgroup for the %s: %w", role, err), release())
		}
	}
	return release, nil
}

// writeCgroup writes one of a cgroup's files. Moving a process that has
// exited fails with ESRCH.
func writeCgroup(dir, file, value string) error {
	return os.WriteFile(filepath.Join(dir, file), []byte(value), 0)
}

// cpuCgroupOf returns the cpu controller's cgroup of process pid
// ("/" or "/user.slice"), from /proc/PID/cgroup.
func cpuCgroupOf(pid int) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", fmt.Errorf("cgroup: process %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 && containsController(parts[1], "cpu") {
			return parts[2], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("cgroup: process %d is in no cgroup v1 cpu hierarchy", pid)
}

func containsController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}
