package server_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/server"
)

// TestPagesAreBoundedInBytes lists networks of about 32 kB each with the
// largest page size, on every surface: a page stops at the byte budget and
// says so with its next_page_token, and following the tokens yields every
// network once. Pages used to be bounded by count only (a thousand
// protocols of a few MB each made one answer of gigabytes).
func TestPagesAreBoundedInBytes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	seedPartner(t, ctx, admin)
	// 8,000 characters of four bytes each: the largest description.
	big := strings.Repeat("\U0001D538", 8000)
	const n = 80
	for i := range n {
		_, err := admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: fmt.Sprintf("rete-%03d", i), Network: &famiv1.Network{
			DisplayName: "Rete", Description: big, LeadPartner: partnerName("udp-milano"),
			Members: []*famiv1.Member{{Partner: partnerName("udp-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}},
		}})
		if err != nil {
			t.Fatalf("create network %d: %v", i, err)
		}
	}
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			s := newSurface(t, ts, kind)
			seen := map[string]bool{}
			token, pages := "", 0
			for {
				res, err := s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia, PageSize: aip.MaxPageSize, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				size := 0
				for _, nw := range res.GetNetworks() {
					size += proto.Size(nw)
					if seen[nw.GetName()] {
						t.Errorf("%s listed twice", nw.GetName())
					}
					seen[nw.GetName()] = true
				}
				if size > aip.MaxPageBytes {
					t.Errorf("page %d holds %d bytes of networks, want at most %d", pages, size, aip.MaxPageBytes)
				}
				if token = res.GetNextPageToken(); token == "" {
					break
				}
				if len(res.GetNetworks()) == 0 {
					t.Fatal("an empty page with a next token: paging makes no progress")
				}
			}
			if len(seen) != n {
				t.Errorf("listed %d networks, want %d", len(seen), n)
			}
			if pages < 2 {
				t.Errorf("%d networks of %d bytes came in one page, want pages cut at %d bytes", n, len(big), aip.MaxPageBytes)
			}
		})
	}
}
