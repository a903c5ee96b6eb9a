package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/store"
)

// Compact implements store.Store. Changes are deleted in the region's
// writer like any mutation, so compaction never races a commit.
func (s *Store) Compact(ctx context.Context, region string, revision int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	w, err := s.writer(region)
	if err != nil {
		return 0, err
	}
	var removed int64
	err = w.do(func(b *batchTx) error {
		removed = 0
		btx := b.btx
		t := newWriteTx(b, region, s.now(), store.Mutation{})
		if drop, err := store.CheckCompact(revision, t.Revision(), t.Compacted()); !drop {
			return err
		}
		c := btx.Bucket(bucketChanges).Cursor()
		end := revKey(revision)
		for k, _ := c.First(); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			removed++
		}
		return btx.Bucket(bucketMeta).Put(keyCompacted, revKey(revision))
	})
	return removed, closedErr(err)
}

// Backup writes a consistent copy of region's file to w while writers
// carry on (a bbolt read transaction sees one snapshot). It calls start
// with the revision and size of the copy before the first byte.
func (s *Store) Backup(ctx context.Context, region string, w io.Writer, start func(revision, size int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db, err := s.db(region)
	if err != nil {
		return err
	}
	return closedErr(db.View(func(btx *bbolt.Tx) error {
		if err := start(newTx(btx, region, s.now(), store.Mutation{}).Revision(), btx.Size()); err != nil {
			return err
		}
		_, err := btx.WriteTo(w)
		return err
	}))
}

// Changed implements store.Store.
func (s *Store) Changed(region string) <-chan struct{} {
	w, ok := s.writers[region]
	if !ok {
		return nil
	}
	return w.changed()
}

var _ store.Store = (*Store)(nil)

// BumpRevision prepares a region file restored from a backup (famid
// stopped) to be served again, as etcd's restore does with --bump-revision
// and --mark-compacted: the region's revision jumps to revision, which the
// caller chooses above any the region ever issued, and every older position
// is compacted. A regional system that had seen revisions the backup does
// not hold then gets REVISION_COMPACTED and lists again, instead of missing
// the writes that reuse those numbers. The backup's own changes stay in the
// file (the audit trail) but are no longer served as a feed.
func BumpRevision(path string, revision int64) error {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	err = db.Update(func(btx *bbolt.Tx) error {
		meta := btx.Bucket(bucketMeta)
		if meta == nil {
			return errors.New("no region data in the file")
		}
		if cur := newTx(btx, "", time.Time{}, store.Mutation{}).Revision(); revision < cur {
			return fmt.Errorf("revision %d is below the file's %d", revision, cur)
		}
		if err := meta.Put(keyRevision, revKey(revision)); err != nil {
			return err
		}
		return meta.Put(keyCompacted, revKey(revision))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}
