// Package etcd implements store.Store and store.System on an etcd v3
// cluster, so that several famid processes serve the same data and no
// acknowledged write is lost when a member dies.
//
// Layout: every key lives under Options.Prefix; each region owns one key
// range, "{prefix}regions/{region}/", holding
//
//	meta/revision        the region's revision (8 bytes, big-endian); every
//	                     commit of the region writes it, so its etcd
//	                     ModRevision is the region's commit guard
//	meta/compacted       the revision the change log is compacted to
//	res/{collection}/{id} resources, deterministic protobuf, framed
//	chg/{revision}       the change log (8-byte big-endian revision), framed
//	req/{principal}\0{id} request records (store.EncodeRequest)
//	reqt/{unix ns}{key}  request records by age, for pruning
//	idx/{index}\0{key}   secondary indexes
//	typ/{name}           the protobuf type of each resource
//
// A collection's range res/{collection}/ also holds its resources'
// children (res/projects/p1/monitoringReports/...), which a listing skips:
// a listing of a collection seen with children reads its range keys only
// and then fetches its resources' values (tx.List), so that listing
// projects brings back no report.
//
// Framed values carry a CRC-32C checked on every read (store.Frame, ADR
// 12): etcd's own corruption checks refuse writes only, and find damage
// only when the members' hashes are compared.
//
// The system records live under "{prefix}system/{bucket}\0{key}", as they
// are (ADR 12 says why they are not framed),
// guarded by "{prefix}system-guard". "{prefix}imports/{region}" marks a
// region whose import has not finished (see RestoreRegion), and
// "{prefix}issued/{region}" the highest revision a region had issued when
// it was last restored or replaced, first written, or opened by a famid,
// kept when its keys are deleted, so that the region is then neither read
// nor written until restored (region.firstRead). "{prefix}formats/system" and "{prefix}formats/regions/{region}"
// record the data format of the system records and of each region (ADR 22;
// see marker). All three lie outside the regions' ranges, so that a region
// marked at open is still empty for an import.
//
// Writes are optimistic transactions: a mutation reads at one etcd
// revision, buffers its writes, and commits them with the change-log entry
// and the new region revision in ONE etcd transaction that succeeds only
// if the region's guard key has not moved since the read. Another
// process's commit in between makes the transaction fail and the batch
// run again on fresh data (Update's fn may run more than once), so
// revisions stay gapless and without duplicates across processes.
//
// Limits: etcd refuses a transaction with more operations than its
// --max-txn-ops (default 128) or a request larger than
// --max-request-bytes (default 1.5 MiB). Mutations queued together are
// batched into one transaction only up to Options.MaxTxnOps and
// MaxTxnBytes (set them to the cluster's values); a single mutation that
// exceeds them on its own fails with an internal error and writes nothing.
// A create costs 3 operations (resource, change, type), plus 2 with a
// request id, plus 1 per index entry; every transaction adds the guard.
package etcd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// Options configure Open.
type Options struct {
	// Client is the etcd client; the caller closes it after the store.
	Client *clientv3.Client
	// Prefix is prepended to every key, so that several installations
	// can share a cluster. Defaults to DefaultPrefix.
	Prefix string
	// Regions are the region ids served.
	Regions []string
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
	// RequestRetention is how long a request_id is remembered. Defaults to
	// DefaultRequestRetention.
	RequestRetention time.Duration
	// MaxTxnOps bounds the operations of one etcd transaction: the
	// cluster's --max-txn-ops. Defaults to 128, etcd's default.
	MaxTxnOps int
	// MaxTxnBytes bounds the size of one etcd transaction: a little less
	// than the cluster's --max-request-bytes. Defaults to 1 MiB (etcd's
	// default limit is 1.5 MiB).
	MaxTxnBytes int
	// RequestTimeout bounds each etcd round trip of a write batch, which
	// runs on behalf of several callers. Defaults to 10 seconds.
	RequestTimeout time.Duration
}

