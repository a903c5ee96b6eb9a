package server_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/waittest"
)

var clusterRounds = flag.Int("etcd-cluster-rounds", 2, "rounds of TestEtcdCluster (the issue asks for 20 in a row by hand)")

// TestEtcdCluster: two famid (server.Server instances in this process, each
// with its own data dir and etcd client) on a three-member etcd cluster,
// 32 writers and four watchers split over them. The leader member is
// killed in the middle, then another member is restarted (the cluster has
// no quorum until it is back), then the killed one comes back. Every
// acknowledged write is present, the change log is gapless without
// duplicates, and every watcher received every revision in order.
func TestEtcdCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-member etcd cluster")
	}
	for round := range *clusterRounds {
		t.Run(fmt.Sprintf("round-%d", round+1), clusterRound)
	}
}

func clusterRound(t *testing.T) {
	const (
		writers = 32
		phase   = time.Second
	)
	// The members run without fsync: a member is killed by closing it in
	// this process, so what it wrote reaches the kernel either way; the
	// test is about replication and retries, not power loss.
	c := etcdtest.Start(t, etcdtest.Options{Members: 3, NoFsync: true})
	cfg := servertest.EtcdConfig(c.Endpoints(), "/cluster/")
	cfg.BookmarkInterval = 50 * time.Millisecond
	a := startServer(t, cfg)
	b := startServer(t, cfg)
	servers := []*testServer{a, b}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var watchers []*feedWatcher
	var wwg sync.WaitGroup
	for i := range 4 {
		w := &feedWatcher{kind: "grpc"}
		watchers = append(watchers, w)
		live := &liveServer{ts: servers[i%2]}
		wwg.Add(1)
		go func() { defer wwg.Done(); w.run(ctx, t, live, nil) }()
	}

	stop := make(chan struct{})
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for w := range writers {
		ts := servers[w%2]
		s := newSurfaceAs(t, ts, "grpc", a.token)
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%02d-%04d", w, i)
				if createRetrying(ctx, s, id) {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		})
	}

	time.Sleep(phase)
	leader := c.Leader()
	if leader < 0 {
		t.Fatal("no leader")
	}
	c.Kill(leader)
	t.Logf("killed the leader, member %d", leader)
	time.Sleep(phase)
	other := (leader + 1) % 3
	c.Kill(other)
	c.Restart(other)
	t.Logf("restarted member %d", other)
	time.Sleep(phase)
	close(stop)
	wg.Wait()
	c.Restart(leader)

	// Read the outcome straight from the cluster.
	st, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Prefix: "/cluster/", Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int64
	names := map[string]int{}
	err = st.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		n = tx.Revision()
		want := int64(1)
		return tx.Changes(0, func(ch *famiv1.Change) bool {
			if ch.GetRevision() != want {
				t.Errorf("change log: got revision %d, want %d", ch.GetRevision(), want)
			}
			want = ch.GetRevision() + 1
			names[ch.GetResourceName()]++
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(names)) != n {
		t.Errorf("change log: %d distinct resources in %d changes, want one change per create", len(names), n)
	}
	for _, id := range acked {
		if names["regions/lombardia/partners/"+id] != 1 {
			t.Errorf("acknowledged create of %s: %d changes, want 1", id, names["regions/lombardia/partners/"+id])
		}
	}
	t.Logf("%d acknowledged creates, revision %d", len(acked), n)
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged")
	}

	for i, w := range watchers {
		// The outcome is checked below, whether or not it came.
		_ = waittest.Eventually(t, fmt.Sprintf("watcher %d to reach revision %d", i, n), func() error {
			if got := w.seen(); got < n {
				return fmt.Errorf("at revision %d", got)
			}
			return nil
		})
	}
	cancel()
	wwg.Wait()
	for i, w := range watchers {
		if got := w.revs; !slices.Equal(got, seqRevs(n)) {
			t.Errorf("watcher %d: got %d changes (last %d), want revisions 1..%d in order", i, len(got), w.seen(), n)
		}
	}
}

// createRetrying creates partner id, retrying with the same request_id
// while the cluster is unavailable; it reports whether the create was
// acknowledged.
func createRetrying(ctx context.Context, s surface, id string) bool {
	for attempt := 0; attempt < 100 && ctx.Err() == nil; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.CreatePartner(cctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id, RequestId: "create-" + id,
			Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}})
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func seqRevs(n int64) []int64 {
	out := make([]int64, 0, n)
	for i := int64(1); i <= n; i++ {
		out = append(out, i)
	}
	return out
}
