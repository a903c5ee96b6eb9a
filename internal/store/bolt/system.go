package bolt

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

var _ store.System = (*Store)(nil)

// SystemFile is the path of the system file in the data dir dataDir.
func SystemFile(dataDir string) string { return filepath.Join(dataDir, "system.db") }

// Every value of the system file is framed (see frame), whatever it holds:
// protobuf records, password hashes, big-endian counters. Some of these
// may begin with frameMark, so the system file cannot tell an old bare
// value from a frame by its first byte as region files do: instead it is
// framed whole on open (frameSystem), and bucketFileMeta records that it
// was. From then on a value that is not a valid frame is damage.
var (
	// bucketFileMeta holds a file's format: keyFormatVersion in every
	// file, region or system (store.CheckFormat), keyFormat in the system
	// file. Its name cannot be mistaken for one of the system's callers'
	// buckets, nor for one of a region's (regionBuckets): it is the
	// file's, never exported with a region's records.
	bucketFileMeta   = []byte("\x00meta")
	keyFormatVersion = []byte(store.FormatKey)
	// keyFormat is how the famid before the format marker recorded that
	// the system file was framed; it is kept, and kept "framed-crc32c",
	// since that famid frames every value again when it finds anything
	// else.
	keyFormat    = []byte("format")
	formatFramed = []byte("framed-crc32c")
)

// frameSystem frames every value of a system file written before system
// values were framed, and records its format, in one transaction: a start
// interrupted half-way leaves the file as it was, and the next one frames
// it. A file with its format marker (which openChecked has checked) or
// framed by the famid before the marker is not framed again; the latter
// gets the marker. A file already marked is only read.
func frameSystem(db *bbolt.DB) error {
	framed, marked := false, false
	if err := db.View(func(tx *bbolt.Tx) error {
		if m := tx.Bucket(bucketFileMeta); m != nil {
			marked = m.Get(keyFormatVersion) != nil
			framed = marked || bytes.Equal(m.Get(keyFormat), formatFramed)
		}
		return nil
	}); err != nil || marked {
		return err
	}
	return db.Update(func(tx *bbolt.Tx) error {
		if !framed {
			if err := frameValues(tx); err != nil {
				return err
			}
		}
		m, err := tx.CreateBucketIfNotExists(bucketFileMeta)
		if err != nil {
			return err
		}
		if err := m.Put(keyFormat, formatFramed); err != nil {
			return err
		}
		return m.Put(keyFormatVersion, store.FormatMarker())
	})
}

// frameValues frames every value of the system file's buckets.
func frameValues(tx *bbolt.Tx) error {
	return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		if bytes.Equal(name, bucketFileMeta) {
			return nil
		}
		// Collected first: bbolt leaves a bucket changed during its
		// ForEach undefined.
		var keys, values [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if v == nil {
				return fmt.Errorf("bucket %q holds a nested bucket %q: not a system file", name, k)
			}
			keys, values = append(keys, bytes.Clone(k)), append(values, store.Frame(v))
			return nil
		})
		if err != nil {
			return err
		}
		for i, k := range keys {
			if err := b.Put(k, values[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkFormat checks the format marker of the file at path, which tx
// reads (store.CheckFormat).
func checkFormat(path string, tx *bbolt.Tx) error {
	m := tx.Bucket(bucketFileMeta)
	if m == nil {
		return nil
	}
	return store.CheckFormat(path, m.Get(keyFormatVersion))
}

// markFormat gives the file of db the format marker when it has none (a
// region file written before the marker existed), in one transaction.
// A file already marked is only read.
func markFormat(db *bbolt.DB) error {
	marked := false
	if err := db.View(func(tx *bbolt.Tx) error {
		m := tx.Bucket(bucketFileMeta)
		marked = m != nil && m.Get(keyFormatVersion) != nil
		return nil
	}); err != nil || marked {
		return err
	}
	return db.Update(putFormat)
}

// putFormat records in tx that its file is in this famid's format, unless
// it already says which format it is in (checked on open).
func putFormat(tx *bbolt.Tx) error {
	m, err := tx.CreateBucketIfNotExists(bucketFileMeta)
	if err != nil || m.Get(keyFormatVersion) != nil {
		return err
	}
	return m.Put(keyFormatVersion, store.FormatMarker())
}

// SystemView implements store.System.
func (s *Store) SystemView(ctx context.Context, fn func(store.SystemTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return closedErr(s.system.View(func(tx *bbolt.Tx) error { return fn(systemTx{tx}) }))
}

// SystemUpdate implements store.System.
func (s *Store) SystemUpdate(ctx context.Context, fn func(store.SystemTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return closedErr(s.system.Update(func(tx *bbolt.Tx) error { return fn(systemTx{tx}) }))
}

type systemTx struct{ tx *bbolt.Tx }

// systemValue checks the stored value of key in bucket and returns a copy of
// its payload (bbolt's bytes live only as long as the transaction).
func systemValue(bucket string, k, v []byte) ([]byte, error) {
	p, ok := store.OpenFrame(v)
	if !ok {
		return nil, store.ErrCorrupt(errs.Sprintf("%s/%s in system.db", bucket, k))
	}
	return append([]byte{}, p...), nil
}

func (t systemTx) Get(bucket, key string) ([]byte, error) {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil, nil
	}
	if v := b.Get([]byte(key)); v != nil {
		return systemValue(bucket, []byte(key), v)
	}
	return nil, nil
}

func (t systemTx) Put(bucket, key string, value []byte) error {
	b, err := t.tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	return b.Put([]byte(key), store.Frame(value))
}

func (t systemTx) Delete(bucket, key string) error {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}

func (t systemTx) Scan(bucket, prefix, after string, fn func(string, []byte, error) bool) {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return
	}
	p := []byte(prefix)
	start := p
	if after != "" && after > prefix {
		start = []byte(after)
	}
	c := b.Cursor()
	for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if after != "" && string(k) <= after {
			continue
		}
		v, err := systemValue(bucket, k, v)
		if !fn(string(k), v, err) {
			return
		}
	}
}

// ViewSystemFile runs fn over the system records of the data dir dataDir,
// read only, for a tool beside a famid that is stopped (famictl): a famid
// holds the file while it runs, so the open is ErrLocked within a second;
// a data dir with no system.db (a famid on etcd keeps its records there)
// is fs.ErrNotExist. A damaged file is refused as famid's start refuses
// it.
func ViewSystemFile(ctx context.Context, dataDir string, fn func(store.SystemTx) error) error {
	path := SystemFile(dataDir)
	db, err := openChecked(path, &bbolt.Options{Timeout: time.Second, ReadOnly: true}, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.View(func(tx *bbolt.Tx) error { return fn(systemTx{tx}) })
}
