package server_test

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestUpdateNamingOnlyOutputOnlyWritesNothing: an Update whose mask names
// only output-only fields (a PATCH body holding the etag) has nothing to
// change: it answers the partner as it is and writes nothing, no new etag,
// revision or change-log entry, as a mask naming only a resource's own
// output-only fields (a meeting's state) already did.
func TestUpdateNamingOnlyOutputOnlyWritesNothing(t *testing.T) {
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartner(t, ctx, s)
		revision := func() int64 {
			t.Helper()
			list, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
			if err != nil {
				t.Fatal(err)
			}
			return list.GetRevision()
		}
		cur, err := s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("udp-milano")})
		if err != nil {
			t.Fatal(err)
		}
		before := revision()
		for _, paths := range [][]string{{"etag"}, {"name", "etag", "create_time", "update_time"}} {
			in := proto.CloneOf(cur)
			in.DisplayName = "Cambiato"
			got, err := s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{Partner: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
			if err != nil {
				t.Fatalf("update with mask %v: %v", paths, err)
			}
			if !proto.Equal(got, cur) {
				t.Errorf("update with mask %v answered %v, want the partner as it is, %v", paths, got, cur)
			}
		}
		if after := revision(); after != before {
			t.Errorf("revision after the updates naming only output-only fields: %d, want %d", after, before)
		}
		if now, err := s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: cur.GetName()}); err != nil || !proto.Equal(now, cur) {
			t.Errorf("partner after the updates: %v, %v; want it unchanged, %v", now, err, cur)
		}
	})
}
