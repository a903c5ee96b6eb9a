package server_test

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestCreateWithAnIdTheCallerMayNotRead: a consultant creating a support
// entry with the id of another consultant's entry is refused as a read of
// that entry is, NOT_OWN_ENTRY (PERMISSION_DENIED, 403), with the same
// message; it was ALREADY_EXISTS, which told them the entry exists
// (AIP-133, AIP-211). The entry's own consultant still gets
// ALREADY_EXISTS, and the entry is left as it was.
func TestCreateWithAnIdTheCallerMayNotRead(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		names := seedEveryType(t, ts)
		name := names["fami.v1.SupportEntry"]
		owner := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:seed:consultant", Role: principal.Consultant, Region: ownRegion})
		other := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:taken:consultant", Role: principal.Consultant, Region: ownRegion})
		stored, err := owner.GetSupportEntry(ctx, &famiv1.GetSupportEntryRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		create := func(s surface) error {
			_, err := s.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntryId: "ore",
				SupportEntry: matrixEntry(stored.GetNetwork(), fixtureDay, 30)})
			return err
		}
		_, readErr := other.GetSupportEntry(ctx, &famiv1.GetSupportEntryRequest{Name: name})
		read, _ := asCallError(readErr)
		got, ok := asCallError(create(other))
		if !ok || got.Code != codes.PermissionDenied || got.Reason != "NOT_OWN_ENTRY" || (kind == "rest" && got.HTTPStatus != http.StatusForbidden) {
			t.Fatalf("create with the id of another consultant's entry: %v, want PERMISSION_DENIED NOT_OWN_ENTRY (403 on REST)", got)
		}
		if read == nil || got.Code != read.Code || got.Reason != read.Reason || got.HTTPStatus != read.HTTPStatus || got.Message != read.Message {
			t.Errorf("create with the id of another consultant's entry answered %v; a read of it answers %v: want the same", got, read)
		}
		wantCode(t, "create with a taken id by the entry's consultant", create(owner), codes.AlreadyExists)
		if now, err := owner.GetSupportEntry(ctx, &famiv1.GetSupportEntryRequest{Name: name}); err != nil || now.GetEtag() != stored.GetEtag() {
			t.Errorf("the entry after the refused creates: %v, %v; want it as it was", now, err)
		}
	})
}
