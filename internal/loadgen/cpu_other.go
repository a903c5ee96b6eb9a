//go:build !unix

package loadgen

// clientCPU is not measured where getrusage is missing.
func clientCPU() float64 { return 0 }
