package server_test

import (
	"bytes"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
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
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var log syncbuf.Buffer
			ts := startServer(t, server.Config{Logger: textLog(&log, slog.LevelWarn)})
			ctx := t.Context()
			for _, r := range unreachableRegions {
				admin := newSurfaceFor(t, ts, kind, regionAdminSpec(r))
				mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: "regions/" + r, PartnerId: "udp", Partner: &famiv1.Partner{
					DisplayName: "Ufficio di Piano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}))(t, "partner")
			}
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
}