// Defaults of Options.
const (
	DefaultPrefix           = "/raccordo/"
	DefaultRequestRetention = 24 * time.Hour
	DefaultMaxTxnOps        = 128
	DefaultMaxTxnBytes      = 1 << 20
	DefaultRequestTimeout   = 10 * time.Second
)

// pruneBatch bounds the expired request records one commit removes.
const pruneBatch = 32

// Store is a store.Store and store.System over etcd.
type Store struct {
	opts    Options
	kv      clientv3.KV
	regions map[string]*region
	// system is the system records' format marker.
	system *marker
	// nested holds the collections ("projects", "monitoringReports": a
	// collection's last segment) whose listing met a resource's child,
	// so that their next listings fetch no child's value (tx.List).
	nested sync.Map
	// ctx ends when the store closes; it stops the watches and writers.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeOnce sync.Once
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.System = (*Store)(nil)
)

// Open starts serving opts.Regions from the cluster behind opts.Client:
// one writer and one watch per region, and one watch of the format
// markers. The import markers are not watched: every read and commit
// checks its region's at its own revision (region.snapshot).
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Client == nil {
		return nil, errors.New("etcd store: no client")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RequestRetention <= 0 {
		opts.RequestRetention = DefaultRequestRetention
	}
	if opts.MaxTxnOps <= 0 {
		opts.MaxTxnOps = DefaultMaxTxnOps
	}
	if opts.MaxTxnBytes <= 0 {
		opts.MaxTxnBytes = DefaultMaxTxnBytes
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	s := &Store{opts: opts, kv: opts.Client.KV, regions: make(map[string]*region, len(opts.Regions))}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// Its Done channel is made here, by the goroutine that will close the
	// store, rather than by whichever caller first waits on it (a
	// SystemChanged run in a test's synctest bubble, whose channels no
	// goroutine outside may close).
	s.ctx.Done()
	// One read fixes the revision the watches start after: every commit
	// after it signals Changed.
	resp, err := s.kv.Get(ctx, opts.Prefix+"system-guard")
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("etcd store: reach the cluster: %w", err)
	}
	s.system = s.newMarker("system", fmt.Sprintf("the system records in etcd (keys %ssystem/", opts.Prefix), "")
	if err := s.system.open(ctx, s.kv); err != nil {
		s.cancel()
		return nil, err
	}
	for _, r := range opts.Regions {
		// A region of a format this famid does not know starts unserved,
		// and nothing more of it is read or written.
		reg := newRegion(s, r)
		if err := reg.format.open(ctx, s.kv); errs.As(err) == nil && err != nil {
			s.cancel()
			return nil, err
		}
		if reg.format.err() == nil {
			if err := reg.open(ctx); err != nil {
				s.cancel()
				return nil, err
			}
		}
		s.regions[r] = reg
	}
	for _, reg := range s.regions {
		s.wg.Add(2)
		go func() { defer s.wg.Done(); reg.loop() }()
		go func() { defer s.wg.Done(); reg.watch(resp.Header.Revision) }()
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.watchFormats(resp.Header.Revision) }()
	return s, nil
}

// Damaged returns the regions not served because their data is in a
// format this famid does not know (DATA_FORMAT_UNKNOWN), their import
// into etcd had not finished when the store opened (UNAVAILABLE /
// REGION_IMPORTING) or their keys had been deleted by other means
// (DATA_LOSS / REGION_KEYS_DELETED), each with its error, which names the
// command to run. The server asks it once, at start, to log them; an
// import started or ended since, or keys deleted since, is answered by
// the reads and commits themselves.
func (s *Store) Damaged() map[string]error {
	unserved := map[string]error{}
	for name, r := range s.regions {
		if err := r.format.err(); err != nil {
			unserved[name] = err
		} else if r.unserved != nil {
			unserved[name] = r.unserved
		}
	}
	return unserved
}

