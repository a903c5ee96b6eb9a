package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/waittest"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/sdktest"
)

// TestCrashSafetyAcrossRestore is the crash test with a restore in the
// middle, on each store famid runs on: a region is backed up, written
// further (creates, updates, deletes) while mirrors follow it, killed,
// restored from the backup as famictl restore does (revisions bumped,
// older positions compacted), and written again. The mirrors had seen
// revisions the backup does not hold; they must notice, list again, and
// end with exactly the server's state. Before, the restored region
// reissued the same revisions to other writes, and a mirror that had
// reached them never saw those writes.
func TestCrashSafetyAcrossRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs real server processes")
	}
	t.Run("bbolt", func(t *testing.T) { crashAcrossRestore(t, boltRegions{}) })
	t.Run("etcd", func(t *testing.T) {
		crashAcrossRestore(t, etcdRegions{etcdtest.Start(t, etcdtest.Options{NoFsync: true})})
	})
}

func crashAcrossRestore(t *testing.T, regions regionStore) {
	dir := t.TempDir()
	famid := follower{flags: regions.flags()}
	child := famid.start(t, dir)
	token := mintAdminToken(t, dir)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
	client := famiv1.NewPartnerServiceClient(famid.dialGRPC(t))
	write := func(prefix string, n int) {
		t.Helper()
		for i := range n {
			_, err := client.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: fmt.Sprintf("%s-%d", prefix, i),
				Partner: &famiv1.Partner{DisplayName: prefix, Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}})
			if err != nil {
				t.Fatalf("create %s-%d: %v", prefix, i, err)
			}
		}
	}
	remove := func(prefix string, n int) {
		t.Helper()
		for i := range n {
			if _, err := client.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: fmt.Sprintf("regions/lombardia/partners/%s-%d", prefix, i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("before-backup", 40)

	// An offline backup: the region as it is at this revision.
	child.stop(t)
	restore := regions.backup(t, dir)
	child = famid.start(t, dir)

	// Mirrors follow the region from now on.
	mctx, stopMirrors := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	mirrors := make([]*sdktest.Memory, 3)
	for i := range mirrors {
		mirrors[i] = &sdktest.Memory{}
		m := &sdk.Mirror{
			Client:  sdk.NewClient(famid.httpClient(), "http://famid", token),
			Region:  "lombardia",
			Listers: nil, Handler: mirrors[i],
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		}
		m.Listers = sdk.RegistryListers(m.Client)
		wg.Add(1)
		go func() { defer wg.Done(); m.Run(mctx) }()
	}
	defer func() { stopMirrors(); wg.Wait() }()

	// Writes the backup will not hold; the mirrors see them.
	write("after-backup", 30)
	remove("before-backup", 10)
	converge(t, "before the restore", client, ctx, mirrors)
	_, resetsBefore, revBefore := mirrors[0].State()

	// Crash, then restore the backup as famictl restore does.
	child.kill(t)
	restore(t, revBefore+1_000_000)
	child = famid.start(t, dir)
	defer child.stop(t)

	// Writes after the restore, some reusing ids the mirrors hold.
	write("after-restore", 20)
	remove("before-backup", 5)
	converge(t, "after the restore", client, ctx, mirrors)
	for i, m := range mirrors {
		if _, resets, rev := m.State(); resets <= resetsBefore || rev <= revBefore+1_000_000 {
			t.Errorf("mirror %d: %d lists (before the restore %d), at revision %d: want a new list above %d", i, resets, resetsBefore, rev, revBefore+1_000_000)
		}
	}
}

// regionStore is where the crash test's famid keeps its regions.
type regionStore interface {
	// flags are famid's flags for the store, besides its data dir.
	flags() []string
	// backup takes an offline backup of lombardia from famid's data dir
	// (no famid running) and returns its restore as famictl restore does
	// it (no famid running either): the region replaced by the backup, its
	// revisions continuing from next, every older position compacted.
	backup(t *testing.T, dir string) (restore func(t *testing.T, next int64))
}

// boltRegions keeps the regions in bbolt files in the data dir.
type boltRegions struct{}

func (boltRegions) flags() []string { return nil }

// backup copies the region's file; its restore writes it back and bumps
// its revision.
func (boltRegions) backup(t *testing.T, dir string) func(*testing.T, int64) {
	t.Helper()
	target := filepath.Join(dir, "regions", "lombardia.db")
	backup, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T, next int64) {
		t.Helper()
		if err := os.WriteFile(target, backup, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := bolt.BumpRevision(target, next); err != nil {
			t.Fatal(err)
		}
	}
}

// etcdRegions keeps the regions on a real etcd member.
type etcdRegions struct{ cluster *etcdtest.Cluster }

const crashPrefix = "/crash/"

func (e etcdRegions) flags() []string {
	return []string{"--store", "etcd", "--etcd-endpoints", strings.Join(e.cluster.Endpoints(), ","), "--etcd-prefix", crashPrefix}
}

// backup exports the region into a region file at one etcd revision, as
// famid's BackupRegion does; its restore replaces the region with the
// file's records, as famictl restore --etcd-endpoints --replace does.
func (e etcdRegions) backup(t *testing.T, _ string) func(*testing.T, int64) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "lombardia.db")
	s := e.open(t)
	err := bolt.WriteRegionFile(file, func(put func(store.Record) error) error {
		_, err := s.ExportRegion(t.Context(), "lombardia", put)
		return err
	})
	s.Close()
	if err != nil {
		t.Fatalf("export lombardia from etcd: %v", err)
	}
	return func(t *testing.T, next int64) {
		t.Helper()
		s := e.open(t)
		defer s.Close()
		err := s.RestoreRegion(t.Context(), "lombardia", func(put func(store.Record) error) error {
			_, err := bolt.ReadRegionFile(file, put)
			return err
		}, etcd.RestoreOptions{Replace: true, Continue: func(issued int64, exact bool) (int64, error) {
			if !exact || next <= issued {
				return 0, fmt.Errorf("the test continues from %d, the region issued %d (exact: %v)", next, issued, exact)
			}
			return next, nil
		}})
		if err != nil {
			t.Fatalf("restore lombardia into etcd: %v", err)
		}
	}
}

