package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/sdktest"
)

// liveServer is the server the watchers talk to; it changes on restart.
type liveServer struct {
	mu sync.Mutex
	ts *testServer
}

func (l *liveServer) get() *testServer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ts
}

// feedWatcher follows lombardia's feed on one surface, reconnecting from
// the last revision it saw whenever the stream breaks, and records every
// change's revision.
type feedWatcher struct {
	kind string
	mu   sync.Mutex
	revs []int64
	last int64
	// disconnects counts the streams that broke under it.
	disconnects int
}

func (w *feedWatcher) seen() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

func (w *feedWatcher) run(ctx context.Context, t *testing.T, live *liveServer, kick <-chan struct{}) {
	for ctx.Err() == nil {
		ts := live.get()
		streamCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-kick: // a forced disconnect
			case <-streamCtx.Done():
			}
			cancel()
		}()
		err := w.watchOnce(streamCtx, t, ts)
		cancel()
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		w.disconnects++
		if w.disconnects <= 3 {
			t.Logf("%s watcher disconnected: %v", w.kind, err)
		}
		w.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *feedWatcher) watchOnce(ctx context.Context, t *testing.T, ts *testServer) error {
	req := &famiv1.WatchRequest{Parent: "regions/lombardia", SinceRevision: w.seen()}
	record := func(res *famiv1.WatchResponse) {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, ch := range res.GetChanges() {
			w.revs = append(w.revs, ch.GetRevision())
			w.last = ch.GetRevision()
		}
		w.last = max(w.last, res.GetRevision())
	}
	switch w.kind {
	case "grpc":
		conn := dialGRPC(t, ts, ts.token)
		defer conn.Close()
		stream, err := famiv1.NewSyncServiceClient(conn).Watch(ctx, req)
		if err != nil {
			return err
		}
		for {
			res, err := stream.Recv()
			if err != nil {
				return err
			}
			record(res)
		}
	default:
		opts := []connect.ClientOption{connect.WithInterceptors(sdk.Bearer(ts.token))}
		if w.kind == "grpcweb" {
			opts = append(opts, connect.WithGRPCWeb())
		}
		client := sdk.NewClient(nil, ts.httpURL(), ts.token, opts...)
		stream, err := client.Sync.Watch(ctx, req)
		if err != nil {
			return err
		}
		defer stream.Close()
		for stream.Receive() {
			record(stream.Msg())
		}
		return stream.Err()
	}
}

