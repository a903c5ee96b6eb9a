//go:build !unix

package bolt

import "os"

// unlock is a no-op where bbolt does not lock with flock: openDamaged then
// only closes the file.
func unlock(*os.File) {}
