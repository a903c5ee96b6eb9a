package etcd_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestSystemPrefetch: a system transaction's Prefetch reads the keys it
// names in one round trip per MaxTxnOps keys, and its Gets of them then
// answer from memory, the absent ones and those stored empty included, at
// the revision of the prefetch: a write made after it, even of a key not
// prefetched, is not seen, as in any snapshot.
func TestSystemPrefetch(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	opts := etcd.Options{Prefix: "/prefetch/", Regions: regions, MaxTxnOps: 16}
	writer := open(t, opts, c.Client(t))
	cli := c.Client(t)
	var reads atomic.Int64
	etcdtest.CountReads(cli, &reads)
	reader := open(t, opts, cli)

	const stored, absent = 40, 5
	put(t, writer, func(tx store.SystemTx) error { return tx.Put("b", "empty", nil) })
	keys := []store.SystemKey{{Bucket: "b", Key: "empty"}}
	for i := range stored + absent {
		k := store.SystemKey{Bucket: "b", Key: fmt.Sprintf("k%02d", i)}
		keys = append(keys, k)
		if i < stored {
			put(t, writer, func(tx store.SystemTx) error { return tx.Put(k.Bucket, k.Key, []byte(k.Key)) })
		}
	}

	err := reader.SystemView(t.Context(), func(tx store.SystemTx) error {
		reads.Store(0)
		if err := store.Prefetch(tx, keys); err != nil {
			return err
		}
		if got, want := reads.Load(), int64((len(keys)+15)/16); got != want {
			t.Errorf("Prefetch of %d keys, 16 a transaction: %d round trips, want %d", len(keys), got, want)
		}
		put(t, writer, func(tx store.SystemTx) error {
			return errors.Join(tx.Put("b", "k00", []byte("changed")), tx.Put("b", "later", []byte("x")))
		})
		for i, k := range keys[1:] {
			v, err := tx.Get(k.Bucket, k.Key)
			switch {
			case err != nil:
				return err
			case i < stored && !bytes.Equal(v, []byte(k.Key)):
				t.Errorf("Get(%s) after Prefetch = %q, want %q", k.Key, v, k.Key)
			case i >= stored && v != nil:
				t.Errorf("Get(%s), absent, after Prefetch = %q, want nil", k.Key, v)
			}
		}
		if v, err := tx.Get("b", "empty"); err != nil || v == nil || len(v) != 0 {
			t.Errorf("Get of a value stored empty after Prefetch = %q, %v; want empty, not nil", v, err)
		}
		if got := reads.Load(); got != int64((len(keys)+15)/16) {
			t.Errorf("the Gets of the keys prefetched made %d more round trips, want none", got-int64((len(keys)+15)/16))
		}
		if v, err := tx.Get("b", "later"); err != nil || v != nil {
			t.Errorf("Get of a key written after the Prefetch = %q, %v; want nil: the snapshot is the prefetch's", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, s *etcd.Store, fn func(store.SystemTx) error) {
	t.Helper()
	if err := s.SystemUpdate(t.Context(), fn); err != nil {
		t.Fatal(err)
	}
}
