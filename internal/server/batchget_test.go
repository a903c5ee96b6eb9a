package server_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/server"
)

// TestBatchGetPartners reads partners by name in one call, on every
// surface (AIP-231): in the order asked, a name asked twice answered twice;
// all or none, so a missing partner fails the call with NOT_FOUND naming
// its field; no names, more than resource.MaxBatchGet, an empty name, a
// partner of another region or a name of another collection are refused,
// each naming its field.
func TestBatchGetPartners(t *testing.T) {
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_OTHER, "p0", "p1", "p2")
		res := mustOK(s.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia,
			Names: []string{partnerName("p2"), partnerName("p0"), partnerName("p2")}}))(t, "three names, one twice")
		var got []string
		for _, p := range res.GetPartners() {
			got = append(got, p.GetName()+" "+p.GetDisplayName())
		}
		want := []string{partnerName("p2") + " p2", partnerName("p0") + " p0", partnerName("p2") + " p2"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("three names, one twice: got %q, want %q", got, want)
		}
		if p := res.GetPartners()[0]; p.GetEtag() == "" || p.GetCreateTime() == nil {
			t.Errorf("a partner read in a batch lacks its etag or create time: %v", p)
		}

		_, err := s.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia, Names: []string{partnerName("p0"), partnerName("nessuno"), partnerName("p1")}})
		checkErr(t, "a missing partner among three", err, wantErr{code: codes.NotFound, reason: "NOT_FOUND", fields: []string{"names[1]"}})

		most := make([]string, resource.MaxBatchGet)
		for i := range most {
			most[i] = partnerName(fmt.Sprintf("p%d", i%3))
		}
		if res := mustOK(s.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia, Names: most}))(t, "the most names"); len(res.GetPartners()) != len(most) {
			t.Errorf("%d names answered with %d partners", len(most), len(res.GetPartners()))
		}
		for _, c := range []struct {
			what   string
			names  []string
			fields []string
		}{
			{"no names", nil, []string{"names"}},
			{"one name too many", append(most, partnerName("p0")), []string{"names"}},
			{"an empty name", []string{partnerName("p0"), ""}, []string{"names[1]"}},
			{"a partner of another region", []string{partnerName("p0"), "regions/veneto/partners/p0"}, []string{"names[1]"}},
			{"a name of another collection", []string{lombardia + "/networks/p0", "regions/lombardia/partners/../p0"}, []string{"names[0]", "names[1]"}},
		} {
			_, err := s.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia, Names: c.names})
			checkErr(t, c.what, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: c.fields})
		}
	})
}
