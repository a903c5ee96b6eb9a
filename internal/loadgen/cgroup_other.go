//go:build !linux

package loadgen

import "errors"

// ConfineCPU needs Linux's cgroups.
func ConfineCPU(pid int, cores float64) (release func() error, err error) {
	return nil, errors.New("confine the server's CPU: cgroups are Linux's; run famiload on Linux or without -server-cpu-quota")
}
