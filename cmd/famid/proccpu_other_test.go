//go:build !linux

package main

import (
	"errors"
	"time"
)

// processCPU cannot read a process's CPU time but on Linux.
func processCPU(int) (time.Duration, error) { return 0, errors.ErrUnsupported }
