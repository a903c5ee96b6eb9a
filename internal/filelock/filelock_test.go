//go:build unix

package filelock_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/filelock"
)

// TestLock: a file locked through one open file is refused to another,
// after the timeout, until the first is closed.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.lock")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	holder, other := open(), open()
	if err := filelock.TryLock(holder); err != nil {
		t.Fatal(err)
	}
	if err := filelock.Lock(other, 50*time.Millisecond); !errors.Is(err, filelock.ErrLocked) {
		t.Fatalf("lock of a held file: %v, want ErrLocked", err)
	}
	holder.Close()
	if err := filelock.TryLock(other); err != nil {
		t.Fatalf("lock of a file its holder closed: %v", err)
	}
}
