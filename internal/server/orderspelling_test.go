package server_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestOrderSpellingsShareTheirPageTokens: the spellings of one order_by
// name one order, and a page token issued for one is taken by the others
// on every surface, as it is with another page size: ListMeetings' "",
// "start_time" and "start_time asc" (its default is oldest first), and
// "start_time desc" spaced or not, in a region and across regions;
// ListCalendarTokens' "create_time" and "create_time asc". A token of
// another order is still refused.
func TestOrderSpellingsShareTheirPageTokens(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		seedPartner(t, ctx, s)
		est := seedNetwork(t, ctx, s).GetName()
		now := ts.Clock.Now().Truncate(time.Hour)
		seedTables(t, s, est, now, 0, 1, 2)
		for i := range 3 {
			mustOK(s.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{Parent: lombardia, DisplayName: fmt.Sprint("Calendario ", i)}))(t, "a calendar token")
		}
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		meetings := func(s surface, parent, orderBy, token string) (string, string, error) {
			res, err := s.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: parent, OrderBy: orderBy, PageSize: 1, PageToken: token})
			if len(res.GetMeetings()) != 1 {
				return "", "", err
			}
			return res.GetMeetings()[0].GetTitle(), res.GetNextPageToken(), err
		}
		for _, c := range []struct {
			s         surface
			parent    string
			spellings []string
			second    string
		}{
			{s, lombardia, []string{"", "start_time", "start_time asc", " start_time  asc "}, "Tavolo 1"},
			{s, lombardia, []string{"start_time desc", "  start_time   desc "}, "Tavolo 1"},
			{ministry, "regions/-", []string{"", "start_time", "start_time asc"}, "Tavolo 1"},
			{ministry, "regions/-", []string{"start_time desc", "start_time  desc"}, "Tavolo 1"},
		} {
			for _, first := range c.spellings {
				_, token, err := meetings(c.s, c.parent, first, "")
				if err != nil || token == "" {
					t.Fatalf("meetings of %s by %q: token %q, %v", c.parent, first, token, err)
				}
				for _, then := range c.spellings {
					if got, _, err := meetings(c.s, c.parent, then, token); err != nil || got != c.second {
						t.Errorf("meetings of %s by %q with the token of %q: %q, %v; want %s", c.parent, then, first, got, err, c.second)
					}
				}
			}
		}
		_, oldest, _ := meetings(s, lombardia, "start_time", "")
		_, err := s.ListMeetings(ctx, &famiv1.ListMeetingsRequest{Parent: lombardia, OrderBy: "start_time desc", PageSize: 1, PageToken: oldest})
		checkErr(t, "a page token of the other order", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_token"}})

		tokens := func(orderBy, token string) (*famiv1.ListCalendarTokensResponse, error) {
			return s.ListCalendarTokens(ctx, &famiv1.ListCalendarTokensRequest{Parent: lombardia, OrderBy: orderBy, PageSize: 1, PageToken: token})
		}
		first := mustOK(tokens("create_time", ""))(t, "the oldest calendar token")
		for _, then := range []string{"create_time", "create_time asc", " create_time   asc"} {
			if res, err := tokens(then, first.GetNextPageToken()); err != nil || len(res.GetCalendarTokens()) != 1 || res.GetCalendarTokens()[0].GetDisplayName() != "Calendario 1" {
				t.Errorf("calendar tokens by %q with the token of \"create_time\": %v, %v; want Calendario 1", then, res, err)
			}
		}
		_, err = tokens("", first.GetNextPageToken())
		checkErr(t, "a page token by creation in the order by name", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"page_token"}})
	})
}
