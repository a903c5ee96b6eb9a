package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

const (
	lombardia   = "regions/lombardia"
	errorDomain = "raccordo.fami"
)

// TestScenarioEverySurface runs one scenario through grpc-go on the gRPC
// port, connect-go with the Connect protocol and with gRPC-Web, and plain
// HTTP/JSON on the REST paths, each against its own fresh server, and
// requires the four transcripts to be identical.
func TestScenarioEverySurface(t *testing.T) {
	t.Parallel()
	onEverySurface(t, server.Config{MunicipalitiesFile: municipalitiesFile}, brief, true, func(on *onSurface) {
		newScenario(on).run()
	})
}

// scenario runs the steps on one surface, checks each outcome and records
// it in a transcript the surfaces are compared by (results without their
// timestamps, which differ between servers).
type scenario struct {
	*transcript
	ctx context.Context
	// s calls as a region_admin of lombardia, ministry as the ministry,
	// anonymous without a token.
	s, ministry, anonymous surface
}

func newScenario(on *onSurface) *scenario {
	return &scenario{
		transcript: on.transcript,
		ctx:        on.ctx,
		s:          newSurface(on.t, on.ts, on.kind),
		ministry:   on.as(ministrySpec),
		anonymous:  newSurfaceAs(on.t, on.ts, on.kind, ""),
	}
}

// wantErr is the error a step must fail with.
type wantErr struct {
	code   codes.Code
	reason string
	// fields are the field violations, exactly and in order.
	fields []string
}

// restStatus is the HTTP status of e: the one REST answered, or the one
// it answers for e's code and reason on the other surfaces.
func restStatus(e *callError) int {
	if e.HTTPStatus != 0 {
		return e.HTTPStatus
	}
	return server.HTTPStatus(e.Code, e.Reason)
}

// wantLimit checks that err's metadata names the limit refusing step: the
// resource at it, its items and the limit, as errs.AtLimit gives them.
func wantLimit(t *testing.T, step string, err error, resource, items string, limit int) {
	t.Helper()
	want := map[string]string{"resource": resource, "items": items, "limit": strconv.Itoa(limit)}
	if ce, ok := asCallError(err); ok && !maps.Equal(ce.Metadata, want) {
		t.Errorf("%s: metadata %v, want %v", step, ce.Metadata, want)
	}
}

// checkErr checks that err is the error want describes.
func checkErr(t *testing.T, step string, err error, want wantErr) {
	t.Helper()
	e, ok := asCallError(err)
	if !ok {
		t.Errorf("%s: got %v, want %s", step, err, upperSnake(want.code))
		return
	}
	if e.Code != want.code {
		t.Errorf("%s: got code %s, want %s (%v)", step, upperSnake(e.Code), upperSnake(want.code), e)
	}
	if e.HTTPStatus != 0 {
		if got, wantHTTP := e.HTTPStatus, server.HTTPStatus(want.code, want.reason); got != wantHTTP {
			t.Errorf("%s: got HTTP status %d, want %d", step, got, wantHTTP)
		}
	} else if e.Domain != errorDomain {
		t.Errorf("%s: got ErrorInfo domain %q, want %q", step, e.Domain, errorDomain)
	}
	if e.Reason != want.reason {
		t.Errorf("%s: got reason %q, want %q", step, e.Reason, want.reason)
	}
	if !slices.Equal(e.Fields, want.fields) {
		t.Errorf("%s: got field violations %q, want %q", step, e.Fields, want.fields)
	}
}

// equal reports a difference between got and want, timestamps ignored.
func (sc *scenario) equal(step string, got, want proto.Message) {
	sc.t.Helper()
	if !proto.Equal(withoutTimes(got), withoutTimes(want)) {
		sc.t.Errorf("%s:\n got  %s\n want %s", step, brief(got), brief(want))
	}
}

// revision returns the region's revision as a List response reports it.
func (sc *scenario) revision(step string) int64 {
	sc.t.Helper()
	res, err := sc.s.ListPartners(sc.ctx, &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: 1})
	if err != nil {
		sc.t.Fatalf("%s: list partners: %v", step, err)
	}
	return res.GetRevision()
}

func partnerName(id string) string { return lombardia + "/partners/" + id }
func projectName(id string) string { return lombardia + "/projects/" + id }
func networkName(id string) string { return lombardia + "/networks/" + id }

