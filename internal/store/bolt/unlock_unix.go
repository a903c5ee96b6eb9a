//go:build unix

package bolt

import (
	"os"
	"syscall"
)

// unlock releases the flock bbolt took on f (see openDamaged).
func unlock(f *os.File) {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
