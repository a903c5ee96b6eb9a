package resource_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// seeded returns a real bbolt store with Lombardia's partners p01..p{n}.
func seeded(t *testing.T, n int) (store.Store, context.Context) {
	t.Helper()
	return seededWith(t, n, func(i int) *famiv1.Partner {
		id := "p" + string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10))
		return &famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, id), DisplayName: "Partner " + id}
	})
}

// seededWith returns a real bbolt store with Lombardia's n partners,
// partner(0) to partner(n-1), written in one transaction, and a context
// of the region's admin.
func seededWith(tb testing.TB, n int, partner func(i int) *famiv1.Partner) (store.Store, context.Context) {
	tb.Helper()
	s := bolttest.Open(tb, tb.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	ctx := principal.With(context.Background(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	_, err := store.Mutate(ctx, s, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
		for i := range n {
			if err := tx.Put(partner(i)); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s, ctx
}

func TestListPagesInIDOrderWithFilter(t *testing.T) {
	s, ctx := seeded(t, 7)
	odd := func(p *famiv1.Partner) bool { return (p.GetName()[len(p.GetName())-1]-'0')%2 == 1 }
	var got []string
	token := ""
	pages := 0
	list := func(pageSize int32, token string, keep func(*famiv1.Partner) bool) (*famiv1.ListPartnersResponse, error) {
		req := &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: pageSize, PageToken: token}
		return resource.ListAnswer[*famiv1.ListPartnersResponse](ctx, s, resource.Partners, req, nil, keep)
	}
	for {
		res, err := list(2, token, odd)
		if err != nil {
			t.Fatal(err)
		}
		if res.GetRevision() == 0 {
			t.Errorf("revision 0 after a write")
		}
		pages++
		for _, p := range res.GetPartners() {
			got = append(got, resource.ID(p.GetName()))
		}
		if res.GetNextPageToken() == "" {
			break
		}
		token = res.GetNextPageToken()
	}
	if strings.Join(got, ",") != "p01,p03,p05,p07" || pages != 2 {
		t.Errorf("got %v in %d pages, want p01,p03,p05,p07 in 2", got, pages)
	}
	if _, err := list(-1, "", nil); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("negative page size: got %v, want INVALID_ARGUMENT", err)
	}
	if _, err := list(0, "forged", nil); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("forged token: got %v, want INVALID_ARGUMENT", err)
	}
}

// TestListAnswer answers a standard List request with its standard
// response, the parent's error first, then the filters' violations, and a
// response that is not the collection's refused.
func TestListAnswer(t *testing.T) {
	s, ctx := seeded(t, 3)
	req := &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 2}
	res, err := resource.ListAnswer[*famiv1.ListPartnersResponse, *famiv1.Partner](ctx, s, resource.Partners, req, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetPartners()) != 2 || res.GetNextPageToken() == "" || res.GetRevision() == 0 {
		t.Fatalf("first page = %v", res)
	}
	req.PageToken = res.GetNextPageToken()
	res, err = resource.ListAnswer[*famiv1.ListPartnersResponse](ctx, s, resource.Partners, req, nil,
		func(p *famiv1.Partner) bool { return p.GetDisplayName() != "Partner p03" })
	if err != nil || len(res.GetPartners()) != 0 || res.GetNextPageToken() != "" {
		t.Errorf("filtered last page = %v, %v; want empty and last", res, err)
	}

	bad := func(v *errs.Violations) { v.Add("kind", "is bad") }
	for parent, want := range map[string]string{"nope": "parent", "regions/lombardia": "kind"} {
		_, err := resource.ListAnswer[*famiv1.ListPartnersResponse, *famiv1.Partner](ctx, s, resource.Partners, &famiv1.ListPartnersRequest{Parent: parent}, bad, nil)
		if e := errs.As(err); e == nil || len(e.Violations) != 1 || e.Violations[0].Field != want {
			t.Errorf("parent %q and a bad filter: got %v, want the violation of %s", parent, err, want)
		}
	}
	if _, err := resource.ListAnswer[*famiv1.ListNetworksResponse, *famiv1.Partner](ctx, s, resource.Partners, req, nil, nil); err == nil {
		t.Errorf("partners answered as networks")
	}
}

// TestListWithin reads the page in the snapshot open chose its collection
// and filter in, and answers open's and the filter's errors as they are.
func TestListWithin(t *testing.T) {
	s, ctx := seeded(t, 3)
	req := &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 5}
	var opened int64
	res, err := resource.ListWithin[*famiv1.ListPartnersResponse](ctx, s, "lombardia", req, func(tx store.ReadTx) (string, func(*famiv1.Partner) (bool, error), error) {
		opened = tx.Revision()
		return resource.Partners, func(p *famiv1.Partner) (bool, error) { return p.GetDisplayName() != "Partner p02", nil }, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.GetPartners() {
		got = append(got, resource.ID(p.GetName()))
	}
	if strings.Join(got, ",") != "p01,p03" || res.GetNextPageToken() != "" || res.GetRevision() != opened || opened == 0 {
		t.Errorf("got %v, next %q, revision %d; want p01,p03, last, revision %d", got, res.GetNextPageToken(), res.GetRevision(), opened)
	}
	missing := errs.NotFound.New("no parent")
	_, err = resource.ListWithin[*famiv1.ListPartnersResponse](ctx, s, "lombardia", req, func(store.ReadTx) (string, func(*famiv1.Partner) (bool, error), error) {
		return "", nil, missing
	})
	if err != missing {
		t.Errorf("open's error: got %v, want %v", err, missing)
	}
	damaged := errs.RecordCorrupt.New("a record the filter reads is damaged")
	res, err = resource.ListWithin[*famiv1.ListPartnersResponse](ctx, s, "lombardia", req, func(store.ReadTx) (string, func(*famiv1.Partner) (bool, error), error) {
		return resource.Partners, func(p *famiv1.Partner) (bool, error) {
			if p.GetDisplayName() == "Partner p02" {
				return false, damaged
			}
			return true, nil
		}, nil
	})
	if err != damaged || res != nil {
		t.Errorf("the filter's error: got %v, %v; want no page and %v", res, err, damaged)
	}
	req.PageToken = "forged"
	if _, err := resource.ListWithin[*famiv1.ListPartnersResponse](ctx, s, "lombardia", req, func(store.ReadTx) (string, func(*famiv1.Partner) (bool, error), error) {
		t.Error("open ran with a forged page token")
		return resource.Partners, nil, nil
	}); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("forged token: got %v, want INVALID_ARGUMENT", err)
	}
}

func TestChange(t *testing.T) {
	s, ctx := seeded(t, 1)
	name := aip.Name("lombardia", resource.Partners, "p01")
	rename := func(tx store.WriteTx, cur *famiv1.Partner) (*famiv1.Partner, error) {
		if tx.Region() != "lombardia" {
			t.Errorf("tx.Region() = %q", tx.Region())
		}
		cur.DisplayName = "Renamed"
		return cur, tx.Put(cur)
	}
	got, err := resource.Change(ctx, s, resource.Partners, &famiv1.DeletePartnerRequest{Name: name}, rename)
	if err != nil || got.GetDisplayName() != "Renamed" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, tc := range []struct {
		req  *famiv1.DeletePartnerRequest
		code errs.Code
	}{
		{&famiv1.DeletePartnerRequest{Name: "regions/lombardia/projects/p01"}, errs.Invalid},
		{&famiv1.DeletePartnerRequest{Name: "regions/atlantide/partners/p01"}, errs.NotFound},
		{&famiv1.DeletePartnerRequest{Name: aip.Name("lombardia", resource.Partners, "p99")}, errs.NotFound},
		{&famiv1.DeletePartnerRequest{Name: name, Etag: "stale"}, errs.Conflict},
		{&famiv1.DeletePartnerRequest{Name: name, RequestId: strings.Repeat("x", 200)}, errs.Invalid},
	} {
		if _, err := resource.Change(ctx, s, resource.Partners, tc.req, rename); errs.CodeOf(err) != tc.code {
			t.Errorf("%v: got %v, want %v", tc.req, err, tc.code)
		}
	}
	// A request's own fields are checked after its name, before its
	// request_id.
	reason := func(v *errs.Violations) { v.Add("reason", "is required") }
	for _, tc := range []struct {
		req   *famiv1.DeletePartnerRequest
		field string
	}{
		{&famiv1.DeletePartnerRequest{Name: "regions/lombardia/projects/p01"}, "name"},
		{&famiv1.DeletePartnerRequest{Name: name, RequestId: strings.Repeat("x", 200)}, "reason"},
	} {
		_, err := resource.ChangeChecked(ctx, s, resource.Partners, tc.req, reason, rename)
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != tc.field {
			t.Errorf("%v: got %v, want INVALID_ARGUMENT on %s", tc.req, err, tc.field)
		}
	}
}

func TestRef(t *testing.T) {
	s, _ := seeded(t, 1)
	err := s.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
		lombardia := func(v *errs.Violations) resource.Refs { return resource.Refs{Tx: tx, V: v, Region: "lombardia"} }
		var v errs.Violations
		if !lombardia(&v).Required("partner", "regions/lombardia/partners/p01", resource.Partners, &famiv1.Partner{}) || v.Len() != 0 {
			t.Errorf("existing partner refused: %v", v.List())
		}
		for _, name := range []string{"", "regions/lombardia/partners/p99", "regions/veneto/partners/p01", "regions/lombardia/networks/p01"} {
			var v errs.Violations
			if lombardia(&v).Required("partner", name, resource.Partners, &famiv1.Partner{}) || v.Len() != 1 || v.List()[0].Field != "partner" {
				t.Errorf("%q: got violations %v, want one of partner", name, v.List())
			}
		}
		var v2 errs.Violations
		if lombardia(&v2).Optional("partner", "", resource.Partners, &famiv1.Partner{}) || v2.Len() != 0 {
			t.Errorf("optional empty ref: got %v", v2.List())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRefToADamagedRecord: a referenced record that fails its checksum
// is never taken for a valid reference, nor for a missing one: the check
// fails with the store's DATA_LOSS. Its name is still taken (Absent).
func TestRefToADamagedRecord(t *testing.T) {
	dir := t.TempDir()
	opts := bolt.Options{Regions: []string{"lombardia"}}
	s, err := bolt.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Mutate(context.Background(), s, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
		return &emptypb.Empty{}, tx.Put(&famiv1.Partner{Name: "regions/lombardia/partners/p01", DisplayName: "MARKER-damaged"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	bolttest.Damage(t, dir, "lombardia", "MARKER-damaged")
	s = bolttest.Open(t, dir, opts)
	err = s.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
		var v errs.Violations
		if (resource.Refs{Tx: tx, V: &v, Region: "lombardia"}).Required("partner", "regions/lombardia/partners/p01", resource.Partners, &famiv1.Partner{}) {
			t.Error("a damaged record passed as a valid reference")
		}
		bolttest.WantRecordCorrupt(t, "Ref", v.Err())
		// Taken, for a new resource: refused, never written over.
		if err := resource.Absent(tx, &famiv1.Partner{Name: "regions/lombardia/partners/p01"}, "partner_id"); errs.CodeOf(err) != errs.AlreadyExists {
			t.Errorf("Absent at a damaged record's name: got %v, want ALREADY_EXISTS", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAbsent: a new resource whose name is stored is refused with
// ALREADY_EXISTS naming it, and the stored one is left as it is; a free
// name passes.
func TestAbsent(t *testing.T) {
	s, _ := seeded(t, 1)
	err := s.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
		taken := &famiv1.Partner{Name: "regions/lombardia/partners/p01", DisplayName: "New"}
		err := resource.Absent(tx, taken, "partner_id")
		if errs.CodeOf(err) != errs.AlreadyExists || !strings.Contains(err.Error(), "regions/lombardia/partners/p01 already exists") {
			t.Errorf("taken name: got %v, want ALREADY_EXISTS naming it", err)
		}
		if taken.GetDisplayName() != "New" {
			t.Errorf("the new resource was overwritten: %v", taken)
		}
		if err := resource.Absent(tx, &famiv1.Partner{Name: "regions/lombardia/partners/p02"}, "partner_id"); err != nil {
			t.Errorf("free name: got %v", err)
		}
		e := errs.As(err)
		if e == nil || len(e.Violations) != 1 || e.Violations[0].Field != "partner_id" || e.Violations[0].Reason != "ALREADY_EXISTS" ||
			e.Violations[0].Description != "is taken: regions/lombardia/partners/p01 already exists" {
			t.Errorf("Absent: got %v, want ALREADY_EXISTS naming partner_id", e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCheckNameAnyRegion(t *testing.T) {
	var v errs.Violations
	resource.CheckName(&v, "partner", "", resource.Partners)
	resource.CheckName(&v, "partner", "regions/lombardia/partners/p01", resource.Partners)
	if v.Len() != 0 {
		t.Fatalf("valid filters refused: %v", v.List())
	}
	resource.CheckName(&v, "project", "regions/lombardia/partners/p01", resource.Projects)
	if l := v.List(); len(l) != 1 || l[0].Field != "project" || !strings.Contains(l[0].Description, "is not a project name") {
		t.Errorf("a partner as a project filter: got %v", l)
	}
}

func TestID(t *testing.T) {
	if got := resource.ID("regions/lombardia/partners/p01"); got != "p01" {
		t.Errorf("ID = %q", got)
	}
}

// TestRefIDAndCheckName: a List filter's name is checked for its form
// only (a resource of the collection, in the region for RefID), with the
// field named and the input echoed clipped; an empty one is no filter.
func TestRefIDAndCheckName(t *testing.T) {
	for _, c := range []struct {
		name, wantID, wantMsg string
	}{
		{"", "", ""},
		{"regions/lombardia/networks/n1", "n1", ""},
		{"regions/veneto/networks/n1", "", `"regions/veneto/networks/n1" is not a network of region "lombardia"`},
		{"regions/lombardia/partners/p1", "", `"regions/lombardia/partners/p1" is not a network of region "lombardia"`},
	} {
		var v errs.Violations
		if got := resource.RefID(&v, "network", c.name, "lombardia", resource.Networks); got != c.wantID {
			t.Errorf("RefID(%q) = %q, want %q", c.name, got, c.wantID)
		}
		if got := violationText(v); got != c.wantMsg {
			t.Errorf("RefID(%q): violation %q, want %q", c.name, got, c.wantMsg)
		}
	}
	for _, c := range []struct{ name, wantMsg string }{
		{"", ""},
		{"regions/veneto/partners/p1", ""},
		{"partners/p1", `"partners/p1" is not a partner name`},
	} {
		var v errs.Violations
		resource.CheckName(&v, "partner", c.name, resource.Partners)
		if got := violationText(v); got != c.wantMsg {
			t.Errorf("CheckName(%q): violation %q, want %q", c.name, got, c.wantMsg)
		}
	}
}

// violationText is the message of v's one violation, "" when it has none.
func violationText(v errs.Violations) string {
	if v.Len() == 0 {
		return ""
	}
	return v.List()[0].Description
}

func TestGet(t *testing.T) {
	s, ctx := seeded(t, 1)
	p, err := resource.Get[*famiv1.Partner](ctx, s, resource.Partners, "regions/lombardia/partners/p01")
	if err != nil || p.GetDisplayName() != "Partner p01" {
		t.Fatalf("got %v, %v", p, err)
	}
	for name, code := range map[string]errs.Code{
		"regions/lombardia/partners/p99":  errs.NotFound,
		"regions/atlantide/partners/p01":  errs.NotFound,
		"regions/lombardia/networks/p01":  errs.Invalid,
		"regions/lombardia/partners/p01/": errs.Invalid,
	} {
		if p, err := resource.Get[*famiv1.Partner](ctx, s, resource.Partners, name); errs.CodeOf(err) != code || p != nil {
			t.Errorf("%s: got %v, %v, want %v", name, p, err, code)
		}
	}
}

func TestCreate(t *testing.T) {
	s, ctx := seeded(t, 0)
	put := func(tx store.WriteTx, id string) (*famiv1.Partner, error) {
		p := &famiv1.Partner{Name: aip.Name(tx.Region(), resource.Partners, id), DisplayName: "New"}
		return p, tx.Put(p)
	}
	p, err := resource.Create(ctx, s, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia"}, "partner", &famiv1.Partner{}, "chosen", put)
	if err != nil || p.GetName() != "regions/lombardia/partners/chosen" {
		t.Fatalf("got %v, %v", p, err)
	}
	p, err = resource.Create(ctx, s, &famiv1.CreatePartnerRequest{Parent: "regions/lombardia"}, "partner", &famiv1.Partner{}, "", put)
	if err != nil || aip.CheckID("id", resource.ID(p.GetName())) != nil {
		t.Fatalf("picked id: got %v, %v", p, err)
	}
	var none *famiv1.Partner
	for _, tc := range []struct {
		parent, id, field string
		body              *famiv1.Partner
		code              errs.Code
	}{
		{"regions/atlantide", "", "", &famiv1.Partner{}, errs.NotFound},
		{"lombardia", "", "parent", &famiv1.Partner{}, errs.Invalid},
		{"regions/lombardia", "", "partner", none, errs.Invalid},
		{"regions/lombardia", "Bad_Id", "partner_id", &famiv1.Partner{}, errs.Invalid},
	} {
		_, err := resource.Create(ctx, s, &famiv1.CreatePartnerRequest{Parent: tc.parent}, "partner", tc.body, tc.id, put)
		e := errs.As(err)
		if e == nil || e.Code != tc.code || (tc.field != "" && (len(e.Violations) != 1 || e.Violations[0].Field != tc.field)) {
			t.Errorf("%+v: got %v, want %v on %q", tc, err, tc.code, tc.field)
		}
	}
}

func TestCreatePrepared(t *testing.T) {
	s, ctx := seeded(t, 0)
	revision := func() int64 {
		var rev int64
		if err := s.View(ctx, "lombardia", func(tx store.ReadTx) error { rev = tx.Revision(); return nil }); err != nil {
			t.Fatal(err)
		}
		return rev
	}
	var prepared []string
	prepare := func(name string, fail bool) func(region, id string) (*famiv1.Partner, error) {
		return func(region, id string) (*famiv1.Partner, error) {
			prepared = append(prepared, region+" "+id)
			if fail {
				return nil, errs.InvalidField("partner.display_name", "is required")
			}
			return &famiv1.Partner{Name: aip.Name(region, resource.Partners, id), DisplayName: name}, nil
		}
	}
	put := func(tx store.WriteTx, p *famiv1.Partner) (*famiv1.Partner, error) {
		if err := resource.Absent(tx, p, "partner_id"); err != nil {
			return nil, err
		}
		return p, tx.Put(p)
	}
	req := &famiv1.CreatePartnerRequest{Parent: "regions/lombardia"}
	p, err := resource.CreatePrepared(ctx, s, req, "partner", &famiv1.Partner{}, "chosen", prepare("New", false), put)
	if err != nil || p.GetName() != "regions/lombardia/partners/chosen" || p.GetDisplayName() != "New" || p.GetEtag() != "1" {
		t.Fatalf("got %v, %v", p, err)
	}
	if got, err := resource.Get[*famiv1.Partner](ctx, s, resource.Partners, p.GetName()); err != nil || got.GetDisplayName() != "New" {
		t.Fatalf("stored: got %v, %v", got, err)
	}
	// The transaction still reads the store: a second create of the name
	// is refused there.
	if _, err := resource.CreatePrepared(ctx, s, req, "partner", &famiv1.Partner{}, "chosen", prepare("Again", false), put); errs.CodeOf(err) != errs.AlreadyExists {
		t.Fatalf("second create: got %v, want AlreadyExists", err)
	}
	// prepare's violations fail the request with nothing written...
	rev := revision()
	_, err = resource.CreatePrepared(ctx, s, req, "partner", &famiv1.Partner{}, "other", prepare("", true), put)
	if e := errs.As(err); e == nil || e.Code != errs.Invalid || e.Violations[0].Field != "partner.display_name" || revision() != rev {
		t.Fatalf("prepare failing: got %v, revision %d (was %d)", err, revision(), rev)
	}
	// ...and come after those of the id and the request_id, as Create's.
	prepared = nil
	bad := &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", RequestId: "bad\x00id"}
	for _, tc := range []struct {
		req   *famiv1.CreatePartnerRequest
		id    string
		field string
	}{
		{req, "Bad_Id", "partner_id"},
		{bad, "fine", "request_id"},
	} {
		_, err := resource.CreatePrepared(ctx, s, tc.req, "partner", &famiv1.Partner{}, tc.id, prepare("", true), put)
		if e := errs.As(err); e == nil || len(e.Violations) != 1 || e.Violations[0].Field != tc.field {
			t.Errorf("%+v: got %v, want a violation of %s", tc, err, tc.field)
		}
	}
	if len(prepared) != 0 {
		t.Errorf("prepare ran for requests refused before it: %v", prepared)
	}
}

func TestUpdate(t *testing.T) {
	s, ctx := seeded(t, 1)
	rename := func(tx store.WriteTx, cur *famiv1.Partner) (*famiv1.Partner, error) {
		cur.DisplayName = "Renamed"
		return cur, tx.Put(cur)
	}
	req := &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: "regions/lombardia/partners/p01"}}
	if p, err := resource.Update(ctx, s, req, "partner", req.GetPartner(), resource.Partners, rename); err != nil || p.GetDisplayName() != "Renamed" {
		t.Fatalf("got %v, %v", p, err)
	}
	for _, tc := range []struct {
		in    *famiv1.Partner
		field string
	}{
		{nil, "partner"},
		{&famiv1.Partner{Name: "regions/lombardia/networks/p01"}, "partner.name"},
	} {
		req := &famiv1.UpdatePartnerRequest{Partner: tc.in}
		_, err := resource.Update(ctx, s, req, "partner", req.GetPartner(), resource.Partners, rename)
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != tc.field {
			t.Errorf("%v: got %v, want INVALID_ARGUMENT on %s", tc.in, err, tc.field)
		}
	}
	stale := &famiv1.UpdatePartnerRequest{Partner: &famiv1.Partner{Name: "regions/lombardia/partners/p01", Etag: "stale"}}
	if _, err := resource.Update(ctx, s, stale, "partner", stale.GetPartner(), resource.Partners, rename); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("stale etag: got %v, want ABORTED", err)
	}
}

// TestBatchGetBoundedInBytes: a batch Get whose answer would pass a
// page's bytes (aip.MaxPageBytes) is refused, all or none, as a request
// its caller fixes (INVALID_ARGUMENT, BATCH_TOO_LARGE), naming the first
// name that does not fit, so that the caller can ask for those before it
// and then for the rest; a single resource past the budget is
// answered alone, as Get answers it.
func TestBatchGetBoundedInBytes(t *testing.T) {
	s, ctx := seeded(t, 0)
	big := func(id string, size int) string {
		name := aip.Name("lombardia", resource.Partners, id)
		_, err := store.Mutate(ctx, s, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
			return &emptypb.Empty{}, tx.Put(&famiv1.Partner{Name: name, DisplayName: id, Description: strings.Repeat("x", size)})
		})
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	third := aip.MaxPageBytes / 3
	a, b, c, huge := big("a", third), big("b", third), big("c", third), big("huge", aip.MaxPageBytes+1)
	batch := func(names ...string) ([]*famiv1.Partner, error) {
		return resource.BatchGet[*famiv1.Partner](ctx, s, resource.Partners, &famiv1.BatchGetPartnersRequest{Parent: "regions/lombardia", Names: names})
	}

	if got, err := batch(a, b); err != nil || len(got) != 2 {
		t.Errorf("two thirds of a page: got %d partners, %v", len(got), err)
	}
	for _, names := range [][]string{{a, b, c}, {a, b, a}, {a, huge}} {
		got, err := batch(names...)
		e := errs.As(err)
		if e == nil || e.Code != errs.Invalid || e.Reason != errs.BatchTooLarge || got != nil {
			t.Errorf("%d names past a page's bytes: got %d partners, %v, want %s", len(names), len(got), err, errs.BatchTooLarge)
			continue
		}
		if want := "names[" + strconv.Itoa(len(names)-1) + "]"; len(e.Violations) != 1 || e.Violations[0].Field != want {
			t.Errorf("%d names past a page's bytes: violations %v, want %s", len(names), e.Violations, want)
		}
	}
	if got, err := batch(huge); err != nil || len(got) != 1 {
		t.Errorf("one partner larger than a page: got %d partners, %v, want it alone", len(got), err)
	}
}

// TestReadMaskOfEveryRead: a request with a read_mask (AIP-157) is
// answered with the fields it names by GetAnswer, BatchGet and the kit's
// List, whose filter still sees the whole resource and whose page stops
// at its byte budget counting what it answers: 40 partners of 100 KB
// each make pages of 20 whole, one page of names. A path that names no
// field is refused naming read_mask.
func TestReadMaskOfEveryRead(t *testing.T) {
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	ctx := principal.With(context.Background(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	const n = 40
	_, err := store.Mutate(ctx, s, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
		for i := range n {
			id := fmt.Sprintf("p%02d", i)
			p := &famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, id), DisplayName: "Partner " + id, Description: strings.Repeat("x", 100<<10)}
			if err := tx.Put(p); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	names := &fieldmaskpb.FieldMask{Paths: []string{"name", "displayName"}}
	described := func(p *famiv1.Partner) bool { return p.GetDescription() != "" }
	list := func(mask *fieldmaskpb.FieldMask, token string) (*famiv1.ListPartnersResponse, error) {
		req := &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: 1000, PageToken: token, ReadMask: mask}
		return resource.ListAnswer[*famiv1.ListPartnersResponse](ctx, s, resource.Partners, req, nil, described)
	}

	whole, err := list(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(whole.GetPartners()); got >= n || whole.GetNextPageToken() == "" {
		t.Fatalf("whole partners: a page of %d, token %q; want it cut at the byte budget", got, whole.GetNextPageToken())
	}
	masked, err := list(names, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(masked.GetPartners()); got != n || masked.GetNextPageToken() != "" {
		t.Fatalf("names only: a page of %d, token %q; want all %d in one", got, masked.GetNextPageToken(), n)
	}
	for i, p := range masked.GetPartners() {
		want := &famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, fmt.Sprintf("p%02d", i)), DisplayName: fmt.Sprintf("Partner p%02d", i)}
		if !proto.Equal(p, want) {
			t.Fatalf("item %d = %v, want %v", i, p, want)
		}
	}
	// The token of a page read whole goes on with names only.
	rest, err := list(names, whole.GetNextPageToken())
	if err != nil || len(whole.GetPartners())+len(rest.GetPartners()) != n || rest.GetPartners()[0].GetDescription() != "" {
		t.Fatalf("rest: %d partners, %v", len(rest.GetPartners()), err)
	}

	one, err := resource.GetAnswer[*famiv1.Partner](ctx, s, resource.Partners, &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/p07", ReadMask: names})
	if err != nil || !proto.Equal(one, masked.GetPartners()[7]) {
		t.Fatalf("GetAnswer = %v, %v", one, err)
	}
	if p, err := resource.GetAnswer[*famiv1.Partner](ctx, s, resource.Partners, &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/p07"}); err != nil || p.GetDescription() == "" {
		t.Fatalf("GetAnswer without a mask = %v, %v; want it whole", p, err)
	}
	batch, err := resource.BatchGet[*famiv1.Partner](ctx, s, resource.Partners, &famiv1.BatchGetPartnersRequest{
		Parent: "regions/lombardia", Names: []string{"regions/lombardia/partners/p03", "regions/lombardia/partners/p01"}, ReadMask: names})
	if err != nil || len(batch) != 2 || !proto.Equal(batch[0], masked.GetPartners()[3]) || !proto.Equal(batch[1], masked.GetPartners()[1]) {
		t.Fatalf("BatchGet = %v, %v", batch, err)
	}

	bad := &fieldmaskpb.FieldMask{Paths: []string{"name", "members"}}
	for what, err := range map[string]error{
		"List": func() error { _, err := list(bad, ""); return err }(),
		"Get": func() error {
			_, err := resource.GetAnswer[*famiv1.Partner](ctx, s, resource.Partners, &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/p07", ReadMask: bad})
			return err
		}(),
		"BatchGet": func() error {
			_, err := resource.BatchGet[*famiv1.Partner](ctx, s, resource.Partners, &famiv1.BatchGetPartnersRequest{Parent: "regions/lombardia", Names: []string{"regions/lombardia/partners/p03"}, ReadMask: bad})
			return err
		}(),
	} {
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || e.Violations[0].Field != "read_mask" {
			t.Errorf("%s with %v: %v, want INVALID naming read_mask", what, bad.GetPaths(), err)
		}
	}
}

// TestFilteredListScanIsBoundedPerPage: a filter that keeps one partner
// among 5,000 reads at most the page's scan budget of records per page
// (20 times the page, at least aip.MinScan), answering pages short of
// their size, even empty, with a next page token, and paging still finds
// the one it keeps. The filter counts the records the List read.
func TestFilteredListScanIsBoundedPerPage(t *testing.T) {
	const n, needle = 5000, "p03777"
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	ctx := principal.With(context.Background(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	_, err := store.Mutate(ctx, s, "lombardia", store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
		for i := 1; i <= n; i++ {
			id := fmt.Sprintf("p%05d", i)
			if err := tx.Put(&famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, id), DisplayName: "Partner " + id}); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int32{1, 50, 100} {
		budget := max(aip.ScanPerItem*int(size), aip.MinScan)
		var found []string
		pages, token := 0, ""
		for {
			read := 0
			keep := func(p *famiv1.Partner) bool { read++; return p.GetDisplayName() == "Partner "+needle }
			req := &famiv1.ListPartnersRequest{Parent: "regions/lombardia", PageSize: size, PageToken: token}
			res, err := resource.ListAnswer[*famiv1.ListPartnersResponse](ctx, s, resource.Partners, req, nil, keep)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if read > budget {
				t.Errorf("page_size %d, page %d: read %d records, want at most %d", size, pages, read, budget)
			}
			for _, p := range res.GetPartners() {
				found = append(found, resource.ID(p.GetName()))
			}
			if token = res.GetNextPageToken(); token == "" {
				break
			}
			if pages > n {
				t.Fatalf("page_size %d: still paging after %d pages", size, pages)
			}
		}
		if want := (n + budget - 1) / budget; len(found) != 1 || found[0] != needle || pages < want || pages > want+1 {
			t.Errorf("page_size %d: found %v in %d pages, want %s in %d", size, found, pages, needle, want)
		}
	}
}

// TestBatchGetAnswer: the batch Get method answers BatchGet's resources,
// in the order asked, as its response's one repeated field, and refuses a
// response type that is not a batch Get response of the resource, before
// reading.
func TestBatchGetAnswer(t *testing.T) {
	s, ctx := seeded(t, 3)
	req := &famiv1.BatchGetPartnersRequest{Parent: "regions/lombardia", Names: []string{"regions/lombardia/partners/p03", "regions/lombardia/partners/p01"}}
	want, err := resource.BatchGet[*famiv1.Partner](ctx, s, resource.Partners, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resource.BatchGetAnswer[*famiv1.BatchGetPartnersResponse, *famiv1.Partner](ctx, s, resource.Partners, req)
	if err != nil || len(res.GetPartners()) != 2 || !proto.Equal(res.GetPartners()[0], want[0]) || !proto.Equal(res.GetPartners()[1], want[1]) {
		t.Fatalf("BatchGetAnswer = %v, %v; want %v", res, err, want)
	}
	if _, err := resource.BatchGetAnswer[*famiv1.BatchGetPartnersResponse, *famiv1.Partner](ctx, s, resource.Partners,
		&famiv1.BatchGetPartnersRequest{Parent: "regions/lombardia", Names: []string{"regions/lombardia/partners/p09"}}); errs.As(err) == nil || errs.As(err).Code != errs.NotFound {
		t.Errorf("a missing partner: %v, want NOT_FOUND", err)
	}
	if _, err := resource.BatchGetAnswer[*famiv1.BatchGetNetworksResponse, *famiv1.Partner](ctx, s, resource.Partners, req); err == nil {
		t.Error("a response of networks for partners: no error")
	}
	if _, err := resource.BatchGetAnswer[*famiv1.ListPartnersResponse, *famiv1.Partner](ctx, s, resource.Partners, req); err == nil {
		t.Error("a List response: no error")
	}
}
