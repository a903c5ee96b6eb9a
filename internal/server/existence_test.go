package server_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestUnreachableAnswersAsMissing: a consultant lists only their own
// support entries and calendar tokens, so another's and one that does not
// exist get the same answer (AIP-211: PERMISSION_DENIED, "or it might not
// exist"): the same code, reason, HTTP status, violations and message but
// for the name, on every surface. A missing one used to be NOT_FOUND and
// another's PERMISSION_DENIED, which told a consultant which ids other
// consultants' entries have.
func TestUnreachableAnswersAsMissing(t *testing.T) {
	t.Parallel()
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, server.Config{})
			ctx := t.Context()
			admin := newSurface(t, ts, "grpc")
			seedPartner(t, ctx, admin)
			network := seedNetwork(t, ctx, admin)
			consultant := func(id string) surface {
				return newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant:" + id, Role: principal.Consultant, Region: "lombardia", Name: id})
			}
			me, other := consultant("uno"), consultant("due")
			entry, err := other.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntryId: "e1",
				SupportEntry: matrixEntry(network.GetName(), "2024-03-04", 60)})
			if err != nil {
				t.Fatalf("log an entry: %v", err)
			}
			token, err := other.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia})
			if err != nil {
				t.Fatalf("create a calendar token: %v", err)
			}
			tokenName := token.GetCalendarToken().GetName()
			missingToken := tokenName[:strings.LastIndexByte(tokenName, '/')+1] + strings.Repeat("0", len(tokenName)-strings.LastIndexByte(tokenName, '/')-1)

			for _, tt := range []struct {
				name           string
				others, absent string
				call           func(ctx context.Context, name string) (proto.Message, error)
			}{
				{"GetSupportEntry", entry.GetName(), supportEntryName("e2"), func(ctx context.Context, name string) (proto.Message, error) {
					return ret(me.GetSupportEntry(ctx, &famiv1.GetSupportEntryRequest{Name: name}))
				}},
				{"UpdateSupportEntry", entry.GetName(), supportEntryName("e2"), func(ctx context.Context, name string) (proto.Message, error) {
					return ret(me.UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{SupportEntry: &famiv1.SupportEntry{Name: name, Notes: "Mine"},
						UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}}))
				}},
				{"DeleteSupportEntry", entry.GetName(), supportEntryName("e2"), func(ctx context.Context, name string) (proto.Message, error) {
					return ret(me.DeleteSupportEntry(ctx, &famiv1.DeleteSupportEntryRequest{Name: name}))
				}},
				{"RevokeCalendarToken", tokenName, missingToken, func(ctx context.Context, name string) (proto.Message, error) {
					return ret(me.RevokeCalendarToken(ctx, &famiv1.RevokeCalendarTokenRequest{Name: name}))
				}},
			} {
				_, errOthers := tt.call(ctx, tt.others)
				_, errAbsent := tt.call(ctx, tt.absent)
				o, ok1 := asCallError(errOthers)
				a, ok2 := asCallError(errAbsent)
				if !ok1 || !ok2 {
					t.Fatalf("%s: got %v and %v, want two refusals", tt.name, errOthers, errAbsent)
				}
				if o.Code != a.Code || o.HTTPStatus != a.HTTPStatus || o.Reason != a.Reason || !slices.Equal(o.Fields, a.Fields) ||
					strings.ReplaceAll(o.Message, tt.others, tt.absent) != a.Message {
					t.Errorf("%s: another's answers %+v, a missing one %+v: want the same answer but for the name", tt.name, o, a)
				}
			}
			if got, err := other.GetSupportEntry(ctx, &famiv1.GetSupportEntryRequest{Name: entry.GetName()}); err != nil || !proto.Equal(got, entry) {
				t.Errorf("after the refused calls: %v, %v; want the entry unchanged", got, err)
			}
		})
	}
}
