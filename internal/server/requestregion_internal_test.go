package server

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestRequestRegion: the region an error's log line names is that of what
// the request names (requestTarget): a list's parent, a read's or a
// custom method's name, the name of the resource an Update sends, the
// national view's "-"; none for a request that names no region, and a
// client's long one clipped.
func TestRequestRegion(t *testing.T) {
	long := strings.Repeat("x", 500)
	for _, c := range []struct {
		req  proto.Message
		want string
	}{
		{&famiv1.ListPartnersRequest{Parent: "regions/lombardia"}, "lombardia"},
		{&famiv1.GetPartnerRequest{Name: "regions/lazio/partners/p"}, "lazio"},
		{&famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: "regions/veneto/partners/p"}}, "veneto"},
		{&famiv1.ListPartnersRequest{Parent: "regions/-"}, "-"},
		{&famiv1.UpdatePartnerRequest{}, ""},
		{&famiv1.GetPartnerRequest{Name: "partners/p"}, ""},
		{&famiv1.LoginRequest{}, ""},
		{nil, ""},
	} {
		if got := requestRegion(c.req); got != c.want {
			t.Errorf("requestRegion(%v) = %q, want %q", c.req, got, c.want)
		}
	}
	if got := requestRegion(&famiv1.GetPartnerRequest{Name: "regions/" + long + "/partners/p"}); len(got) >= len(long) || !strings.HasPrefix(long, strings.TrimSuffix(got, "...")) {
		t.Errorf("a long region is logged as %q, want it clipped", got)
	}
}
