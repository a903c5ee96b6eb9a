package meetings_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// pageOf lists one page of calendar tokens through svc.
func pageOf(t *testing.T, svc *meetings.Service, ctx context.Context, req *famiv1.ListCalendarTokensRequest) *famiv1.ListCalendarTokensResponse {
	t.Helper()
	req.Parent = parent
	res, err := svc.ListCalendarTokens(ctx, req)
	if err != nil {
		t.Fatalf("%v: %v", req, err)
	}
	return res
}

// TestCalendarTokensByCreationReadOnlyThePage: with 300 tokens of 30
// owners, a page in creation order reads the tokens it answers (and one
// more when full), not every token of the region: the index by creation
// time holds the owner and state a page filters on.
func TestCalendarTokensByCreationReadOnlyThePage(t *testing.T) {
	e := newEnv(t)
	owner := func(i int) context.Context { return e.Member(fmt.Sprintf("cpia-%02d", i)) }
	for i := range 300 {
		e.Clock.Set(e.Clock.Now().Add(time.Minute))
		if _, err := e.svc.CreateCalendarToken(owner(i%30), &famiv1.CreateCalendarTokenRequest{Parent: parent}); err != nil {
			t.Fatal(err)
		}
	}
	counted := &storetest.ReadCounter{Store: e.Store}
	svc := meetings.New(counted, meetings.Options{Now: e.Clock.Now})
	live, ended := famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_LIVE, famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED
	for _, tc := range []struct {
		name string
		ctx  context.Context
		req  *famiv1.ListCalendarTokensRequest
		want int
	}{
		{"the admin's newest 5", e.admin(), &famiv1.ListCalendarTokensRequest{PageSize: 5, OrderBy: "create_time desc"}, 5},
		{"the admin's oldest 5", e.admin(), &famiv1.ListCalendarTokensRequest{PageSize: 5, OrderBy: "create_time"}, 5},
		{"an owner's 10 newest first", owner(7), &famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc"}, 10},
		{"an owner's live", owner(7), &famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc", State: live}, 10},
		{"an owner's ended", owner(7), &famiv1.ListCalendarTokensRequest{OrderBy: "create_time desc", State: ended}, 0},
	} {
		counted.RecordsSince()
		res := pageOf(t, svc, tc.ctx, tc.req)
		if got := len(res.GetCalendarTokens()); got != tc.want {
			t.Errorf("%s: %d tokens, want %d", tc.name, got, tc.want)
		}
		// One more than a full page, which finds it full.
		if read := counted.RecordsSince(); read > int64(tc.want)+1 {
			t.Errorf("%s: read %d tokens for a page of %d", tc.name, read, tc.want)
		}
	}
}

// TestCalendarTokensStoredBeforeTheIndex: tokens stored before the index
// by creation time existed (written here without it) are listed in
// creation order by reading them all, until the region's first
// CreateCalendarToken puts them in the index: the pages answer the same
// before and after, the new token first. What is written without the
// index later is mended by the next CreateCalendarToken.
func TestCalendarTokensStoredBeforeTheIndex(t *testing.T) {
	e := newEnv(t)
	c := e.consultant()
	owners := []string{"acct:lombardia:mrossi", "test:staff:cpia-bergamo"}
	var stored []string // oldest first
	for i := range 8 {
		name := aip.Name(lombardia, resource.CalendarTokens, fmt.Sprintf("old%02d", 7-i)) // ids against creation order
		_, err := store.Mutate(e.admin(), e.Store, lombardia, store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
			return &emptypb.Empty{}, tx.Put(&famiv1.CalendarToken{Name: name, Owner: owners[i%2], ExpireTime: timestamppb.New(e.Clock.Now().Add(time.Hour))})
		})
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, name)
	}
	newest := slices.Clone(stored)
	slices.Reverse(newest)
	all := func() []string {
		var names []string
		req := &famiv1.ListCalendarTokensRequest{PageSize: 3, OrderBy: "create_time desc"}
		for range 10 {
			res := pageOf(t, e.svc, e.admin(), req)
			for _, ct := range res.GetCalendarTokens() {
				names = append(names, ct.GetName())
			}
			if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
				break
			}
		}
		return names
	}
	if got := all(); !slices.Equal(got, newest) {
		t.Fatalf("before the index, newest first:\n got %q\nwant %q", got, newest)
	}
	first := pageOf(t, e.svc, e.admin(), &famiv1.ListCalendarTokensRequest{PageSize: 3, OrderBy: "create_time desc"})
	res, err := e.svc.CreateCalendarToken(c, &famiv1.CreateCalendarTokenRequest{Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := all(), append([]string{res.GetCalendarToken().GetName()}, newest...); !slices.Equal(got, want) {
		t.Errorf("indexed, newest first:\n got %q\nwant %q", got, want)
	}
	// A token of the unindexed listing resumes in the index.
	rest := pageOf(t, e.svc, e.admin(), &famiv1.ListCalendarTokensRequest{PageSize: 3, OrderBy: "create_time desc", PageToken: first.GetNextPageToken()})
	if got := names(rest.GetCalendarTokens()); !slices.Equal(got, newest[3:6]) {
		t.Errorf("the second page on an earlier token: %q, want %q", got, newest[3:6])
	}
	if _, err := e.svc.RevokeCalendarToken(c, &famiv1.RevokeCalendarTokenRequest{Name: stored[0]}); err != nil {
		t.Fatal(err)
	}
	ended := pageOf(t, e.svc, c, &famiv1.ListCalendarTokensRequest{OrderBy: "create_time", State: famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED})
	if got := names(ended.GetCalendarTokens()); !slices.Equal(got, stored[:1]) {
		t.Errorf("the consultant's ended after a revoke: %q, want %q", got, stored[:1])
	}

	// A famid without the index (a downgrade, or an older famid on the
	// same etcd) creates one token and revokes another, the index marked
	// whole: the next CreateCalendarToken mends it.
	late := aip.Name(lombardia, resource.CalendarTokens, "late")
	_, err = store.Mutate(e.admin(), e.Store, lombardia, store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
		revoked := &famiv1.CalendarToken{}
		if err := tx.Get(stored[2], revoked); err != nil {
			return nil, err
		}
		revoked.RevokeTime = timestamppb.New(e.Clock.Now())
		if err := tx.Put(revoked); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, tx.Put(&famiv1.CalendarToken{Name: late, Owner: owners[0], ExpireTime: timestamppb.New(e.Clock.Now().Add(time.Hour))})
	})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.CreateCalendarToken(c, &famiv1.CreateCalendarTokenRequest{Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := all(), append([]string{again.GetCalendarToken().GetName(), late, res.GetCalendarToken().GetName()}, newest...); !slices.Equal(got, want) {
		t.Errorf("mended, newest first:\n got %q\nwant %q", got, want)
	}
	ended = pageOf(t, e.svc, c, &famiv1.ListCalendarTokensRequest{OrderBy: "create_time", State: famiv1.CalendarTokenState_CALENDAR_TOKEN_STATE_ENDED})
	if got, want := names(ended.GetCalendarTokens()), []string{stored[0], stored[2]}; !slices.Equal(got, want) {
		t.Errorf("the consultant's ended, mended: %q, want %q", got, want)
	}
}

func names(cts []*famiv1.CalendarToken) []string {
	var out []string
	for _, ct := range cts {
		out = append(out, ct.GetName())
	}
	return out
}

// TestCalendarTokenCreateReadsTheRegionOnce: a create reads each of the
// region's calendar tokens once, for the owner's limit and the index by
// creation alike, not once for each.
func TestCalendarTokenCreateReadsTheRegionOnce(t *testing.T) {
	e := newEnv(t)
	const stored = 60
	for i := range stored {
		if _, err := e.svc.CreateCalendarToken(e.Member(fmt.Sprintf("cpia-%02d", i%10)), &famiv1.CreateCalendarTokenRequest{Parent: parent}); err != nil {
			t.Fatal(err)
		}
	}
	counted := &storetest.ReadCounter{Store: e.Store}
	svc := meetings.New(counted, meetings.Options{Now: e.Clock.Now})
	counted.RecordsSince()
	if _, err := svc.CreateCalendarToken(e.Member("cpia-03"), &famiv1.CreateCalendarTokenRequest{Parent: parent}); err != nil {
		t.Fatal(err)
	}
	if read := counted.RecordsSince(); read > stored {
		t.Errorf("a create in a region of %d tokens read %d records, want at most %d", stored, read, stored)
	}
}
