package server

import (
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// BenchmarkTagAnswer measures what tagAnswer adds to every REST answer
// against what every REST answer costs anyway, its JSON (the gateway's
// marshaler, as it writes the body): the ratio of tag/... to json/... of
// the same answer, in the same run, is the share of the answer's work the
// tag takes (docs/benchmarks.md, "REST entity tags"); find/... is the
// tag's reflection alone, what a cache per message type would save. A
// read's answer is tagged; an update's is tagged through the resource it
// sends; a list's has no etag and is passed over.
//
//	go test -run '^$' -bench BenchmarkTagAnswer -benchmem -count 6 ./internal/server/
func BenchmarkTagAnswer(b *testing.B) {
	partner := &famiv1.Partner{Name: "regions/lombardia/partners/udp-milano", DisplayName: "Ufficio di Piano di Milano",
		Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, FiscalCode: "80034840167", Municipalities: []string{"015146", "015077"}, Etag: "1234"}
	list := &famiv1.ListPartnersResponse{}
	for range 50 {
		list.Partners = append(list.Partners, partner)
	}
	cases := []struct {
		name      string
		req, resp proto.Message
		tagged    bool
	}{
		{"get", &famiv1.GetPartnerRequest{Name: partner.Name}, partner, true},
		{"update", &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: partner.Name, DisplayName: "Nuovo"}}, partner, true},
		{"list", &famiv1.ListPartnersRequest{Parent: "regions/lombardia"}, list, false},
	}
	marshaler := &runtime.HTTPBodyMarshaler{Marshaler: &runtime.JSONPb{}}
	for _, tc := range cases {
		b.Run("json/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := marshaler.Marshal(tc.resp); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("tag/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var header metadata.MD
			opts := []grpc.CallOption{grpc.Header(&header)}
			for b.Loop() {
				header = nil
				tagAnswer(tc.req, tc.resp, opts)
			}
			if got := header.Get("etag"); (len(got) == 1) != tc.tagged {
				b.Fatalf("etag header %q, tagged %v", got, tc.tagged)
			}
		})
		// What tagAnswer finds by reflection, without the header it
		// writes (a map, a slice, the quoted tag).
		b.Run("find/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tagAnswer(tc.req, tc.resp, nil)
			}
		})
	}
}
