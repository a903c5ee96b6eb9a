package loadgen

import (
	"fmt"
	"os"
	"strings"
)

// clockTicks is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// every Linux the project runs on).
const clockTicks = 100

// serverCPU returns the CPU seconds (user and system) the server process
// has used, or 0 when it is not known.
func (t Target) serverCPU() float64 {
	if t.ServerPID <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", t.ServerPID))
	if err != nil {
		return 0
	}
	// The fields after the command (in parentheses, which may hold
	// spaces): utime and stime are the 14th and 15th of the line.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	var utime, stime float64
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return (utime + stime) / clockTicks
}
