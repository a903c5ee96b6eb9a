package server

import (
	"context"
	"encoding/binary"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/waittest"
)

// keyShares is a store that counts the signing keys' shares (shareKeys,
// a system update that reads them) and notes how many were made when
// the revocation entry watched is first read.
type keyShares struct {
	backend
	watched string
	shares  atomic.Int64
	atRead  atomic.Int64 // shares+1 when watched is first read; 0 before
}

func (k *keyShares) SystemUpdate(ctx context.Context, fn func(store.SystemTx) error) error {
	return k.backend.SystemUpdate(ctx, func(tx store.SystemTx) error { return fn(keyShareTx{tx, k}) })
}

func (k *keyShares) SystemView(ctx context.Context, fn func(store.SystemTx) error) error {
	return k.backend.SystemView(ctx, func(tx store.SystemTx) error { return fn(keyShareTx{tx, k}) })
}

type keyShareTx struct {
	store.SystemTx
	k *keyShares
}

func (t keyShareTx) Scan(bucket, prefix, after string, fn func(string, []byte, error) bool) {
	if bucket == bucketSigningKeys {
		t.k.shares.Add(1)
	}
	t.SystemTx.Scan(bucket, prefix, after, fn)
}

func (t keyShareTx) Get(bucket, key string) ([]byte, error) {
	if bucket == "revoked_jti" && key == t.k.watched {
		t.k.atRead.CompareAndSwap(0, t.k.shares.Load()+1)
	}
	return t.SystemTx.Get(bucket, key)
}

// TestStartSharesTheKeysOnce: on etcd, a famid's start shares its signing
// keys with the store once after the accounts open, not also at the first
// notice, which opens them: counted when the next notice is followed,
// the start had shared them twice (besides the download before the keys
// are loaded, which is not here).
func TestStartSharesTheKeysOnce(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	st, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Prefix: "/shares/", Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	counted := &keyShares{backend: etcdBackend{Store: st}, watched: "after-the-start"}
	dir := t.TempDir()
	s := &Server{cfg: Config{DataDir: dir}, log: slog.New(slog.DiscardHandler), store: counted}
	keys, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.keys = keys
	// An earlier start shared the keys and opened the accounts, as at every
	// start but a cluster's first: this start then writes nothing (no key,
	// no migration mark, no generation record), so no notice of its own
	// writes comes before the one watched to share the keys again. Under
	// load such notices came apart from the first, now and then, and were
	// counted as the start's shares.
	if _, err := shareKeys(t.Context(), etcdBackend{Store: st}, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.New(t.Context(), etcdBackend{Store: st}, etcdBackend{Store: st}, keys, accounts.Options{}); err != nil {
		t.Fatal(err)
	}
	open := func() (*accounts.Service, error) {
		return accounts.New(t.Context(), counted, counted, keys, accounts.Options{})
	}
	acc, err := s.followShared(t.Context(), st, open)
	if err != nil {
		t.Fatal(err)
	}
	defer s.stopFollow()

	// A change after the start: once it is followed, the first notice's
	// work is done, and the shares made then are the start's.
	err = st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		return tx.Put("revoked_jti", counted.watched, binary.BigEndian.AppendUint64(nil, uint64(time.Now().Add(time.Hour).Unix())))
	})
	if err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, "the revocation written after the start to be followed", func() bool {
		return acc.Revocations().Revoked(counted.watched, "system:x", "lombardia", 0)
	})
	if shared := counted.atRead.Load() - 1; shared != 1 {
		t.Errorf("the start shared the signing keys %d times, want once", shared)
	}
}