func (e etcdRegions) open(t *testing.T) *etcd.Store {
	t.Helper()
	s, err := etcd.Open(t.Context(), etcd.Options{Client: e.cluster.Client(t), Prefix: crashPrefix, Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// follower is the famid of the moment: clients made once reach whichever
// famid it last started, each on new ephemeral ports, as they would follow
// a service name to a restarted instance. A restart cannot keep its ports
// without a race: another process may bind them while famid is down.
type follower struct {
	flags   []string // famid's, besides its data dir
	current atomic.Pointer[child]
}

// start starts famid on dir and makes it the one the clients reach.
func (f *follower) start(t *testing.T, dir string) *child {
	t.Helper()
	c := startChild(t, dir, f.flags...)
	f.current.Store(c)
	return c
}

// dialGRPC is a gRPC client connection that dials the current famid's
// gRPC port at each (re)connection.
func (f *follower) dialGRPC(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///famid", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", f.current.Load().grpcAddr)
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// httpClient is an HTTP client whose connections, whatever the URL's
// host, go to the current famid's HTTP port.
func (f *follower) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the URL's host is a name no proxy must resolve
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, f.current.Load().httpAddr)
	}
	return &http.Client{Transport: tr}
}

// converge waits until every mirror holds exactly the server's partners
// and has recorded the region's revision: a mirror records the revision
// after it has put the changes up to it, so its partners can match the
// server's a moment before its revision does.
func converge(t *testing.T, when string, client famiv1.PartnerServiceClient, ctx context.Context, mirrors []*sdktest.Memory) {
	t.Helper()
	want := listAll(t, ctx, client)
	head, err := client.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 1})
	if err != nil {
		t.Fatalf("%s: the region's revision: %v", when, err)
	}
	for i, m := range mirrors {
		if err := waittest.Eventually(t, fmt.Sprintf("%s: mirror %d to converge", when, i), func() error {
			got, _, rev := m.State()
			same := len(got) == len(want) && rev >= head.GetRevision()
			for name, p := range want {
				if !same {
					break
				}
				same = proto.Equal(got[name], p)
			}
			if !same {
				return fmt.Errorf("mirror %d holds %d partners at revision %d, the server %d at revision %d, or their states differ", i, len(got), rev, len(want), head.GetRevision())
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
}