// TestWatchEverySurface: concurrent writers (creates, updates, deletes),
// one watcher per surface (grpc-go, Connect, gRPC-Web) with forced
// disconnects and a server restart in the middle. Every watcher receives
// exactly the committed changes, in revision order, with no gap or
// duplicate; a Mirror built from the feed equals a fresh List.
func TestWatchEverySurface(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{BookmarkInterval: 50 * time.Millisecond})
	live := &liveServer{ts: ts}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var watchers []*feedWatcher
	var kicks []chan struct{}
	var wg sync.WaitGroup
	for _, kind := range []string{"grpc", "connect", "grpcweb"} {
		w := &feedWatcher{kind: kind}
		kick := make(chan struct{}, 1)
		watchers, kicks = append(watchers, w), append(kicks, kick)
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx, t, live, kick) }()
	}

	writeBurst := func(ts *testServer, phase string) {
		var writers sync.WaitGroup
		for w := range 6 {
			writers.Add(1)
			go func() {
				defer writers.Done()
				s := newSurface(t, ts, "grpc")
				for i := range 20 {
					id := fmt.Sprintf("%s-w%d-%d", phase, w, i)
					name := "regions/lombardia/partners/" + id
					if _, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: id,
						Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
						t.Error(err)
						return
					}
					switch i % 5 {
					case 1:
						if _, err := s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: name, DisplayName: id + " (renamed)", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
							t.Error(err)
						}
					case 3:
						if _, err := s.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: name}); err != nil {
							t.Error(err)
						}
					}
					if rand.IntN(15) == 0 { // a forced disconnect of one watcher
						select {
						case kicks[rand.IntN(len(kicks))] <- struct{}{}:
						default:
						}
					}
				}
			}()
		}
		writers.Wait()
	}

	writeBurst(ts, "a")
	ts = ts.restart()
	live.mu.Lock()
	live.ts = ts
	live.mu.Unlock()

	// The mirror starts on the restarted server and lives through the
	// second burst.
	mirror := &sdktest.Memory{}
	mctx, mcancel := context.WithCancel(ctx)
	mdone := make(chan error, 1)
	go func() {
		m := &sdk.Mirror{Client: sdk.NewClient(nil, ts.httpURL(), ts.token), Region: "lombardia", Handler: mirror,
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Logger: servertest.Logger(t)}
		mdone <- m.Run(mctx)
	}()
	writeBurst(ts, "b")

	admin := newSurface(t, ts, "grpc")
	final, err := admin.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	total := final.GetRevision()
	deadline := time.Now().Add(30 * time.Second)
	for _, w := range watchers {
		for w.seen() < total && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for {
		if _, _, rev := mirror.State(); rev >= total || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	mcancel()
	if err := <-mdone; err != nil {
		t.Fatalf("mirror: %v", err)
	}

	// 2 bursts x 6 writers x 20 partners, plus 4 updates and 4 deletes
	// per writer and burst.
	if want := int64(2 * 6 * (20 + 4 + 4)); total != want {
		t.Fatalf("the region's revision is %d, want %d", total, want)
	}
	for _, w := range watchers {
		if int64(len(w.revs)) != total {
			t.Errorf("%s watcher got %d changes, want %d", w.kind, len(w.revs), total)
		}
		for i, rev := range w.revs {
			if rev != int64(i)+1 {
				t.Fatalf("%s watcher: change %d has revision %d, want %d (a gap or a duplicate)", w.kind, i, rev, i+1)
			}
		}
		if w.disconnects == 0 {
			t.Errorf("%s watcher was never disconnected: the test did not exercise resumption", w.kind)
		}
		t.Logf("%s watcher: %d changes, %d reconnections", w.kind, len(w.revs), w.disconnects)
	}

	items, _, rev := mirror.State()
	if rev != total {
		t.Fatalf("mirror at revision %d, want %d", rev, total)
	}
	if len(items) != len(final.GetPartners()) {
		t.Fatalf("mirror holds %d resources, the list %d", len(items), len(final.GetPartners()))
	}
	for _, p := range final.GetPartners() {
		if got := items[p.GetName()]; !proto.Equal(got, p) {
			t.Fatalf("mirror's %s = %v, list says %v", p.GetName(), got, p)
		}
	}
}

// watchEach opens a watch with token on kind ("connect-json" is Connect
// with JSON messages) and calls each with every response until each
// returns false. It returns the error that ends the watch, nil when each
// ended it or the server closed it cleanly.
func watchEach(ctx context.Context, t *testing.T, ts *testServer, kind, token string, req *famiv1.WatchRequest, each func(*famiv1.WatchResponse) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	switch kind {
	case "grpc":
		stream, err := famiv1.NewSyncServiceClient(dialGRPC(t, ts, token)).Watch(ctx, req)
		if err != nil {
			return grpcErr(err)
		}
		for {
			res, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return grpcErr(err)
			}
			if !each(res) {
				return nil
			}
		}
	case "connect", "connect-json", "grpcweb":
		opts := []connect.ClientOption{connect.WithInterceptors(sdk.Bearer(token))}
		switch kind {
		case "grpcweb":
			opts = append(opts, connect.WithGRPCWeb())
		case "connect-json":
			opts = append(opts, connect.WithProtoJSON())
		}
		stream, err := sdk.NewClient(newHTTPClient(t), ts.httpURL(), token, opts...).Sync.Watch(ctx, req)
		if err != nil {
			return connectErr(err)
		}
		defer stream.Close()
		for stream.Receive() {
			if !each(stream.Msg()) {
				return nil
			}
		}
		return connectErr(stream.Err())
	default:
		res, err := restFeed{s: newRESTSurface(t, ts, token)}.get(ctx, "/v1/"+req.GetParent()+"/changes:watch", restQuery(req, "parent"))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		r := bufio.NewReader(res.Body)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				msg, err := watchLine(res, line)
				if err != nil {
					return err
				}
				if !each(msg) {
					return nil
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
}

// TestWatchersShareOnlyIdenticalResponses runs, on every surface at once,
// a watch of every change and a watch of networks only while partners and
// networks are written. The live watchers at the same revision with the
// same filter share one response, encoded once, which gRPC's and
// Connect's binary codecs write as it is and the JSON surfaces encode
// from the message: each watch must still receive exactly the changes for
// it, in order, whatever its surface and filter.
func TestWatchersShareOnlyIdenticalResponses(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{BookmarkInterval: 50 * time.Millisecond, MaxStreamsPerPrincipal: 16})
	ctx := t.Context()
	s := newSurface(t, ts, "grpc")
	if _, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-0",
		Partner: &famiv1.Partner{DisplayName: "UdP", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}); err != nil {
		t.Fatal(err)
	}
	type watch struct {
		kind  string
		types []string
		mu    sync.Mutex
		got   []*famiv1.Change
		last  int64
	}
	var (
		watches []*watch
		opened  sync.WaitGroup
		done    sync.WaitGroup
	)
	// until is the revision every watch reads up to, set once written.
	var until atomic.Int64
	until.Store(math.MaxInt64)
	for _, kind := range append(watchSurfaces, "connect-json") {
		for _, types := range [][]string{nil, {"fami.v1.Network"}} {
			w := &watch{kind: kind, types: types}
			watches = append(watches, w)
			opened.Add(1)
			first := sync.OnceFunc(opened.Done)
			done.Go(func() {
				err := watchEach(ctx, t, ts, kind, ts.token, &famiv1.WatchRequest{Parent: lombardia, ResourceTypes: types}, func(res *famiv1.WatchResponse) bool {
					first()
					w.mu.Lock()
					defer w.mu.Unlock()
					w.got = append(w.got, res.GetChanges()...)
					w.last = res.GetRevision()
					return w.last < until.Load()
				})
				if err != nil {
					first()
					t.Errorf("%s watch of %v: %v", kind, types, err)
				}
			})
		}
	}
	opened.Wait()
	for i := range 6 {
		id := fmt.Sprintf("p-%d", i)
		if _, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: fmt.Sprintf("rete-%d", i), Network: &famiv1.Network{
			DisplayName: id, LeadPartner: partnerName("udp-0"),
			Members: []*famiv1.Member{{Partner: partnerName("udp-0"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := famiv1.NewSyncServiceClient(dialGRPC(t, ts, ts.token)).ListChanges(ctx, &famiv1.ListChangesRequest{Parent: lombardia, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	until.Store(all.GetRevision())
	done.Wait()

	for _, w := range watches {
		var want, got []string
		for _, ch := range all.GetChanges() {
			if w.types == nil || ch.GetResourceType() == w.types[0] {
				want = append(want, fmt.Sprint(ch.GetRevision(), " ", ch.GetResourceName()))
			}
		}
		for _, ch := range w.got {
			got = append(got, fmt.Sprint(ch.GetRevision(), " ", ch.GetResourceName()))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s watch of %v received\n%v\nwant\n%v", w.kind, w.types, got, want)
		}
		if w.last != all.GetRevision() {
			t.Errorf("%s watch of %v ended at revision %d, want %d", w.kind, w.types, w.last, all.GetRevision())
		}
	}
}
