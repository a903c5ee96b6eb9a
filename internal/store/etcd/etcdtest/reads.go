package etcdtest

import (
	"context"
	"slices"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// CountReads has cli count the reads it sends to the cluster into reads,
// from now on: each Range request, and each transaction that only reads
// (a region snapshot's fenced first read, a system transaction's
// prefetch), one round trip each. A test compares the count of one call
// with its records' number, as storetest's counters compare the records
// read.
func CountReads(cli *clientv3.Client, reads *atomic.Int64) {
	cli.KV = countingKV{KV: cli.KV, reads: reads}
}

type countingKV struct {
	clientv3.KV
	reads *atomic.Int64
}

func (k countingKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	k.reads.Add(1)
	return k.KV.Get(ctx, key, opts...)
}

func (k countingKV) Txn(ctx context.Context) clientv3.Txn {
	return &countingTxn{Txn: k.KV.Txn(ctx), reads: k.reads}
}

type countingTxn struct {
	clientv3.Txn
	reads  *atomic.Int64
	writes bool
}

func (t *countingTxn) If(cs ...clientv3.Cmp) clientv3.Txn {
	t.Txn = t.Txn.If(cs...)
	return t
}

func (t *countingTxn) Then(ops ...clientv3.Op) clientv3.Txn {
	t.writes = slices.ContainsFunc(ops, func(op clientv3.Op) bool { return !op.IsGet() })
	t.Txn = t.Txn.Then(ops...)
	return t
}

func (t *countingTxn) Else(ops ...clientv3.Op) clientv3.Txn {
	t.Txn = t.Txn.Else(ops...)
	return t
}

func (t *countingTxn) Commit() (*clientv3.TxnResponse, error) {
	if !t.writes {
		t.reads.Add(1)
	}
	return t.Txn.Commit()
}
