// Package filelock takes advisory locks on files that the kernel releases
// when the process holding them ends, however it ends (SIGKILL, a crash):
// a lock held says a live process owns the file, a lock free that no one
// does. bbolt locks its files the same way (flock on unix).
package filelock

import (
	"errors"
	"os"
	"time"
)

// ErrLocked is the error of a lock another holder has (another process,
// or another open file of this one).
var ErrLocked = errors.New("locked by another process")

// TryLock locks f exclusively without waiting, or returns ErrLocked. Where
// the system has no such lock (not unix), it returns
// errors.ErrUnsupported. The lock is released when f is closed.
func TryLock(f *os.File) error { return tryLock(f) }

// Lock is TryLock, trying again until timeout has passed.
func Lock(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := TryLock(f)
		if !errors.Is(err, ErrLocked) || !time.Now().Before(deadline) {
			return err
		}
		time.Sleep(min(50*time.Millisecond, time.Until(deadline)))
	}
}
