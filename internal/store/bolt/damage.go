package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/atomicfile"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// openRegion opens a region's file after a quick check that it holds a
// region: an existing file that is empty, shorter than the pages its
// header counts (truncated), unreadable as bbolt, without the region's
// buckets, or holding another region's data (ofRegion) is refused with errs.DataLoss (reason REGION_FILE_DAMAGED), naming
// the file and the restore command. bbolt alone would start an empty region
// on a 0-byte file and fault (SIGBUS) on a truncated one.
func openRegion(dataDir, region string, timeout time.Duration) (*bbolt.DB, error) {
	path := RegionFile(dataDir, region)
	if _, err := os.Stat(path); err != nil {
		return openDB(path, timeout, regionBuckets) // a new region
	}
	db, err := openChecked(path, &bbolt.Options{Timeout: timeout, FreelistType: bbolt.FreelistMapType}, regionBuckets)
	var d damage
	switch {
	case err == errNotSetUp:
		// A file bbolt initialised but famid never finished setting up
		// (it stopped in between): a new region.
		return openDB(path, timeout, regionBuckets)
	case err == nil:
		if err = db.View(func(tx *bbolt.Tx) error { return ofRegion(tx, region) }); err == nil {
			err = markFormat(db) // a file from before the format marker
		}
		if err != nil {
			db.Close()
		}
	}
	if errs.As(err) != nil {
		return nil, store.RegionNotServed(region, err) // a format it does not know
	}
	if errors.As(err, &d) {
		return nil, damagedErr(errs.Sprintf("region %s is not served: its file %s %s; stop famid and restore it from a backup: famictl restore --data-dir %s --region %s --from <backup.db>",
			region, path, d, dataDir, region), region, path)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

// ofRegion checks that the data of a region file is region's. The file
// keeps no region id of its own: its resource names carry it. bucketTypes
// holds the name of every live resource, in order, so when its first and
// last names are region's every name between them is; the newest change
// names the region when every resource has been deleted. Another region's
// file, restored or copied under region's name, would otherwise be served
// as region's data: to region's own readers, and a second time in the
// national view.
func ofRegion(tx *bbolt.Tx, region string) error {
	types := tx.Bucket(bucketTypes).Cursor()
	first, _ := types.First()
	last, _ := types.Last()
	names := [][]byte{first, last}
	if _, v := tx.Bucket(bucketChanges).Cursor().Last(); v != nil {
		// A damaged change is the checksums' to report, when it is read.
		ch := &famiv1.Change{}
		if p, ok := store.Unframe(v); ok && proto.Unmarshal(p, ch) == nil {
			names = append(names, []byte(ch.GetResourceName()))
		}
	}
	own := []byte("regions/" + region)
	for _, name := range names {
		rest, ok := bytes.CutPrefix(name, own)
		if len(name) > 0 && (!ok || len(rest) > 0 && rest[0] != '/') {
			return damage(errs.Sprintf("holds another region's data (%s), not %s's: a backup restored or copied under the wrong region", name, region))
		}
	}
	return nil
}

// openSystem opens the system file (accounts, service tokens, revocations)
// after the region files' quick check. Its loss is not one region's: a
// system file that is empty, truncated or unreadable stops the start with
// an error naming the file and how to put it back (a start error, never a
// client's answer), where bbolt alone would start with no account on a
// 0-byte file and fault (SIGBUS) on a truncated one. Only a missing file
// is a first start, and createSystem never leaves an empty one, so an
// empty file is always damage.
func openSystem(dataDir string, timeout time.Duration) (*bbolt.DB, error) {
	path := SystemFile(dataDir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := createSystem(path, timeout); err != nil {
			return nil, err
		}
	}
	// No bucket is required: a system file with no record yet is whole.
	db, err := openChecked(path, &bbolt.Options{Timeout: timeout, FreelistType: bbolt.FreelistMapType}, nil)
	if d := damage(""); errors.As(err, &d) {
		return nil, fmt.Errorf("the system file %s %s; famid does not start without its accounts, service tokens and revocations: put back its last copy, famid stopped (cp <backup>/system.db %s), and start again (docs/operations.md, Damaged records)",
			path, d, path)
	}
	return db, err
}

// createSystem creates the system file of a new data dir whole: set up
// under another name, then renamed into place, so that no start
// interrupted half-way leaves an empty system.db behind to be taken for
// a new one.
func createSystem(path string, timeout time.Duration) error {
	tmp := path + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	db, err := openDB(tmp, timeout, nil)
	if err != nil {
		return err
	}
	if err := frameSystem(db); err != nil {
		db.Close()
		return fmt.Errorf("set up %s: %w", tmp, err)
	}
	if err := db.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}

// damagedErr is the error of a region file that cannot be served or
// restored: DATA_LOSS, naming the file (and the region, when it has one).
func damagedErr(message, region, path string) error {
	md := map[string]string{"file": path}
	if region != "" {
		md["region"] = region
	}
	return errs.RegionFileDamaged.With(errs.Error{Message: message, Metadata: md})
}

// damage says what is wrong with a region file, completing "its file ...".
type damage string

func (d damage) Error() string { return string(d) }

// errNotSetUp is a file bbolt initialised with no bucket at all.
const errNotSetUp = damage("holds no region data (no bucket)")

// openChecked opens the existing bbolt file at path with opts and checks
// that it is whole (not empty, not truncated, readable), in a format this
// famid knows (store.CheckFormat) and, when buckets are given, holds them
// (a file with no bucket at all is errNotSetUp). What is wrong with the
// file is returned as a damage; a format it does not know as
// DATA_FORMAT_UNKNOWN; a lock another process holds as ErrLocked. Nothing
// is written to the file.
func openChecked(path string, opts *bbolt.Options, buckets [][]byte) (db *bbolt.DB, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() == 0 {
		return nil, damage("is empty (0 bytes)")
	}
	// Reading a page past the end of a memory-mapped file faults; within
	// this check the fault is a panic, recovered as damage.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, damage(errs.Sprintf("cannot be read (%v)", r))
		}
	}()
	db, err = openDamaged(path, opts)
	if err != nil {
		if !errors.Is(err, ErrLocked) {
			return nil, damage(errs.Sprintf("is not a readable database (%v)", err))
		}
		return nil, err
	}
	err = db.View(func(tx *bbolt.Tx) error {
		if need := tx.Size(); need > fi.Size() {
			return damage(errs.Sprintf("is truncated: %d bytes where its pages need %d", fi.Size(), need))
		}
		// A format this famid does not know is refused before anything
		// else is read, or taken for damage, or for an old format.
		if err := checkFormat(path, tx); err != nil {
			return err
		}
		if len(buckets) == 0 {
			return nil
		}
		if k, _ := tx.Cursor().First(); k == nil {
			return errNotSetUp
		}
		for _, b := range buckets {
			if tx.Bucket(b) == nil {
				return damage(errs.Sprintf("holds no region data (bucket %q missing)", b))
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
