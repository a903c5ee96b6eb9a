package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/atomicfile"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// The files of a region no famid serves (a backup, or the file a restore
// replaces) are checked, locked and installed by the functions below, so
// that tools such as famictl know neither bbolt nor the file's layout.

func regionsDir(dataDir string) string { return filepath.Join(dataDir, "regions") }

// RegionFile is the path of region's file in the data dir dataDir.
func RegionFile(dataDir, region string) string {
	return filepath.Join(regionsDir(dataDir), region+".db")
}

// CheckFile checks the region file at path (a backup) before it becomes
// region's: that it holds a region, region's data and no other's, and
// passes bbolt's consistency check and every resource and change record
// its checksum. It returns the region revision the file holds. A file
// that is empty, truncated, unreadable, inconsistent, without region
// data, with another region's or with a damaged record is refused with errs.DataLoss
// (reason REGION_FILE_DAMAGED); a file another process holds with
// ErrLocked; a missing one with an error wrapping fs.ErrNotExist.
func CheckFile(path, region string) (revision int64, err error) {
	db, err := openChecked(path, &bbolt.Options{ReadOnly: true, Timeout: time.Second}, regionBuckets)
	var d damage
	if errors.As(err, &d) {
		return 0, damagedErr(errs.Sprintf("file %s %s", path, d), "", path)
	}
	if err != nil {
		return 0, err
	}
	defer db.Close()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			revision, err = 0, damagedErr(errs.Sprintf("file %s cannot be read (%v)", path, r), "", path)
		}
	}()
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return damagedErr(errs.Sprintf("file %s fails bbolt's consistency check (%v)", path, err), "", path)
		}
		if d := ofRegion(tx, region); d != nil {
			return damagedErr(errs.Sprintf("file %s %s", path, d), "", path)
		}
		if err := newTx(tx, region, time.Time{}, store.Mutation{}).checkRecords(); err != nil {
			return damagedErr(errs.Sprintf("file %s holds a damaged record, %s (checksum mismatch)", path, errs.As(err).Metadata["record"]), "", path)
		}
		revision = fileRevision(tx)
		return nil
	})
	return revision, err
}

// fileRevision is the region revision a file holds (0 when it has none).
func fileRevision(tx *bbolt.Tx) int64 {
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get(keyRevision); len(v) == 8 {
			return int64(binary.BigEndian.Uint64(v))
		}
	}
	return 0
}

// FileLock holds the lock of a region file, which proves that no famid
// serves the region while the file is replaced.
type FileLock struct {
	db       *bbolt.DB
	path     string
	revision int64
	// exact is false when the file is there but too damaged to say its
	// revision: revision is then 0, a lower bound of what it issued.
	exact bool
}

// LockFile takes the lock of the region file at path, or returns ErrLocked
// when another process (a famid serving the region) holds it. A missing
// file, or one too damaged to open (what a restore is for), has no lock to
// take: the FileLock then holds nothing and its revision is 0.
func LockFile(path string) (*FileLock, error) {
	if _, err := os.Stat(path); err != nil {
		return &FileLock{path: path, exact: true}, nil
	}
	db, err := openReadable(path)
	if errors.Is(err, ErrLocked) {
		return nil, err
	}
	if err != nil {
		return &FileLock{path: path}, nil
	}
	l := &FileLock{db: db, path: path}
	l.revision, l.exact = readRevision(db)
	return l, nil
}

// openReadable opens a possibly damaged file: a fault while bbolt reads
// a page past its end is returned as an error, never a crash.
func openReadable(path string) (db *bbolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%s cannot be read: %v", path, r)
		}
	}()
	return openDamaged(path, &bbolt.Options{Timeout: time.Second})
}

