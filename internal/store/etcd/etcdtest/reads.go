package etcdtest

import (
	"context"
	"slices"
	"sync/atomic"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// CountReads has cli count the reads it sends to the cluster into reads,
// from now on: each Range request, and each transaction that only reads
// (a region snapshot's fenced first read, a system transaction's
// prefetch), one round trip each. A test compares the count of one call
// with its records' number, as storetest's counters compare the records
// read.
func CountReads(cli *clientv3.Client, reads *atomic.Int64) {
	CountReadBytes(cli, reads, new(atomic.Int64))
}

// CountReadBytes is CountReads that also counts into bytes the size of
// the values the reads bring back: what a read fetched that its caller
// did not need shows there, when the round trips are as many.
func CountReadBytes(cli *clientv3.Client, reads, bytes *atomic.Int64) {
	cli.KV = countingKV{KV: cli.KV, reads: reads, bytes: bytes}
}

type countingKV struct {
	clientv3.KV
	reads, bytes *atomic.Int64
}

func (k countingKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	k.reads.Add(1)
	resp, err := k.KV.Get(ctx, key, opts...)
	if err == nil {
		k.bytes.Add(valueBytes(resp.Kvs))
	}
	return resp, err
}

func (k countingKV) Txn(ctx context.Context) clientv3.Txn {
	return &countingTxn{Txn: k.KV.Txn(ctx), kv: k}
}

// valueBytes is the size of the values of kvs.
func valueBytes(kvs []*mvccpb.KeyValue) int64 {
	n := 0
	for _, kv := range kvs {
		n += len(kv.Value)
	}
	return int64(n)
}

type countingTxn struct {
	clientv3.Txn
	kv     countingKV
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
		t.kv.reads.Add(1)
	}
	resp, err := t.Txn.Commit()
	if err == nil {
		for _, r := range resp.Responses {
			t.kv.bytes.Add(valueBytes(r.GetResponseRange().GetKvs()))
		}
	}
	return resp, err
}
