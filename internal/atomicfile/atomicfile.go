// Package atomicfile writes files that a reader, or a crash, never sees
// half-written: the data goes to a temporary file in the directory of its
// final name, is synced, and is renamed to that name only once whole, so
// the name holds either its old file or the whole new one. The signing
// keys, famictl's backups, exports and mirror files and famid's ready file
// are written through it. (The region and system files are bbolt's, which
// must open them by name before they are whole: internal/store/bolt
// installs them itself, and makes their names durable with SyncDir.)
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/raccordo/raccordo/internal/filelock"
)

// File is a file being written, not yet at its name.
type File struct {
	*os.File
	done bool
	// locked is true while the file holds its lock (see Create).
	locked bool
}

// tempPattern names the temporary files, in the directory of their final
// name.
const tempPattern = ".tmp-*"

// Create starts a file in dir, the directory of the name Commit will
// give it: a rename is atomic only within one directory's file system.
// The file is created with mode 0600, and locked (filelock) until it has
// its name or is discarded, so that RemoveAbandoned tells it from one
// that a killed process left.
func Create(dir string) (*File, error) {
	for {
		f, err := os.CreateTemp(dir, tempPattern)
		if err != nil {
			return nil, err
		}
		// RemoveAbandoned may take the file between its creation and its
		// lock, and remove it: another one then.
		locked, err := lock(f)
		switch {
		case errors.Is(err, filelock.ErrLocked):
		case err != nil:
			f.Close()
			os.Remove(f.Name())
			return nil, err
		case !locked || isAt(f, f.Name()):
			return &File{File: f, locked: locked}, nil
		}
		f.Close()
	}
}

// lock locks f; locked is false where the system has no file locks.
func lock(f *os.File) (locked bool, err error) {
	switch err := filelock.TryLock(f); {
	case err == nil:
		return true, nil
	case errors.Is(err, errors.ErrUnsupported):
		return false, nil
	default:
		return false, err
	}
}

// isAt reports whether f is the file at path.
func isAt(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	at, err := os.Lstat(path)
	return err == nil && os.SameFile(fi, at)
}

// Commit syncs and closes the file, renames it to path, which must be in
// the directory given to Create, and syncs that directory, so that the
// new name outlives a crash too. On failure the file is removed and path
// is left as it was. A locked file is renamed before it is closed, which
// releases its lock: RemoveAbandoned never takes it for abandoned.
func (f *File) Commit(path string) error {
	f.done = true
	err := f.Sync()
	if err == nil && f.locked {
		err = os.Rename(f.Name(), path)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !f.locked {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// RemoveAbandoned removes the temporary files in dir that a process
// killed while it wrote them left (a famictl backup's, Ctrl-C'd twice or
// SIGKILLed), and returns their names: those whose lock is free. A file
// another process is writing holds its lock and stays. Where the system
// has no file locks, it removes nothing.
func RemoveAbandoned(dir string) ([]string, error) {
	temps, err := filepath.Glob(filepath.Join(dir, tempPattern))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, p := range temps {
		ok, err := removeAbandoned(p)
		if err != nil {
			return removed, err
		}
		if ok {
			removed = append(removed, p)
		}
	}
	return removed, nil
}

// removeAbandoned removes the temporary file at path if its lock is free.
func removeAbandoned(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // committed or discarded meanwhile
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if locked, err := lock(f); err != nil || !locked {
		if errors.Is(err, filelock.ErrLocked) {
			err = nil // being written
		}
		return false, err
	}
	// Still at path: a file committed since it was opened has its name
	// now, and stays.
	if !isAt(f, path) {
		return false, nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// SyncDir makes the names in dir durable, a rename into it included.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Discard closes and removes the file unless Commit was called; deferred
// after Create, it cleans up after every early return.
func (f *File) Discard() {
	if f.done {
		return
	}
	f.done = true
	f.Close() // before the Remove: an open file cannot be removed everywhere (Windows)
	os.Remove(f.Name())
}

// WriteFile writes b to path with mode perm (the umask is not applied),
// atomically.
func WriteFile(path string, b []byte, perm os.FileMode) error {
	f, err := Create(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer f.Discard()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err != nil {
		return err
	}
	return f.Commit(path)
}