// Unserved returns the regions this famid does not serve now, each with
// the error a read of it answers: its data in a format this famid does
// not know (DATA_FORMAT_UNKNOWN), its import under way or cut short
// (REGION_IMPORTING), or its keys deleted by other means
// (REGION_KEYS_DELETED). Unlike Damaged it reads the fences again, one
// round trip per region (a read's first, firstRead), so that it follows
// the imports and deletions made since the store opened, by any famid or
// by hand. The reads run concurrently, unservedReads at a time: a scrape
// of the 21 regions waited for 21 round trips in turn. The error is the
// cluster's, when it does not answer.
func (s *Store) Unserved(ctx context.Context) (map[string]error, error) {
	var (
		mu       sync.Mutex
		unserved = map[string]error{}
		failed   error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, unservedReads)
	)
	for name, r := range s.regions {
		if err := r.format.err(); err != nil {
			mu.Lock()
			unserved[name] = err
			mu.Unlock()
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			_, err := r.firstRead(ctx, r.base+keyRevision, clientv3.WithCountOnly())
			if err == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if errs.As(err) == nil {
				failed = err
			} else {
				unserved[name] = err
			}
		})
	}
	wg.Wait()
	if failed != nil {
		return nil, failed
	}
	return unserved, nil
}

// unservedReads bounds the fence reads Unserved has in flight: enough
// for a scrape of every region in about three round trips, few enough
// not to crowd the writers' commits on the client's connection.
const unservedReads = 8

// Close stops the writers (a batch in progress finishes) and the watches.
// The client stays open.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		for _, r := range s.regions {
			close(r.stop)
			r.end()
		}
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

// Ping reads one key of the store's prefix with a linearizable read, which
// the cluster answers only with a quorum and a leader: whether the store
// can serve reads and writes now. Readiness probes ask it.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.kv.Get(ctx, s.opts.Prefix, clientv3.WithPrefix(), clientv3.WithCountOnly(), clientv3.WithLimit(1))
	return err
}

func (s *Store) region(name string) (*region, error) {
	r, ok := s.regions[name]
	if !ok {
		return nil, errs.NotFoundf("region %q not found", name)
	}
	if r.stopped() {
		return nil, store.Closed() // the client may still answer: the store does not
	}
	if err := r.format.err(); err != nil {
		return nil, err
	}
	// An import is not checked here but by every read of the region, at
	// its revision (region.snapshot): the watched flag would lag both ways.
	return r, nil
}

// View implements store.Store.
func (s *Store) View(ctx context.Context, region string, fn func(store.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := s.region(region)
	if err != nil {
		return err
	}
	snap := r.snapshot(ctx)
	t := r.newTx(newOverlay(snap), time.Time{}, store.Mutation{})
	err = fn(t)
	snap.settle()
	if snap.err != nil {
		return snap.failure()
	}
	return err
}

// Update implements store.Store. The mutation queues on the region's
// writer, which commits it with whatever else is queued.
func (s *Store) Update(ctx context.Context, region string, m store.Mutation, fn func(store.WriteTx) (proto.Message, error)) (proto.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := s.region(region)
	if err != nil {
		return nil, err
	}
	return r.do(ctx, &mutation{m: m, fn: fn})
}

// Changed implements store.Store: the channel closes at the region's next
// commit made by any process, as reported by an etcd watch (and at once
// for this process's own commits).
func (s *Store) Changed(region string) <-chan struct{} {
	r, ok := s.regions[region]
	if !ok {
		return nil
	}
	return r.changed()
}

// unavailable is the answer to a failed etcd round trip: the caller's own
// context error as is; Unavailable when the cluster did not answer (no
// quorum, no leader, a member gone, a timeout: a retry with the same
// request_id is safe); any other failure is internal.
func unavailable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	code := status.Code(err)
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		code = ee.Code()
	}
	if code == codes.Unavailable || code == codes.DeadlineExceeded || code == codes.Canceled ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Unavailable.New("the etcd cluster did not answer (%v); retry with the same request_id", err)
	}
	return fmt.Errorf("store: %w", err)
}

func revBytes(rev int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(rev)) }

func revOf(v []byte) int64 {
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}
