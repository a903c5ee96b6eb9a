package servertest

import (
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
)

// EtcdConfig is a server configuration on the etcd cluster at endpoints,
// under prefix. Its store may take up to openWait to open, not famid's 5
// seconds: on a loaded 2-core CI machine a new cluster (three members
// electing a leader) answered the opening reads later than that, and the
// test's set-up failed with "context deadline exceeded". No test asserts
// how fast a store opens.
func EtcdConfig(endpoints []string, prefix string) server.Config {
	return server.Config{Store: server.StoreEtcd, Etcd: server.EtcdConfig{
		ClientConfig: etcd.ClientConfig{Endpoints: endpoints, DialTimeout: openWait}, Prefix: prefix}}
}

// openWait bounds the opening of a test server's etcd store.
const openWait = 30 * time.Second

// CutImport imports five partners into region under prefix, two records a
// transaction, and cuts the import short after the fifth: some of its
// transactions committed, as a cluster lost in the middle of `famictl
// restore` leaves them. A famid started then finds the region being
// imported.
func CutImport(t testing.TB, client *clientv3.Client, prefix, region string) {
	t.Helper()
	importer, err := etcd.Open(t.Context(), etcd.Options{Client: client, Prefix: prefix, Regions: []string{region}, MaxTxnOps: 2})
	if err != nil {
		t.Fatal(err)
	}
	cut := errors.New("cluster lost")
	err = importer.ImportRegion(t.Context(), region, func(put func(store.Record) error) error {
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			if err := put(store.Record{Table: store.TableResources, Key: []byte("partners/" + id), Value: []byte{}}); err != nil {
				return err
			}
		}
		return cut
	})
	importer.Close()
	if !errors.Is(err, cut) {
		t.Fatalf("import: %v, want it cut", err)
	}
}
