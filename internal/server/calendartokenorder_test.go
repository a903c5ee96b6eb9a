package server_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestListCalendarTokensByCreation asks ListCalendarTokens for a
// consultant's calendar tokens in creation order on every surface: five,
// with the region admin's among them, come back oldest first with
// order_by "create_time" and newest first with "create_time desc", two a
// page; state LIVE leaves out the revoked one and ENDED keeps it alone.
// Another order is refused naming order_by, an unknown state naming state,
// and a page token of one order is refused in the other.
func TestListCalendarTokensByCreation(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		admin := newSurface(t, ts, kind)
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia"})
		var mine []string // oldest first
		for i := range 5 {
			ct := mustOK(consultant.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: fmt.Sprint("Calendario ", i)}))(t, "a calendar token")
			mine = append(mine, ct.GetCalendarToken().GetDisplayName())
			mustOK(admin.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: "The admin's"}))(t, "the admin's calendar token")
		}
		revoked := mustOK(consultant.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia, OrderBy: "create_time", PageSize: 2}))(t, "the oldest two").GetCalendarTokens()[1]
		mustOK(consultant.RevokeCalendarToken(ctx, &famiv1.RevokeCalendarTokenRequest{Name: revoked.GetName()}))(t, "revoke "+revoked.GetDisplayName())

		list := func(req *famiv1.ListCalendarTokensRequest) (labels []string) {
			t.Helper()
			req.Parent, req.PageSize = lombardia, 2
			for range 5 {
				res := mustOK(consultant.ListCalendarTokens(ctx, req))(t, "calendar tokens by "+req.GetOrderBy())
				for _, ct := range res.GetCalendarTokens() {
					labels = append(labels, ct.GetDisplayName())
				}
				if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
					break
				}
			}
			return labels
		}
		newest := slices.Clone(mine)
		slices.Reverse(newest)
		live, ended := famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE, famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
		for _, c := range []struct {
			what string
			req  *famiv1.ListCalendarTokensRequest
			want []string
		}{
			{"create_time", &famiv1.ListCalendarTokensRequest{OrderBy: "create_time"}, mine},
			{"create_time desc", &famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc"}, newest},
			{"create_time desc, live", &famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc", State: live}, []string{mine[4], mine[3], mine[2], mine[0]}},
			{"create_time desc, ended", &famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc", State: ended}, []string{mine[1]}},
		} {
			if got := list(c.req); !slices.Equal(got, c.want) {
				t.Errorf("calendar tokens in %s: got %q, want %q", c.what, got, c.want)
			}
		}

		for _, bad := range []string{"display_name", "create_time desc, name", "create_time DESC", "-create_time"} {
			_, err := consultant.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia, OrderBy: bad})
			checkErr(t, "order_by "+bad, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"order_by"}})
		}
		_, err := consultant.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia, State: 9})
		checkErr(t, "an unknown state", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"state"}})
		first := mustOK(consultant.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia, PageSize: 1, OrderBy: "create_time"}))(t, "the oldest token")
		_, err = consultant.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia, PageSize: 1, OrderBy: "create_time desc", PageToken: first.GetNextPageToken()})
		checkErr(t, "a page token of the other order", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"page_token"}})
	})
}

// TestCalendarTokenState reads a calendar token's output-only state on
// every surface: LIVE in the create answer and the lists, ENDED in the
// revoke answer and the lists after it, and ENDED for a token left alone
// once the server's clock passes its expiry, with no write: in both
// orders of ListCalendarTokens and under its state filter.
func TestCalendarTokenState(t *testing.T) {
	t.Parallel()
	live, ended := famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE, famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		// The caller's own token outlives the hour the clock moves.
		consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:consultant", Role: principal.Consultant, Region: "lombardia", TTL: 3 * time.Hour})
		create := func(label string, ttl int64) *famiv1.CalendarToken {
			t.Helper()
			ct := mustOK(consultant.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: label, TtlSeconds: ttl}))(t, "the token "+label).GetCalendarToken()
			if ct.GetState() != live {
				t.Errorf("%s as created: state %v, want %v", label, ct.GetState(), live)
			}
			return ct
		}
		revoked := create("Revoked", 0)
		create("Short", 3600)
		create("Long", 0)
		if got := mustOK(consultant.RevokeCalendarToken(ctx, &famiv1.RevokeCalendarTokenRequest{Name: revoked.GetName()}))(t, "revoke").GetState(); got != ended {
			t.Errorf("the revoke answer: state %v, want %v", got, ended)
		}
		states := func(req *famiv1.ListCalendarTokensRequest) map[string]famiv1.CalendarTokenState {
			t.Helper()
			req.Parent = lombardia
			got := map[string]famiv1.CalendarTokenState{}
			for _, ct := range mustOK(consultant.ListCalendarTokens(ctx, req))(t, "the calendar tokens by "+req.GetOrderBy()).GetCalendarTokens() {
				got[ct.GetDisplayName()] = ct.GetState()
			}
			return got
		}
		check := func(when string, want map[string]famiv1.CalendarTokenState) {
			t.Helper()
			for _, order := range []string{"", "create_time desc"} {
				if got := states(&famiv1.ListCalendarTokensRequest{OrderBy: order}); !maps.Equal(got, want) {
					t.Errorf("%s, order %q: got %v, want %v", when, order, got, want)
				}
				for _, state := range []famiv1.CalendarTokenState{live, ended} {
					got := states(&famiv1.ListCalendarTokensRequest{OrderBy: order, State: state})
					wantIn := maps.Clone(want)
					maps.DeleteFunc(wantIn, func(_ string, s famiv1.CalendarTokenState) bool { return s != state })
					if !maps.Equal(got, wantIn) {
						t.Errorf("%s, order %q, state %v: got %v, want %v", when, order, state, got, wantIn)
					}
				}
			}
		}
		check("before the expiry", map[string]famiv1.CalendarTokenState{"Revoked": ended, "Short": live, "Long": live})
		ts.Clock.Advance(time.Hour + time.Second)
		check("an hour later", map[string]famiv1.CalendarTokenState{"Revoked": ended, "Short": ended, "Long": live})
	})
}