func (sc *scenario) run() {
	t, ctx, s := sc.t, sc.ctx, sc.s

	// Reference data.
	regions, err := s.ListRegions(ctx, &famiv1.ListRegionsRequest{})
	if sc.ok("list regions", err, regions) && len(regions.GetRegions()) != 21 {
		t.Errorf("list regions: got %d regions, want 21", len(regions.GetRegions()))
	}

	// Three partners; each mutation takes the region's next revision,
	// which is the etag.
	partners := []struct {
		id string
		p  *famiv1.Partner
	}{
		{"comune-milano", &famiv1.Partner{DisplayName: "Comune di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY, IstatCode: "015146", FiscalCode: "01199250158"}},
		{"udp-milano", &famiv1.Partner{DisplayName: "Ufficio di Piano di Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, FiscalCode: "80034840167"}},
		{"cpia-milano", &famiv1.Partner{DisplayName: "CPIA 5 Milano", Kind: famiv1.PartnerKind_PARTNER_KIND_ADULT_EDUCATION_CENTRE}},
	}
	created := map[string]*famiv1.Partner{}
	for i, c := range partners {
		step := "create partner " + c.id
		got, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: c.id, Partner: c.p})
		sc.must(step, err, got)
		want := proto.CloneOf(c.p)
		want.Name, want.Etag = partnerName(c.id), fmt.Sprint(i+1)
		sc.equal(step, got, want)
		if got.GetCreateTime() == nil || !proto.Equal(got.GetCreateTime(), got.GetUpdateTime()) {
			t.Errorf("%s: got create_time %v and update_time %v, want both set and equal", step, got.GetCreateTime(), got.GetUpdateTime())
		}
		created[c.id] = got
	}

	got, err := s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("udp-milano")})
	if sc.ok("get partner udp-milano", err, got) && !proto.Equal(got, created["udp-milano"]) {
		t.Errorf("get partner udp-milano: got %v, want %v", got, created["udp-milano"])
	}

	// Paging: stable id order, a token while more remain.
	page1, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: 2})
	sc.must("list partners page 1", err, page1)
	if got, want := names(page1.GetPartners()), []string{partnerName("comune-milano"), partnerName("cpia-milano")}; !slices.Equal(got, want) || page1.GetNextPageToken() == "" || page1.GetRevision() != 3 {
		t.Errorf("list partners page 1: got %q, token %q, revision %d; want %q, a token, revision 3", got, page1.GetNextPageToken(), page1.GetRevision(), want)
	}
	page2, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: 2, PageToken: page1.GetNextPageToken()})
	sc.must("list partners page 2", err, page2)
	if got, want := names(page2.GetPartners()), []string{partnerName("udp-milano")}; !slices.Equal(got, want) || page2.GetNextPageToken() != "" || page2.GetRevision() != 3 {
		t.Errorf("list partners page 2: got %q, token %q, revision %d; want %q, no token, revision 3", got, page2.GetNextPageToken(), page2.GetRevision(), want)
	}

	// A project, then extended: the end date moves and the history keeps
	// the previous one.
	project := &famiv1.Project{
		Code:        "PROG-2463",
		Cup:         "E89F18000510007",
		Title:       "Lab'Impact",
		Fund:        famiv1.Fund_FUND_FAMI_2014_2020,
		Actions:     []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Accesso ai servizi"}},
		BudgetCents: 925000000,
		StartDate:   "2018-09-01",
		EndDate:     "2021-12-31",
	}
	proj, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: project})
	sc.must("create project lab-impact", err, proj)
	wantProj := proto.CloneOf(project)
	wantProj.Name, wantProj.Etag = projectName("lab-impact"), "4"
	sc.equal("create project lab-impact", proj, wantProj)

	ext := &famiv1.Extension{EndDate: "2023-06-30", ActReference: "Decreto di proroga"}
	proj, err = s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: projectName("lab-impact"), Extension: ext, Etag: proj.GetEtag()})
	sc.must("extend project lab-impact", err, proj)
	wantProj.EndDate, wantProj.Etag = "2023-06-30", "5"
	wantProj.Extensions = []*famiv1.Extension{{EndDate: "2023-06-30", PreviousEndDate: "2021-12-31", ActReference: "Decreto di proroga"}}
	sc.equal("extend project lab-impact", proj, wantProj)

	// A network led by the plan office, implementing action 02.
	network := &famiv1.Network{
		DisplayName: "Rete Milano",
		LeadPartner: partnerName("udp-milano"),
		Members: []*famiv1.Member{
			{Partner: partnerName("udp-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD},
			{Partner: partnerName("cpia-milano"), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER},
		},
		Projects: []*famiv1.NetworkProject{{Project: projectName("lab-impact"), Actions: []string{"02"}}},
	}
	net, err := s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete-milano", Network: network})
	sc.must("create network rete-milano", err, net)
	wantNet := proto.CloneOf(network)
	wantNet.Name, wantNet.Etag, wantNet.State = networkName("rete-milano"), "6", famiv1.NetworkState_NETWORK_STATE_ACTIVE
	sc.equal("create network rete-milano", net, wantNet)

	// Update guarded by the etag just read; the etag changes.
	readEtag := net.GetEtag()
	upd, err := s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: networkName("rete-milano"), DisplayName: "Rete territoriale di Milano", Etag: readEtag},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	})
	if sc.ok("update network display_name", err, upd) {
		wantNet.DisplayName, wantNet.Etag = "Rete territoriale di Milano", "7"
		sc.equal("update network display_name", upd, wantNet)
		if upd.GetEtag() == readEtag {
			t.Errorf("update network display_name: etag stayed %q, want a new one", readEtag)
		}
	}
	// The same etag again is stale now.
	_, err = s.UpdateNetwork(ctx, &famiv1.UpdateNetworkRequest{
		Network:    &famiv1.Network{Name: networkName("rete-milano"), DisplayName: "Rete di Milano", Etag: readEtag},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	})
	sc.fails("update network with a stale etag", err, wantErr{codes.Aborted, "ETAG_MISMATCH", nil})
	gotNet, err := s.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: networkName("rete-milano")})
	if sc.ok("get network rete-milano", err, gotNet) {
		sc.equal("get network rete-milano", gotNet, wantNet)
	}
	nets, err := s.ListNetworks(ctx, &famiv1.ListNetworksRequest{Parent: lombardia})
	if sc.ok("list networks", err, nets) && (len(nets.GetNetworks()) != 1 || nets.GetRevision() != 7) {
		t.Errorf("list networks: got %d networks at revision %d, want 1 at revision 7", len(nets.GetNetworks()), nets.GetRevision())
	}

	// Idempotent retry: the same request_id and body return the first
	// result and write nothing; another body under the same id is refused.
	retry := &famiv1.CreatePartnerRequest{
		Parent:    lombardia,
		PartnerId: "caritas",
		RequestId: "4b1d6a52-6f1c-4a0e-9f54-0c9c1f6d2e11",
		Partner:   &famiv1.Partner{DisplayName: "Caritas Ambrosiana", Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR},
	}
	first, err := s.CreatePartner(ctx, proto.CloneOf(retry))
	sc.must("create partner caritas with a request_id", err, first)
	second, err := s.CreatePartner(ctx, proto.CloneOf(retry))
	if sc.ok("retry create partner caritas", err, second) && !proto.Equal(first, second) {
		t.Errorf("retry create partner caritas: got %v, want the first result %v", second, first)
	}
	all, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
	if sc.ok("list partners after the retry", err, all) && (len(all.GetPartners()) != 4 || all.GetRevision() != 8) {
		t.Errorf("list partners after the retry: got %d partners at revision %d, want 4 at revision 8", len(all.GetPartners()), all.GetRevision())
	}
	reused := proto.CloneOf(retry)
	reused.Partner.DisplayName = "Caritas"
	_, err = s.CreatePartner(ctx, reused)
	sc.fails("reuse request_id for another body", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"request_id"}})

	// Not found, in the region and across regions; another region's data
	// is refused to a region admin whether or not it exists, and every
	// registry read needs a token.
	_, err = s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("missing")})
	sc.fails("get a missing partner", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
	_, err = sc.ministry.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: "regions/veneto/partners/comune-milano"})
	sc.fails("ministry gets a lombardia partner id under veneto", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
	_, err = s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: "regions/veneto/partners/comune-milano"})
	sc.fails("lombardia admin gets a partner under veneto", err, wantErr{codes.PermissionDenied, "OUTSIDE_REGION", nil})
	_, err = sc.anonymous.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("comune-milano")})
	sc.fails("get a partner without a token", err, wantErr{codes.Unauthenticated, "TOKEN_REQUIRED", nil})
	got, err = sc.ministry.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("comune-milano")})
	if sc.ok("ministry gets a lombardia partner", err, got) && !proto.Equal(got, created["comune-milano"]) {
		t.Errorf("ministry gets a lombardia partner: got %v, want %v", got, created["comune-milano"])
	}

	// A partner a network references cannot go.
	_, err = s.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("udp-milano")})
	sc.fails("delete a partner a network references", err, wantErr{codes.FailedPrecondition, "PARTNER_IN_USE", nil})

	// Invalid input names the field and writes nothing.
	before := sc.revision("before the invalid calls")
	invalid := []struct {
		step string
		call func() error
		want []string
	}{
		{"create partner with a wrong fiscal code check digit", func() error {
			_, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "fondazione", Partner: &famiv1.Partner{
				DisplayName: "Fondazione Cariplo", Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR, FiscalCode: "01199250159"}})
			return err
		}, []string{"partner.fiscal_code"}},
		{"create municipality with an unknown ISTAT code", func() error {
			_, err := s.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "comune-ignoto", Partner: &famiv1.Partner{
				DisplayName: "Comune ignoto", Kind: famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY, IstatCode: "999999"}})
			return err
		}, []string{"partner.istat_code"}},
		{"create network led by a partner that is not its LEAD member", func() error {
			n := proto.CloneOf(network)
			n.LeadPartner = partnerName("cpia-milano")
			_, err := s.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: lombardia, NetworkId: "rete-cpia", Network: n})
			return err
		}, []string{"network.lead_partner"}},
		{"list partners with page_size -1", func() error {
			_, err := s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia, PageSize: -1})
			return err
		}, []string{"page_size"}},
		{"update partner with an unknown field in update_mask", func() error {
			_, err := s.UpdatePartner(ctx, &famiv1.UpdatePartnerRequest{
				Partner:    &famiv1.Partner{Name: partnerName("cpia-milano")},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"no_such_field"}},
			})
			return err
		}, []string{"update_mask"}},
		{"extend project to an earlier end date", func() error {
			_, err := s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: projectName("lab-impact"), Extension: &famiv1.Extension{EndDate: "2022-01-31"}})
			return err
		}, []string{"extension.end_date"}},
	}
	for _, c := range invalid {
		sc.fails(c.step, c.call(), wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", c.want})
	}
	if after := sc.revision("after the invalid calls"); after != before {
		t.Errorf("revision after the invalid calls: got %d, want %d (unchanged)", after, before)
	}
	sc.record("revision after the invalid calls: %d", before)

	// A partner nothing references goes, but only at its current etag.
	_, err = s.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("caritas"), Etag: "1"})
	sc.fails("delete partner caritas with a stale etag", err, wantErr{codes.Aborted, "ETAG_MISMATCH", nil})
	_, err = s.DeletePartner(ctx, &famiv1.DeletePartnerRequest{Name: partnerName("caritas"), Etag: first.GetEtag()})
	if err != nil {
		t.Errorf("delete partner caritas: %v", err)
	}
	sc.record("delete partner caritas: %v", err)
	_, err = s.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partnerName("caritas")})
	sc.fails("get the deleted partner", err, wantErr{codes.NotFound, "NOT_FOUND", nil})
	all, err = s.ListPartners(ctx, &famiv1.ListPartnersRequest{Parent: lombardia})
	if sc.ok("list partners at the end", err, all) && (len(all.GetPartners()) != 3 || all.GetRevision() != 9) {
		t.Errorf("list partners at the end: got %d partners at revision %d, want 3 at revision 9", len(all.GetPartners()), all.GetRevision())
	}
}

