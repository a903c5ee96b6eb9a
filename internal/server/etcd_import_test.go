package server_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// TestEtcdHalfImportedRegion: an import into etcd cut short after some of
// its transactions committed leaves Lombardia unserved by a famid started
// then: its calls answer UNAVAILABLE / REGION_IMPORTING (503) on every
// surface and the log names the region and the command to run again;
// Veneto is served. The old famid served the half-imported region as
// revision 0.
func TestEtcdHalfImportedRegion(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	servertest.CutImport(t, c.Client(t), "/half/", "lombardia")
	var log syncbuf.Buffer
	cfg := servertest.EtcdConfig(c.Endpoints(), "/half/")
	cfg.Logger = textLog(&log, slog.LevelWarn)
	ts := startServer(t, cfg)
	if s := log.String(); !strings.Contains(s, "region not served") || !strings.Contains(s, "region lombardia") || !strings.Contains(s, "famictl restore") {
		t.Errorf("the start-up log does not name the region and the command:\n%s", s)
	}
	ministry := ts.mintToken(ministrySpec)
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurfaceAs(t, ts, kind, ministry)
			_, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: lombardia})
			checkErr(t, "list a half-imported region", err, wantErr{codes.Unavailable, "REGION_IMPORTING", nil})
			if _, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: "regions/veneto"}); err != nil {
				t.Errorf("list veneto: %v", err)
			}
			// The national view answers without the region being imported
			// and names it (AIP-217), as it does a damaged one.
			all, err := s.ListPartners(t.Context(), &famiv1.ListPartnersRequest{Parent: "regions/-"})
			if err != nil {
				t.Fatalf("national list during an import: %v", err)
			}
			if got := all.GetUnreachable(); !slices.Equal(got, []string{lombardia}) {
				t.Errorf("national list during an import: unreachable %q, want [%s]", got, lombardia)
			}
			if s := log.String(); !strings.Contains(s, `level=WARN msg="region unreachable"`) || !strings.Contains(s, "unreachable=[regions/lombardia]") {
				t.Errorf("the national list's log does not warn of the region being imported:\n%s", s)
			}
		})
	}
}

// TestEtcdEmptiedRegion: a region whose keys were deleted by hand (etcdctl
// del --prefix) while famid ran had its writes refused, but its reads
// answered as an empty region: no partners, revision 0. Now every call on
// it answers DATA_LOSS / REGION_KEYS_DELETED (500) on every surface, naming
// the region and the restore to run; Veneto is served; the national view
// names Lombardia unreachable; and a famid started then logs it as not
// served.
func TestEtcdEmptiedRegion(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	ts := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/emptied/"))
	ctx := t.Context()
	p, err := newSurface(t, ts, "grpc").CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-milano", Partner: &famiv1.Partner{
		DisplayName: "Ufficio di Piano di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client(t).Delete(ctx, "/emptied/regions/lombardia/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	cfg := servertest.EtcdConfig(c.Endpoints(), "/emptied/")
	cfg.Logger = textLog(&log, slog.LevelWarn)
	startServer(t, cfg)
	if s := log.String(); !strings.Contains(s, "region not served") || !strings.Contains(s, "region lombardia") || !strings.Contains(s, "famictl restore") {
		t.Errorf("the start-up log does not name the emptied region and the command:\n%s", s)
	}

	want := wantErr{codes.DataLoss, "REGION_KEYS_DELETED", nil}
	named := func(step string, err error) {
		t.Helper()
		checkErr(t, step, err, want)
		if e, ok := asCallError(err); ok && (!strings.Contains(e.Message, "region lombardia") || !strings.Contains(e.Message, "famictl restore")) {
			t.Errorf("%s: message %q names neither the region nor the restore", step, e.Message)
		}
	}
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurfaceFor(t, ts, kind, ministrySpec)
			_, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
			named("list the emptied region", err)
			_, err = s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: p.GetName()})
			named("get a partner of the emptied region", err)
			if _, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/veneto"}); err != nil {
				t.Errorf("list veneto: %v", err)
			}
			all, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: "regions/-"})
			if err != nil {
				t.Fatalf("national list: %v", err)
			}
			if got := all.GetUnreachable(); !slices.Equal(got, []string{lombardia}) {
				t.Errorf("national list: unreachable %q, want [%s]", got, lombardia)
			}
		})
	}
}
