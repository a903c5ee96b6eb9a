package storetest

import (
	"context"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/store"
)

// ReadCounter is a store whose region transactions, reads (View) and
// writes (Update) alike, count what they read: a resource got, checked or
// listed, an index key got or scanned. A test compares the counts of one
// call in a small region and in a large one, to show what the call reads
// does not grow with what it does not need.
type ReadCounter struct {
	store.Store
	reads, records atomic.Int64
}

// View counts the reads of fn's transaction.
func (c *ReadCounter) View(ctx context.Context, region string, fn func(store.ReadTx) error) error {
	return c.Store.View(ctx, region, func(tx store.ReadTx) error {
		return fn(countedRead{tx, c})
	})
}

// Update counts the reads of fn's transaction.
func (c *ReadCounter) Update(ctx context.Context, region string, m store.Mutation, fn func(store.WriteTx) (proto.Message, error)) (proto.Message, error) {
	return c.Store.Update(ctx, region, m, func(tx store.WriteTx) (proto.Message, error) {
		return fn(countedWrite{tx, countedRead{tx, c}})
	})
}

// Since returns the reads counted since its last call.
func (c *ReadCounter) Since() int64 { return c.reads.Swap(0) }

// RecordsSince returns, of the reads, the resources got or listed (the
// records a call decodes, as opposed to index keys and existence checks)
// since its last call.
func (c *ReadCounter) RecordsSince() int64 { return c.records.Swap(0) }

// countedRead counts tx's reads into c.
type countedRead struct {
	store.ReadTx
	c *ReadCounter
}

func (t countedRead) Get(name string, into store.Resource) error {
	t.c.reads.Add(1)
	t.c.records.Add(1)
	return t.ReadTx.Get(name, into)
}

func (t countedRead) Exists(name string) (bool, error) {
	t.c.reads.Add(1)
	return t.ReadTx.Exists(name)
}

func (t countedRead) List(collection, after string, fn func(string, []byte) (bool, error)) error {
	return t.ReadTx.List(collection, after, func(id string, raw []byte) (bool, error) {
		t.c.reads.Add(1)
		t.c.records.Add(1)
		return fn(id, raw)
	})
}

func (t countedRead) IndexGet(index, key string) (string, bool) {
	t.c.reads.Add(1)
	return t.ReadTx.IndexGet(index, key)
}

func (t countedRead) IndexScan(index, prefix string, fn func(key, value string) bool) {
	t.ReadTx.IndexScan(index, prefix, func(k, v string) bool {
		t.c.reads.Add(1)
		return fn(k, v)
	})
}

func (t countedRead) IndexScanAfter(index, prefix, after string, fn func(key, value string) bool) {
	t.ReadTx.IndexScanAfter(index, prefix, after, func(k, v string) bool {
		t.c.reads.Add(1)
		return fn(k, v)
	})
}

func (t countedRead) IndexScanBefore(index, prefix, before string, fn func(key, value string) bool) {
	t.ReadTx.IndexScanBefore(index, prefix, before, func(k, v string) bool {
		t.c.reads.Add(1)
		return fn(k, v)
	})
}

// countedWrite is a write transaction whose reads countedRead counts.
type countedWrite struct {
	store.WriteTx
	read countedRead
}

func (t countedWrite) Get(name string, into store.Resource) error { return t.read.Get(name, into) }
func (t countedWrite) Exists(name string) (bool, error)           { return t.read.Exists(name) }
func (t countedWrite) IndexGet(index, key string) (string, bool)  { return t.read.IndexGet(index, key) }

func (t countedWrite) List(collection, after string, fn func(string, []byte) (bool, error)) error {
	return t.read.List(collection, after, fn)
}

func (t countedWrite) IndexScan(index, prefix string, fn func(key, value string) bool) {
	t.read.IndexScan(index, prefix, fn)
}

func (t countedWrite) IndexScanAfter(index, prefix, after string, fn func(key, value string) bool) {
	t.read.IndexScanAfter(index, prefix, after, fn)
}

func (t countedWrite) IndexScanBefore(index, prefix, before string, fn func(key, value string) bool) {
	t.read.IndexScanBefore(index, prefix, before, fn)
}

// SystemReadCounter is a system store whose transactions, reads
// (SystemView) and writes (SystemUpdate) alike, count what they read: a
// value got or scanned. A test compares the counts of one call with few
// records stored and with many, as ReadCounter's do for a region.
type SystemReadCounter struct {
	store.System
	reads atomic.Int64
}

// SystemView counts the reads of fn's transaction.
func (c *SystemReadCounter) SystemView(ctx context.Context, fn func(store.SystemTx) error) error {
	return c.System.SystemView(ctx, func(tx store.SystemTx) error { return fn(countedSystem{tx, &c.reads}) })
}

// SystemUpdate counts the reads of fn's transaction.
func (c *SystemReadCounter) SystemUpdate(ctx context.Context, fn func(store.SystemTx) error) error {
	return c.System.SystemUpdate(ctx, func(tx store.SystemTx) error { return fn(countedSystem{tx, &c.reads}) })
}

// Since returns the reads counted since its last call.
func (c *SystemReadCounter) Since() int64 { return c.reads.Swap(0) }

// countedSystem counts tx's reads into reads.
type countedSystem struct {
	store.SystemTx
	reads *atomic.Int64
}

func (t countedSystem) Get(bucket, key string) ([]byte, error) {
	t.reads.Add(1)
	return t.SystemTx.Get(bucket, key)
}

// Prefetch passes the prefetch on (store.Prefetch): what it fetches is
// counted as the Gets that then read it are.
func (t countedSystem) Prefetch(keys []store.SystemKey) error {
	return store.Prefetch(t.SystemTx, keys)
}

func (t countedSystem) Scan(bucket, prefix, after string, fn func(string, []byte, error) bool) {
	t.SystemTx.Scan(bucket, prefix, after, func(k string, v []byte, err error) bool {
		t.reads.Add(1)
		return fn(k, v, err)
	})
}
