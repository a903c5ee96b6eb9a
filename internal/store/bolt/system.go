package bolt

import (
	"bytes"
	"context"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/store"
)

var _ store.System = (*Store)(nil)

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

func (t systemTx) Get(bucket, key string) []byte {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	if v := b.Get([]byte(key)); v != nil {
		return append([]byte(nil), v...)
	}
	return nil
}

func (t systemTx) Put(bucket, key string, value []byte) error {
	b, err := t.tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	return b.Put([]byte(key), value)
}

func (t systemTx) Delete(bucket, key string) error {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}

func (t systemTx) Scan(bucket, prefix, after string, fn func(string, []byte) bool) {
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
		if !fn(string(k), append([]byte(nil), v...)) {
			return
		}
	}
}
