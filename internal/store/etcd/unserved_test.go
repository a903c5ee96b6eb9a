package etcd_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/territory"
)

// TestUnservedReadsRegionsTogether: Unserved, which the region gauge
// calls at every scrape, reads the regions' fences concurrently, and
// still names exactly the regions not served among all 21. It read them
// one after another, 21 round trips per scrape: the first read, held
// until a second is in flight, then waited for the scrape's deadline.
func TestUnservedReadsRegionsTogether(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	const prefix = "/unserved/"
	cut := []string{"lombardia", "sicilia", "veneto"}
	for _, r := range cut {
		servertest.CutImport(t, c.Client(t), prefix, r)
	}
	var all []string
	for _, r := range territory.Regions() {
		all = append(all, r.ID)
	}
	cli := c.Client(t)
	kv := &pairingKV{KV: cli.KV, paired: make(chan struct{})}
	cli.KV = kv
	s := open(t, etcd.Options{Prefix: prefix, Regions: all}, cli)

	kv.armed.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // ends only a failing run
	defer cancel()
	unserved, err := s.Unserved(ctx)
	if err != nil {
		t.Fatalf("Unserved: %v (the fence reads ran one at a time)", err)
	}
	if len(unserved) != len(cut) {
		t.Errorf("unserved %v, want exactly %v", unserved, cut)
	}
	for _, r := range cut {
		if unserved[r] == nil {
			t.Errorf("%s, its import cut short, is not named unserved: %v", r, unserved)
		}
	}
}

// pairingKV holds each transaction's commit, while armed, until a second
// one is in flight: reads made one at a time never commit.
type pairingKV struct {
	clientv3.KV
	armed    atomic.Bool
	inFlight atomic.Int64
	once     sync.Once
	paired   chan struct{}
}

func (k *pairingKV) Txn(ctx context.Context) clientv3.Txn {
	return &pairingTxn{Txn: k.KV.Txn(ctx), kv: k, ctx: ctx}
}

type pairingTxn struct {
	clientv3.Txn
	kv  *pairingKV
	ctx context.Context
}

func (t *pairingTxn) If(cs ...clientv3.Cmp) clientv3.Txn   { t.Txn = t.Txn.If(cs...); return t }
func (t *pairingTxn) Then(ops ...clientv3.Op) clientv3.Txn { t.Txn = t.Txn.Then(ops...); return t }
func (t *pairingTxn) Else(ops ...clientv3.Op) clientv3.Txn { t.Txn = t.Txn.Else(ops...); return t }

func (t *pairingTxn) Commit() (*clientv3.TxnResponse, error) {
	if t.kv.armed.Load() {
		if t.kv.inFlight.Add(1) >= 2 {
			t.kv.once.Do(func() { close(t.kv.paired) })
		}
		defer t.kv.inFlight.Add(-1)
		select {
		case <-t.kv.paired:
		case <-t.ctx.Done():
			return nil, t.ctx.Err()
		}
	}
	return t.Txn.Commit()
}