// openDamaged is open for a file that may be damaged, called under a
// recover: bbolt may panic while it opens such a file (a free page list
// past a truncated end), after it has locked it, and then returns no DB
// to close. The file it opened is unlocked and closed here before the
// panic goes on (closing alone would not release the lock: bbolt's memory
// mapping of the file, which nothing can unmap now, still holds it); the
// process held the lock until it ended, and its own next open of the file
// (famictl restore's lock after a first look, a store opened again) was
// refused as another process's.
func openDamaged(path string, opts *bbolt.Options) (*bbolt.DB, error) {
	var f *os.File
	o := *opts
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		f, err = os.OpenFile(name, flag, perm)
		return f, err
	}
	defer func() {
		if r := recover(); r != nil {
			if f != nil {
				unlock(f)
				f.Close()
			}
			panic(r)
		}
	}()
	return open(path, &o)
}

// readRevision is db's region revision; ok is false, and rev 0, when the
// file is too damaged to say: then the backup's revision is all the
// restore knows, and only as a lower bound of what the file issued.
func readRevision(db *bbolt.DB) (rev int64, ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			rev, ok = 0, false
		}
	}()
	db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil // no region data: not a region file
		}
		v := meta.Get(keyRevision)
		ok = v == nil || len(v) == 8 // none yet, or a revision
		rev = fileRevision(tx)
		return nil
	})
	return rev, ok
}

// Revision is the region revision the locked file holds: the highest it
// is known to have issued (0 when the file is missing or damaged).
func (l *FileLock) Revision() int64 { return l.revision }

// Exact reports whether Revision is the highest revision the file issued:
// false when the file is there but too damaged to say, and Revision (0)
// is only a lower bound.
func (l *FileLock) Exact() bool { return l.exact }

// Close releases the lock.
func (l *FileLock) Close() error {
	if l.db == nil {
		return nil
	}
	return l.db.Close()
}

// Restore installs the region file from (a backup CheckFile accepted) as
// the locked region file. The copy is synced and renamed over it, so the
// locked file is either the old one or the whole new one. With revision >
// 0 the region continues from revision, older positions compacted (see
// BumpRevision). With 0 it keeps the backup's revisions, which is refused,
// the file left as it was, when the locked file had issued revisions past
// the backup's: they would be given out again to other writes, unseen by
// a regional system that had seen them (an empty backup, at revision 0,
// would start the region again from revision 1), and when the locked file
// is too damaged to say which revisions it issued (see Exact).
func (l *FileLock) Restore(from string, revision int64) error {
	target := l.path
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	tmp := restoreCopy(target)
	if err := copyFile(from, tmp); err != nil {
		return err
	}
	var err error
	if revision > 0 {
		err = BumpRevision(tmp, revision)
	} else {
		err = l.keepRevisions(tmp)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore %s: %w", target, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(target)) // the restored file's name outlives a crash
}

// restoreCopy is the path of the copy of a backup that Restore installs
// as the region file at target. A restore killed before its end leaves
// it: the next restore of the region writes it again from its start, and
// famid's next start removes it (removeRestoreCopy).
func restoreCopy(target string) string { return target + ".restore" }

// removeRestoreCopy removes the copy a restore of region killed before
// its end left in dataDir: a whole region's data, which nothing else
// would remove. famid calls it once it holds the region file's lock, which
// a restore holds while it writes the copy (when the file is there).
func removeRestoreCopy(dataDir, region string) error {
	if err := os.Remove(restoreCopy(RegionFile(dataDir, region))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// keepRevisions checks that the backup at path may keep its revisions:
// the locked file issued none past them.
func (l *FileLock) keepRevisions(path string) error {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	backup, _ := readRevision(db) // CheckFile has read it
	if err := db.Close(); err != nil {
		return err
	}
	if !l.exact {
		return fmt.Errorf("it is too damaged to say which revisions it issued, maybe past the backup's %d: keeping the backup's revisions could give them out again; continue above them (famictl restore --bump-revision)", backup)
	}
	if l.revision > backup {
		return fmt.Errorf("it has issued revision %d, past the backup's %d: keeping the backup's revisions would give them out again; continue above them (famictl restore --bump-revision)", l.revision, backup)
	}
	return nil
}

// copyFile copies from to a new file to, synced.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
