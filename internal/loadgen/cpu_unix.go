//go:build unix

package loadgen

import (
	"syscall"
	"time"
)

// clientCPU returns the CPU seconds the generator's process has used.
func clientCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return (time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())).Seconds()
}
