package resource_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// seedProjects writes in region the projects ids, each with reports of
// the quarters its index i asks (reports(i)): none for some, so that the
// walk crosses parents without children.
// It writes eight projects a transaction, within an etcd transaction's
// operations (its --max-txn-ops, 128 by default).
func seedProjects(tb testing.TB, s store.Store, region string, ids []string, reports func(i int) []string) {
	tb.Helper()
	for from := 0; from < len(ids); from += 8 {
		_, err := store.Mutate(context.Background(), s, region, store.Mutation{Principal: "test:admin"}, func(tx store.WriteTx) (*emptypb.Empty, error) {
			for i := from; i < min(from+8, len(ids)); i++ {
				p := &famiv1.Project{Name: "regions/" + region + "/projects/" + ids[i], Title: "Progetto " + ids[i]}
				if err := tx.Put(p); err != nil {
					return nil, err
				}
				for _, q := range reports(i) {
					if err := tx.Put(&famiv1.MonitoringReport{Name: p.GetName() + "/monitoringReports/" + q, Notes: ids[i] + " " + q}); err != nil {
						return nil, err
					}
				}
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// everyProjectsReports lists region's reports across every project (the
// parent "-") in pages of size, keeping those keep accepts, and returns
// their names and the pages' count.
func everyProjectsReports(t *testing.T, s store.Store, region string, size int32, keep func(*famiv1.MonitoringReport) (bool, error)) (names []string, pages int) {
	t.Helper()
	req := &famiv1.ListMonitoringReportsRequest{Parent: "regions/" + region + "/projects/-", PageSize: size}
	for {
		res, err := resource.ListInEveryParent[*famiv1.ListMonitoringReportsResponse, *famiv1.MonitoringReport](context.Background(), s, region, req, resource.Projects, resource.MonitoringReports, keep)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range res.GetMonitoringReports() {
			names = append(names, r.GetName())
		}
		if res.GetNextPageToken() == "" {
			return names, pages
		}
		req.PageToken = res.GetNextPageToken()
	}
}

// TestListInEveryParentAsPerParent: a List across every parent answers,
// in pages of any size and with a filter or without, the reports a List
// of each project answers, project by project in id order: through
// projects without reports, and through ids one of which starts another
// ("p1" before "p1-a" before "p10"), whose positions sort as the walk goes.
func TestListInEveryParentAsPerParent(t *testing.T) {
	const region = "lombardia"
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}})
	var ids []string
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("p%d", i))
	}
	ids = append(ids, "p1-a", "p1-b")
	quarters := []string{"2024-q1", "2024-q2", "2024-q3"}
	// Every fourth project has no report; the others one to three.
	seedProjects(t, s, region, ids, func(i int) []string { return quarters[:i%4] })
	slices.Sort(ids)
	var all, q2 []string
	for _, id := range ids {
		err := s.View(context.Background(), region, func(tx store.ReadTx) error {
			return tx.List("projects/"+id+"/monitoringReports", "", func(q string, _ []byte) (bool, error) {
				name := "regions/" + region + "/projects/" + id + "/monitoringReports/" + q
				all = append(all, name)
				if q == "2024-q2" {
					q2 = append(q2, name)
				}
				return true, nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(all) < 40 || len(q2) < 5 {
		t.Fatalf("the seed wrote %d reports, %d of the second quarter: too few to page through", len(all), len(q2))
	}
	onlyQ2 := func(r *famiv1.MonitoringReport) (bool, error) { return resource.ID(r.GetName()) == "2024-q2", nil }
	for _, size := range []int32{1, 2, 3, 7, 9, 1000} {
		if got, pages := everyProjectsReports(t, s, region, size, nil); !slices.Equal(got, all) {
			t.Errorf("pages of %d (%d pages): %q\nwant the projects' own lists: %q", size, pages, got, all)
		}
		if got, _ := everyProjectsReports(t, s, region, size, onlyQ2); !slices.Equal(got, q2) {
			t.Errorf("pages of %d of the second quarter: %q, want %q", size, got, q2)
		}
	}
}

// TestListInEveryParentReadsThePagesParents: a page of a List across
// every parent reads as much in a region of 40 projects as in one of
// 3,000, the first page and one from the middle: it reads the ids of the
// parents it reaches, not those of every parent left, which each page
// read before (a listing quadratic in pages × parents).
func TestListInEveryParentReadsThePagesParents(t *testing.T) {
	few, many := everyParentPageReads(t, 40), everyParentPageReads(t, 3000)
	if few != many {
		t.Errorf("reads of the first page and of the tenth: %v with 40 projects, %v with 3,000; want them equal", few, many)
	}
}

// everyParentPageReads counts the reads of the first and tenth page of
// 10 reports across a region of n projects with three reports each.
func everyParentPageReads(t *testing.T, n int) (reads [2]int64) {
	const region = "lombardia"
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{region}})
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("p%05d", i))
	}
	seedProjects(t, s, region, ids, func(int) []string { return []string{"2024-q1", "2024-q2", "2024-q3"} })
	st := &storetest.ReadCounter{Store: s}
	ctx := principal.With(context.Background(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
	req := &famiv1.ListMonitoringReportsRequest{Parent: "regions/" + region + "/projects/-", PageSize: 10}
	for page := 1; page <= 10; page++ {
		res, err := resource.ListInEveryParent[*famiv1.ListMonitoringReportsResponse, *famiv1.MonitoringReport](ctx, st, region, req, resource.Projects, resource.MonitoringReports, nil)
		if err != nil {
			t.Fatal(err)
		}
		switch page {
		case 1:
			reads[0] = st.Since()
		case 10:
			reads[1] = st.Since()
		default:
			st.Since()
		}
		if len(res.GetMonitoringReports()) != 10 || res.GetNextPageToken() == "" {
			t.Fatalf("page %d: %d reports, next %q; want 10 and a next page", page, len(res.GetMonitoringReports()), res.GetNextPageToken())
		}
		req.PageToken = res.GetNextPageToken()
	}
	return reads
}

// benchProjects is how many projects BenchmarkListInEveryParent's region
// holds, four reports each: about three times a large region's.
const benchProjects = 2000

// BenchmarkListInEveryParent lists every report of a region of
// benchProjects projects across every project (the parent "-"), in pages
// of 100, as a mirror does: now (each page reads the ids of the parents it
// reaches) and, as the baseline in the same run, as before (each page read
// the ids of every parent left first), on a real bbolt file and on an
// embedded etcd member. Both answer the same reports, in the same pages.
// reads/op counts the records and ids read (storetest.ReadCounter).
func BenchmarkListInEveryParent(b *testing.B) {
	const region = "lombardia"
	c := etcdtest.Start(b, etcdtest.Options{NoFsync: true, Direct: true})
	onEtcd, err := etcd.Open(b.Context(), etcd.Options{Client: c.Client(b), Regions: []string{region}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { onEtcd.Close() })
	var ids []string
	for i := range benchProjects {
		ids = append(ids, fmt.Sprintf("p%05d", i))
	}
	quarters := func(int) []string { return []string{"2024-q1", "2024-q2", "2024-q3", "2024-q4"} }
	for _, st := range []struct {
		name string
		s    store.Store
	}{{"bolt", bolttest.Open(b, b.TempDir(), bolt.Options{Regions: []string{region}})}, {"etcd", onEtcd}} {
		seedProjects(b, st.s, region, ids, quarters)
		counted := &storetest.ReadCounter{Store: st.s}
		type lister func(*famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error)
		now := func(req *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
			return resource.ListInEveryParent[*famiv1.ListMonitoringReportsResponse, *famiv1.MonitoringReport](b.Context(), counted, region, req, resource.Projects, resource.MonitoringReports, nil)
		}
		before := func(req *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error) {
			return resource.ListInEveryParentBefore[*famiv1.ListMonitoringReportsResponse, *famiv1.MonitoringReport](b.Context(), counted, region, req, resource.Projects, resource.MonitoringReports)
		}
		listAll := func(list lister) (pages []string) {
			req := &famiv1.ListMonitoringReportsRequest{Parent: "regions/" + region + "/projects/-", PageSize: 100}
			for {
				res, err := list(req)
				if err != nil {
					b.Fatal(err)
				}
				page := ""
				for _, r := range res.GetMonitoringReports() {
					page += r.GetName() + " " + r.GetNotes() + "\n"
				}
				pages = append(pages, page+res.GetNextPageToken())
				if res.GetNextPageToken() == "" {
					return pages
				}
				req.PageToken = res.GetNextPageToken()
			}
		}
		if got, want := listAll(now), listAll(before); !slices.Equal(got, want) || len(got) != benchProjects*4/100 {
			b.Fatalf("%s: %d pages, want the %d of the baseline (%d)", st.name, len(got), len(want), benchProjects*4/100)
		}
		for _, bc := range []struct {
			name string
			list lister
		}{{"now", now}, {"before", before}} {
			b.Run(st.name+"/"+bc.name, func(b *testing.B) {
				counted.Since()
				for b.Loop() {
					listAll(bc.list)
				}
				b.ReportMetric(float64(counted.Since())/float64(b.N), "reads/op")
			})
		}
	}
}
