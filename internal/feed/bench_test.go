package feed_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/feed"
	"github.com/raccordo/raccordo/internal/sharedmsg"
	"github.com/raccordo/raccordo/internal/store"
)

// fill commits n partner creations to lombardia, 64 writers at once.
func fill(b *testing.B, s store.Store, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if err := createPartner(s, i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// createPartner commits the creation of lombardia's partner number i.
func createPartner(s store.Store, i int64) error {
	_, err := s.Update(context.Background(), "lombardia", store.Mutation{Principal: "bench"}, func(tx store.WriteTx) (proto.Message, error) {
		p := &famiv1.Partner{Name: fmt.Sprintf("regions/lombardia/partners/p%07d", i), DisplayName: "Partner", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}
		return p, tx.Put(p)
	})
	return err
}

// funcStream is a watch stream whose Send is a function.
type funcStream struct {
	famiv1.SyncService_WatchServer
	ctx  context.Context
	send func(*famiv1.WatchResponse) error
}

func (f funcStream) Context() context.Context { return f.ctx }
func (f funcStream) SendMsg(m any) error {
	return f.send(sharedmsg.Unwrap(m).(*famiv1.WatchResponse))
}

// BenchmarkCatchUp replays a log of 100,000 changes to one watcher, from
// revision 0 to the end: the catch-up of a regional system that was away.
func BenchmarkCatchUp(b *testing.B) {
	const changes = 100_000
	s := openStore(b)
	fill(b, s, changes)
	svc := feed.New(s, feed.Options{BookmarkInterval: time.Hour})
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		got := 0
		err := svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia"}, funcStream{ctx: ctx, send: func(res *famiv1.WatchResponse) error {
			got += len(res.GetChanges())
			if got >= changes {
				cancel()
			}
			return nil
		}})
		cancel()
		if err != nil || got != changes {
			b.Fatalf("replayed %d changes (%v), want %d", got, err, changes)
		}
	}
	b.ReportMetric(float64(changes*b.N)/b.Elapsed().Seconds(), "changes/s")
}

// BenchmarkFanOut commits one write at a time while 1,000 watchers follow
// the region, one of them stalled (its Send never returns): it reports the
// delivery latency from commit to each watcher's Send, p50 and p99.
func BenchmarkFanOut(b *testing.B) {
	const watchers = 1000
	s := openStore(b)
	svc := feed.New(s, feed.Options{BookmarkInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu        sync.Mutex
		latencies []time.Duration
		committed sync.Map // revision -> commit time
		delivered = make(chan struct{}, watchers*4)
	)
	var wg sync.WaitGroup
	stalled := make(chan struct{})
	wg.Add(1)
	go func() { // the stalled watcher
		defer wg.Done()
		svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia"}, funcStream{ctx: ctx, send: func(*famiv1.WatchResponse) error {
			<-stalled
			return nil
		}})
	}()
	for range watchers - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc.Watch(&famiv1.WatchRequest{Parent: "regions/lombardia"}, funcStream{ctx: ctx, send: func(res *famiv1.WatchResponse) error {
				now := time.Now()
				for _, ch := range res.GetChanges() {
					if t, ok := committed.Load(ch.GetRevision()); ok {
						mu.Lock()
						latencies = append(latencies, now.Sub(t.(time.Time)))
						mu.Unlock()
					}
					delivered <- struct{}{}
				}
				return nil
			}})
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the watchers start waiting
	b.ResetTimer()
	for i := range b.N {
		rev := int64(i + 1)
		start := time.Now()
		committed.Store(rev, start)
		if err := createPartner(s, rev); err != nil {
			b.Fatal(err)
		}
		for range watchers - 1 {
			<-delivered
		}
	}
	b.StopTimer()
	close(stalled)
	cancel()
	wg.Wait()
	slices.Sort(latencies)
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
	}
}
