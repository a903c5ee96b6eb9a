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
	"os"
	"path/filepath"
)

// File is a file being written, not yet at its name.
type File struct {
	*os.File
	done bool
}

// Create starts a file in dir, the directory of the name Commit will
// give it: a rename is atomic only within one directory's file system.
// The file is created with mode 0600.
func Create(dir string) (*File, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return nil, err
	}
	return &File{File: f}, nil
}

// Commit syncs and closes the file, renames it to path, which must be in
// the directory given to Create, and syncs that directory, so that the
// new name outlives a crash too. On failure the file is removed and path
// is left as it was.
func (f *File) Commit(path string) error {
	f.done = true
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return SyncDir(filepath.Dir(path))
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
