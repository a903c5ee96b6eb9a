package server_test

import (
	"bytes"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestRegionOfNewerFormat: a region file left by a newer famid, in a data
// format this one does not know (a downgrade), is not served, as a damaged
// region file is not (ADR 12), on every surface: the region alone answers
// UNAVAILABLE / DATA_FORMAT_UNKNOWN naming its file and what to do, the
// ministry's national view answers the other regions and names it in
// unreachable, the start logs it, and the file is left byte for byte as
// the newer famid wrote it.
func TestRegionOfNewerFormat(t *testing.T) {
	t.Parallel()
	onEachSurfaceLogged(t, func(t *testing.T, ts *testServer, kind string, log *syncbuf.Buffer) {
		ctx := t.Context()
		fillRegions(t, ts, kind)
		ts.Stop()
		file := bolt.RegionFile(ts.DataDir, "lombardia")
		bolttest.SetFormat(t, file, []byte("2"))
		before, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}

		ts = ts.restart()
		if !strings.Contains(log.String(), "region not served") || !strings.Contains(log.String(), file) {
			t.Errorf("the start did not log the region it does not serve:\n%s", log.String())
		}
		admin := newSurfaceFor(t, ts, kind, regionAdminSpec("lombardia"))
		_, err = admin.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/lombardia"})
		checkErr(t, "the region of a newer format", err, wantErr{code: codes.Unavailable, reason: "DATA_FORMAT_UNKNOWN"})
		if e, ok := asCallError(err); ok && (!strings.Contains(e.Message, file) || !strings.Contains(e.Message, `format "2"`) || !strings.Contains(e.Message, "upgrade famid")) {
			t.Errorf("message %q does not name the file, the format and what to do", e.Message)
		}
		_, err = admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: "new", Partner: &famiv1.Partner{
			DisplayName: "Nuovo", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}})
		checkErr(t, "a write to the region of a newer format", err, wantErr{code: codes.Unavailable, reason: "DATA_FORMAT_UNKNOWN"})

		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		partners := mustOK(ministry.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/-"}))(t, "national partners")
		if got, want := partnerNames(partners.GetPartners()), []string{"regions/toscana/partners/udp", "regions/veneto/partners/udp"}; !slices.Equal(got, want) {
			t.Errorf("national partners: got %v, want %v", got, want)
		}
		wantUnreachable(t, "national partners", partners.GetUnreachable(), "regions/lombardia")

		ts.Stop()
		if after, err := os.ReadFile(file); err != nil || !bytes.Equal(after, before) {
			t.Errorf("famid changed the region file of a newer format (%v)", err)
		}
	})
}

// TestEtcdRegionOfNewerFormat: on etcd, a region whose format marker names
// a format this famid does not know (a newer famid on the same cluster
// raised it) is not served, on every surface: UNAVAILABLE /
// DATA_FORMAT_UNKNOWN naming its etcd prefix, the start logs it, the
// other regions are served, and neither the region's keys nor its marker
// are touched.
func TestEtcdRegionOfNewerFormat(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	const marker = "/newer/formats/regions/lombardia"
	if _, err := cli.Put(t.Context(), marker, "2"); err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	cfg := servertest.EtcdConfig(c.Endpoints(), "/newer/")
	cfg.Logger = textLog(&log, slog.LevelWarn)
	ts := startServer(t, cfg)
	if s := log.String(); !strings.Contains(s, "region not served") || !strings.Contains(s, "etcd prefix /newer/regions/lombardia/") {
		t.Errorf("the start-up log does not name the region's prefix:\n%s", s)
	}
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurfaceFor(t, ts, kind, regionAdminSpec("lombardia"))
			_, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia})
			checkErr(t, "list the region of a newer format", err, wantErr{code: codes.Unavailable, reason: "DATA_FORMAT_UNKNOWN"})
			_, err = s.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-" + kind, Partner: &famiv1.Partner{
				DisplayName: "Ufficio di Piano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}})
			checkErr(t, "write to the region of a newer format", err, wantErr{code: codes.Unavailable, reason: "DATA_FORMAT_UNKNOWN"})
			if _, err := newSurfaceFor(t, ts, kind, regionAdminSpec("veneto")).ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: "regions/veneto"}); err != nil {
				t.Errorf("list veneto: %v", err)
			}
		})
	}
	ts.Stop()
	keys, err := cli.Get(t.Context(), "/newer/regions/lombardia/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || keys.Count != 0 {
		t.Errorf("the region of a newer format was written: %d keys (%v)", keys.Count, err)
	}
	if got, err := cli.Get(t.Context(), marker); err != nil || len(got.Kvs) != 1 || string(got.Kvs[0].Value) != "2" || got.Kvs[0].Version != 1 {
		t.Errorf("the marker of a newer format was touched: %v (%v)", got.Kvs, err)
	}
}
