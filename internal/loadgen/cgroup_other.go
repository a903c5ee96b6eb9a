//go:build !linux

package loadgen

import "errors"

// ConfineCPU needs Linux's cgroups.
func ConfineCPU(pid int, cores float64) (release func() error, err error) {
	return nil, errNoCgroups
}

// WeighCPU needs Linux's cgroups.
func WeighCPU(pid int) (release func() error, err error) { return nil, errNoCgroups }

var errNoCgroups = errors.New("cgroups are Linux's: run famiload on Linux, or without -server-cpu-quota")
