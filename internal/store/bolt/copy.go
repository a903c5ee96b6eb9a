package bolt

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// ReadRegionFile calls fn for every record of the region file at path (a
// backup, or the file of a region no famid serves), in table and key
// order, and returns the region revision it holds. A file in a format
// this famid does not know is refused (store.CheckFormat): its records
// would be misread. The format marker is the file's, not a record of the
// region: the store the records go to records its own.
//
// A record's Key and Value (and the bytes they alias) are valid only
// during fn: they point into the file's read-only memory mapping, which
// is unmapped when ReadRegionFile returns, so reading them later faults
// (a fatal error, which no recover catches). fn copies what it keeps
// (bytes.Clone), as etcd's RestoreRegion does with the meta records.
func ReadRegionFile(path string, fn func(store.Record) error) (int64, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var revision int64
	err = db.View(func(btx *bbolt.Tx) error {
		if err := checkFormat(path, btx); err != nil {
			return err
		}
		meta := btx.Bucket(bucketMeta)
		if meta == nil {
			return errors.New("no region data in the file")
		}
		revision = newTx(btx, "", time.Time{}, store.Mutation{}).Revision()
		for _, b := range regionBuckets {
			err := btx.Bucket(b).ForEach(func(k, v []byte) error {
				if v != nil {
					if store.Framed(string(b)) {
						var ok bool
						if v, ok = store.Unframe(v); !ok {
							return store.ErrCorrupt(errs.Sprintf("%s record %q", b, k))
						}
					}
					return fn(store.Record{Table: string(b), Key: k, Value: v})
				}
				// A nested bucket: one index.
				return btx.Bucket(b).Bucket(k).ForEach(func(ik, iv []byte) error {
					return fn(store.Record{Table: string(b), Index: string(k), Key: ik, Value: iv})
				})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return revision, err
}

// WriteRegionFile creates a region file at path holding the records that
// records passes to put, in this famid's format (marked as such). The file
// is synced before it returns.
func WriteRegionFile(path string, records func(put func(store.Record) error) error) error {
	db, err := openDB(path, time.Second, regionBuckets)
	if err != nil {
		return err
	}
	err = db.Update(func(btx *bbolt.Tx) error {
		return records(func(r store.Record) error {
			b := btx.Bucket([]byte(r.Table))
			if b == nil {
				return fmt.Errorf("region record of unknown table %q", r.Table)
			}
			if r.Table == store.TableIndexes {
				var err error
				if b, err = b.CreateBucketIfNotExists([]byte(r.Index)); err != nil {
					return err
				}
			}
			v := r.Value
			if store.Framed(r.Table) {
				v = store.Frame(v)
			}
			return b.Put(r.Key, v)
		})
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
