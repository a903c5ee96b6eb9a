package bolt

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/store"
)

var _ store.System = (*Store)(nil)

// SystemFile is the path of the system file in the data dir dataDir.
func SystemFile(dataDir string) string { return filepath.Join(dataDir, "system.db") }

// Every value of the system file is framed (see frame), whatever it holds:
// protobuf records, password hashes, big-endian counters. Some of these
// may begin with frameMark, so the system file cannot tell an old bare
// value from a frame by its first byte as region files do: instead it is
// framed whole on open (frameSystem), and bucketSystemMeta records that
// it was. From then on a value that is not a valid frame is damage.
var (
	// bucketSystemMeta holds the system file's format; its name cannot
	// be mistaken for one of the callers' buckets.
	bucketSystemMeta = []byte("\x00meta")
	keyFormat        = []byte("format")
	formatFramed     = []byte("framed-crc32c")
)

// frameSystem frames every value of a system file written before system
// values were framed, and records that it did, in one transaction: a start
// interrupted half-way leaves the file as it was, and the next one frames
// it. A file already framed is only read.
func frameSystem(db *bbolt.DB) error {
	framed := false
	if err := db.View(func(tx *bbolt.Tx) error {
		if m := tx.Bucket(bucketSystemMeta); m != nil {
			framed = bytes.Equal(m.Get(keyFormat), formatFramed)
		}
		return nil
	}); err != nil || framed {
		return err
	}
	return db.Update(func(tx *bbolt.Tx) error {
		err := tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			if bytes.Equal(name, bucketSystemMeta) {
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
		if err != nil {
			return err
		}
		m, err := tx.CreateBucketIfNotExists(bucketSystemMeta)
		if err != nil {
			return err
		}
		return m.Put(keyFormat, formatFramed)
	})
}

// SystemView implements store.System.
func (s *Store) SystemView(ctx context.Context, fn func(store.SystemTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.system.View(func(tx *bbolt.Tx) error { return fn(systemTx{tx}) })
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
		return nil, store.ErrCorrupt(fmt.Sprintf("%s/%s in system.db", bucket, k))
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