// names lists the resources' names.
func names[T interface{ GetName() string }](items []T) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.GetName())
	}
	return out
}

// withoutTimes returns a copy of m without create_time and update_time,
// at any depth.
func withoutTimes(m proto.Message) proto.Message {
	if m == nil {
		return nil
	}
	c := proto.Clone(m)
	clearFields(c.ProtoReflect(), func(fd protoreflect.FieldDescriptor) bool {
		return fd.Name() == "create_time" || fd.Name() == "update_time"
	})
	return c
}

// clearFields clears, at any depth of m (in messages and lists of
// messages, not maps), the fields for which drop is true.
func clearFields(m protoreflect.Message, drop func(protoreflect.FieldDescriptor) bool) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case drop(fd):
			m.Clear(fd)
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				clearFields(v.List().Get(i).Message(), drop)
			}
		case fd.Message() != nil && !fd.IsMap():
			clearFields(v.Message(), drop)
		}
		return true
	})
}

// brief renders m without its timestamps for a transcript.
func brief(m proto.Message) string {
	b, err := protojson.Marshal(withoutTimes(m))
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	// protojson's spacing is deliberately unstable; compact it.
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return buf.String()
}

// diffLines is a minimal line diff of two transcripts: "" when equal.
func diffLines(want, got []string) string {
	var b strings.Builder
	n := max(len(want), len(got))
	for i := range n {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			fmt.Fprintf(&b, "step %d:\n- %s\n+ %s\n", i, w, g)
		}
	}
	return b.String()
}
