package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/server"
)

// batched is a resource as a batch Get answers it.
type batched interface {
	GetName() string
	GetEtag() string
	GetCreateTime() *timestamppb.Timestamp
}

// batchGetter is one collection's batch Get (AIP-231) as TestBatchGet
// drives it: create makes the resource id of Lombardia called display,
// name names it, label is what it is called (display), and get is the
// batch Get of names in Lombardia.
type batchGetter struct {
	create func(ctx context.Context, s surface, id, display string) error
	name   func(id string) string
	label  func(batched) string
	get    func(ctx context.Context, s surface, names []string) ([]batched, error)
}

// displayName is the label of a resource called by its display name.
func displayName(b batched) string { return b.(interface{ GetDisplayName() string }).GetDisplayName() }

// batchGetters are the batch Gets of the API, by method.
func batchGetters() map[string]batchGetter {
	return map[string]batchGetter{
		"BatchGetPartners": {
			create: func(ctx context.Context, s surface, id, display string) error {
				_, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id,
					Partner: &famiv1.Partner{DisplayName: display, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
				return err
			},
			name:  partnerName,
			label: displayName,
			get: func(ctx context.Context, s surface, names []string) ([]batched, error) {
				res, err := s.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia, Names: names})
				return asBatched(res.GetPartners()), err
			},
		},
		"BatchGetNetworks": {
			// Each network is led by a partner of its own id.
			create: func(ctx context.Context, s surface, id, display string) error {
				lead, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "capofila-" + id,
					Partner: &famiv1.Partner{DisplayName: "Capofila " + display, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}})
				if err != nil {
					return err
				}
				_, err = s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: id, Network: &famiv1.Network{
					DisplayName: display, LeadPartner: lead.GetName(), Members: []*famiv1.Member{{Partner: lead.GetName(), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}})
				return err
			},
			name:  networkName,
			label: displayName,
			get: func(ctx context.Context, s surface, names []string) ([]batched, error) {
				res, err := s.BatchGetNetworks(ctx, &famiv1.BatchGetNetworksRequest{Parent: lombardia, Names: names})
				return asBatched(res.GetNetworks()), err
			},
		},
		"BatchGetProjects": {
			create: func(ctx context.Context, s surface, id, display string) error {
				_, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, Project: &famiv1.Project{
					Code: "PROG-" + id, Title: display, StartDate: "2021-01-01", EndDate: "2022-12-31", Fund: famiv1.Fund_FUND_FAMI_2021_2027}})
				return err
			},
			name:  projectName,
			label: func(b batched) string { return b.(*famiv1.Project).GetTitle() },
			get: func(ctx context.Context, s surface, names []string) ([]batched, error) {
				res, err := s.BatchGetProjects(ctx, &famiv1.BatchGetProjectsRequest{Parent: lombardia, Names: names})
				return asBatched(res.GetProjects()), err
			},
		},
	}
}

func asBatched[T batched](items []T) []batched {
	out := make([]batched, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// TestBatchGet reads partners, networks and projects by name in one call, on
// every surface (AIP-231): in the order asked, a name asked twice answered
// twice; all or none, so a missing one fails the call with NOT_FOUND
// naming its field; no names, more than resource.MaxBatchGet, an empty
// name, a name of another region or of another collection are refused,
// each naming its field.
func TestBatchGet(t *testing.T) {
	t.Parallel()
	for method, b := range batchGetters() {
		t.Run(method, func(t *testing.T) {
			onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
				testBatchGet(t, newSurface(t, ts, kind), b)
			})
		})
	}
}

func testBatchGet(t *testing.T, s surface, b batchGetter) {
	ctx := t.Context()
	for i, name := range []string{"Bergamo", "Brescia", "Como"} {
		if err := b.create(ctx, s, fmt.Sprintf("p%d", i), name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	p := func(i int) string { return b.name(fmt.Sprintf("p%d", i)) }
	res := mustOK(b.get(ctx, s, []string{p(2), p(0), p(2)}))(t, "three names, one twice")
	var got []string
	for _, it := range res {
		got = append(got, it.GetName()+" "+b.label(it))
	}
	want := []string{p(2) + " Como", p(0) + " Bergamo", p(2) + " Como"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("three names, one twice: got %q, want %q", got, want)
	}
	if it := res[0]; it.GetEtag() == "" || it.GetCreateTime() == nil {
		t.Errorf("a resource read in a batch lacks its etag or create time: %v", it)
	}

	_, err := b.get(ctx, s, []string{p(0), b.name("nessuno"), p(1)})
	checkErr(t, "a missing one among three", err, wantErr{code: codes.NotFound, reason: "NOT_FOUND", fields: []string{"names[1]"}})

	most := make([]string, resource.MaxBatchGet)
	for i := range most {
		most[i] = p(i % 3)
	}
	if res := mustOK(b.get(ctx, s, most))(t, "the most names"); len(res) != len(most) {
		t.Errorf("%d names answered with %d resources", len(most), len(res))
	}
	other := partnerName("p0")
	if other == p(0) {
		other = networkName("p0")
	}
	for _, c := range []struct {
		what   string
		names  []string
		fields []string
	}{
		{"no names", nil, []string{"names"}},
		{"one name too many", append(most, p(0)), []string{"names"}},
		{"an empty name", []string{p(0), ""}, []string{"names[1]"}},
		{"one of another region", []string{p(0), "regions/veneto" + p(0)[len(lombardia):]}, []string{"names[1]"}},
		{"a name of another collection", []string{other, p(0)[:len(p(0))-len("p0")] + "../p0"}, []string{"names[0]", "names[1]"}},
	} {
		_, err := b.get(ctx, s, c.names)
		checkErr(t, c.what, err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: c.fields})
	}
}

// TestBatchGetPastTheAnswerBytes: a batch Get whose answer would pass a
// page's bytes (aip.MaxPageBytes) is refused, on every surface, as a
// request its caller fixes, INVALID_ARGUMENT (REST 400) with the reason
// BATCH_TOO_LARGE, naming the first name that does not fit: the caller
// asks for the names before it, then for the rest. It was
// FAILED_PRECONDITION, the code of a state the caller cannot change by
// asking otherwise (AIP-193).
func TestBatchGetPastTheAnswerBytes(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		// As large as a partner gets: a plan office of 2,000
		// municipalities, a description of 4,000 four-byte characters.
		istat := make([]string, 2000)
		for i := range istat {
			istat[i] = fmt.Sprintf("%03d%03d", 15+i/1000, i%1000)
		}
		big := mustOK(s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp", Partner: &famiv1.Partner{
			DisplayName: "Ufficio di Piano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, Municipalities: istat, Description: strings.Repeat("🙂", 4000)}}))(t, "a large partner")
		names := slices.Repeat([]string{big.GetName()}, resource.MaxBatchGet)
		first := aip.MaxPageBytes / proto.Size(big)
		if first >= len(names) {
			t.Fatalf("%d copies of a partner of %d bytes fit in a page's %d bytes", len(names), proto.Size(big), aip.MaxPageBytes)
		}
		_, err := s.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia, Names: names})
		checkErr(t, "an answer past a page's bytes", err, wantErr{code: codes.InvalidArgument, reason: "BATCH_TOO_LARGE", fields: []string{errs.Indexed("names", first)}})
		if res := mustOK(s.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: lombardia, Names: names[:first]}))(t, "the names before it"); len(res.GetPartners()) != first {
			t.Errorf("the %d names before the refused one answered with %d partners", first, len(res.GetPartners()))
		}
	})
}
