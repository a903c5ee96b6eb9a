package bolt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/errs"
)

// openRegion opens a region's file after a quick check that it holds a
// region: an existing file that is empty, shorter than the pages its
// header counts (truncated), unreadable as bbolt, or without the region's
// buckets is refused with errs.DataLoss (reason REGION_FILE_DAMAGED), naming
// the file and the restore command. bbolt alone would start an empty region
// on a 0-byte file and fault (SIGBUS) on a truncated one.
func openRegion(dataDir, region string, timeout time.Duration) (db *bbolt.DB, err error) {
	path := filepath.Join(dataDir, "regions", region+".db")
	fi, statErr := os.Stat(path)
	if statErr != nil {
		return openDB(path, timeout, regionBuckets) // a new region
	}
	damaged := func(why string) error {
		return errs.RegionFileDamaged.With(errs.Error{
			Message: fmt.Sprintf("region %s is not served: its file %s %s; stop famid and restore it from a backup: famictl restore --data-dir %s --region %s --from <backup.db>",
				region, path, why, dataDir, region),
			Metadata: map[string]string{"region": region, "file": path},
		})
	}
	if fi.Size() == 0 {
		return nil, damaged("is empty (0 bytes)")
	}
	// Reading a page past the end of a memory-mapped file faults; within
	// this check the fault is a panic, recovered as damage.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, damaged(fmt.Sprintf("cannot be read (%v)", r))
		}
	}()
	db, err = openDB(path, timeout, nil)
	if err != nil {
		if !errors.Is(err, ErrLocked) {
			return nil, damaged(fmt.Sprintf("is not a readable database (%v)", err))
		}
		return nil, err
	}
	fresh := false
	err = db.View(func(tx *bbolt.Tx) error {
		if need := tx.Size(); need > fi.Size() {
			return damaged(fmt.Sprintf("is truncated: %d bytes where its pages need %d", fi.Size(), need))
		}
		// A file bbolt initialised but famid never finished setting up
		// (it stopped in between) holds no bucket at all: a new region.
		if k, _ := tx.Cursor().First(); k == nil {
			fresh = true
		}
		if fresh {
			return nil
		}
		for _, b := range regionBuckets {
			if tx.Bucket(b) == nil {
				return damaged(fmt.Sprintf("holds no region data (bucket %q missing)", b))
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	if fresh {
		db.Close()
		return openDB(path, timeout, regionBuckets)
	}
	return db, nil
}
