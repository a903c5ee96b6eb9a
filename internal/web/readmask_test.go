package web_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// wholeLabels counts the networks and partners in an answer m that carry
// more than their name and display name: what a page that only labels
// them reads for nothing (a network's members, a partner's
// municipalities), when it does not ask for those two alone (read_mask).
func wholeLabels(m protoreflect.Message) (n int) {
	switch m.Descriptor().FullName() {
	case "fami.v1.Network", "fami.v1.Partner":
		m.Range(func(f protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			if f.Name() != "name" && f.Name() != "display_name" {
				n = 1
			}
			return n == 0
		})
		return n
	}
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.Message() == nil || f.IsMap():
		case f.IsList():
			for i := range v.List().Len() {
				n += wholeLabels(v.List().Get(i).Message())
			}
		default:
			n += wholeLabels(v.Message())
		}
		return true
	})
	return n
}

// TestPagesReadLabelsOnly: the pages that name networks and partners
// (the approvals queue, the hours page's network select and table, the
// protocol form's networks and parties) ask the services for their names
// and display names alone (read_mask), never a network's members or a
// partner's other fields; and the approvals queue reads the networks its
// entries name, one by one, where it read the region's 121 networks whole.
func TestPagesReadLabelsOnly(t *testing.T) {
	f := startFamid(t)
	setupLombardia(f)
	f.account("lombardia", "admin", "Anna Admin", famiv1.Role_ROLE_REGION_ADMIN, "")
	udp := f.partner("lombardia", "udp-milano", "Ufficio di Piano di Milano")
	cpia := f.partner("lombardia", "cpia-milano", "CPIA Milano")
	bulk(t, 120, func(i int) error {
		_, err := famiv1.NewNetworkServiceClient(f.conn).CreateNetwork(f.admin("lombardia"), &famiv1.CreateNetworkRequest{Parent: "regions/lombardia",
			NetworkId: fmt.Sprintf("rete%03d", i), Network: &famiv1.Network{DisplayName: fmt.Sprintf("Rete Milano %03d", i), LeadPartner: udp,
				Members: []*famiv1.Member{{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: cpia, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}})
		return err
	})
	consultant := metadata.AppendToOutgoingContext(t.Context(), "authorization",
		"Bearer "+f.Token(t, auth.TokenSpec{Subject: "account:mrossi", Role: principal.Consultant, Region: "lombardia"}))
	for _, network := range []string{"rete007", "rete113", "rete007"} {
		if _, err := famiv1.NewSupportServiceClient(f.conn).CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
			SupportEntry: &famiv1.SupportEntry{Network: "regions/lombardia/networks/" + network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP,
				Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE, Date: f.Clock.Now().In(rome()).Format(time.DateOnly), DurationMinutes: 60}}); err != nil {
			t.Fatal(err)
		}
	}
	base, reads := countedApp(t, f)
	admin, mrossi := f.signedIn("admin@lombardia"), f.signedIn("mrossi@lombardia")

	for _, p := range []struct{ what, token, path string }{
		{"the approvals queue", admin, "/approvazioni"},
		{"the hours page", mrossi, "/ore"},
		{"the new protocol's form", admin, "/protocolli/nuovo"},
	} {
		reads.reset()
		page := fetch(t, base+p.path, p.token)
		if len(reads.whole) > 0 {
			t.Errorf("%s read networks or partners whole, by method: %v", p.what, maps.Clone(reads.whole))
		}
		if p.path != "/approvazioni" {
			continue
		}
		for _, want := range []string{"Rete Milano 007", "Rete Milano 113"} {
			if !strings.Contains(page, `<td data-label="Rete territoriale">`+want+`</td>`) {
				t.Errorf("the approvals queue does not name the network %s", want)
			}
		}
		if n := reads.of("ListNetworks"); n > 0 {
			t.Errorf("the approvals queue listed the region's networks (%d calls), want only the two its entries name", n)
		}
		if n := reads.of("GetNetwork"); n > 2 {
			t.Errorf("the approvals queue read %d networks by name, want the two its entries name", n)
		}
	}
}

// withoutReadMask sends each request without its read_mask, as the web
// application asked before it named the fields it shows: the services
// then answer whole resources.
func withoutReadMask(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if m, ok := req.(proto.Message); ok {
		if f := m.ProtoReflect().Descriptor().Fields().ByName("read_mask"); f != nil && m.ProtoReflect().Has(f) {
			c := proto.Clone(m)
			c.ProtoReflect().Clear(f)
			req = c
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// BenchmarkHoursReadMask asks for the hours page of seedRegion's region
// (33 networks of 21 members each, the select's page) through two
// applications over the same famid: one whose requests lose their read
// masks on the way (mask=none, as before) and one as it is (mask=labels).
// api-B/op is what the services answered, B/op and allocs/op the whole
// process's (famid runs in it), so their ratios are the read mask's
// saving, measured in the same run (docs/benchmarks.md).
//
//	go test -run '^$' -bench HoursReadMask -benchtime 200x -count 6 ./internal/web/
func BenchmarkHoursReadMask(b *testing.B) {
	f, r := seedRegion(b)
	before, beforeReads := countedAppWith(b, f, withoutReadMask)
	after, afterReads := countedApp(b, f)
	b.Run("mask=none", func(b *testing.B) {
		b.ReportAllocs()
		beforeReads.pageBench(before+"/ore?vista=mese", r.consultant)(b)
	})
	b.Run("mask=labels", func(b *testing.B) {
		b.ReportAllocs()
		afterReads.pageBench(after+"/ore?vista=mese", r.consultant)(b)
	})
}
