package etcd_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// seedProjects writes projects projects of lombardia, each with reports
// monitoring reports of size bytes under it, in one Update a project.
func seedProjects(tb testing.TB, s store.Store, projects, reports, size int) {
	tb.Helper()
	notes := strings.Repeat("x", size)
	for i := range projects {
		_, err := s.Update(tb.Context(), "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
			p := fmt.Sprintf("regions/lombardia/projects/p%04d", i)
			if err := tx.Put(&famiv1.Project{Name: p, Title: "Progetto"}); err != nil {
				return nil, err
			}
			for q := range reports {
				if err := tx.Put(&famiv1.MonitoringReport{Name: fmt.Sprintf("%s/monitoringReports/2026-q%d", p, q+1), Notes: notes}); err != nil {
					return nil, err
				}
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// listProjects lists lombardia's projects with list (tx.List, or its
// baseline) and returns how many and their size.
func listProjects(tb testing.TB, s store.Store, list func(tx store.ReadTx, collection, after string, fn func(string, []byte) (bool, error)) error) (n, size int) {
	tb.Helper()
	err := s.View(tb.Context(), "lombardia", func(tx store.ReadTx) error {
		return list(tx, "projects", "", func(_ string, raw []byte) (bool, error) {
			n++
			size += len(raw)
			return true, nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n, size
}

// list is a transaction's List.
func list(tx store.ReadTx, collection, after string, fn func(string, []byte) (bool, error)) error {
	return tx.List(collection, after, fn)
}

// TestListFetchesNoChildsValues: listing 50 projects, each with four
// reports of 8 KiB under it, brings back from the cluster the projects'
// values and not the reports': a collection's key range holds its
// resources' children too, and a listing of a collection known to have
// them (the first listing met them) reads the range keys only before it
// fetches the values it lists. Before, it brought back every report (1.6
// MB for 50 projects of 65 bytes).
func TestListFetchesNoChildsValues(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	cli := c.Client(t)
	var reads, bytes atomic.Int64
	etcdtest.CountReadBytes(cli, &reads, &bytes)
	s := open(t, etcd.Options{Prefix: conformancePrefix(), Regions: regions, Now: steppingClock()}, cli)
	const projects = 50
	seedProjects(t, s, projects, 4, 8<<10)
	listProjects(t, s, list) // the first listing learns that projects have children
	bytes.Store(0)
	n, size := listProjects(t, s, list)
	if n != projects {
		t.Fatalf("listed %d projects, want %d", n, projects)
	}
	// The projects' frames, and the few bytes of the snapshot's first read.
	if got, most := bytes.Load(), int64(2*size+1024); got > most {
		t.Errorf("listing %d projects of %d bytes in all brought back %d bytes; want at most %d", projects, size, got, most)
	}
}

// BenchmarkListWithChildren lists 500 projects on one real etcd member
// (fsync on), children=4 each with four reports of 4 KiB under it, and
// children=0 with none: now is List, which for projects known to have
// children reads the range keys only and then fetches the projects'
// values, and reads a collection without them as before; before is the
// same listing reading the range with every value, as List did. reads/op
// are round trips, bytes/op the values brought back.
//
//	go test -run '^$' -bench BenchmarkListWithChildren -count 3 ./internal/store/etcd/
func BenchmarkListWithChildren(b *testing.B) {
	cli := etcdtest.Start(b, etcdtest.Options{}).Client(b)
	var reads, bytes atomic.Int64
	etcdtest.CountReadBytes(cli, &reads, &bytes)
	const projects = 500
	for _, children := range []int{4, 0} {
		s, err := etcd.Open(b.Context(), etcd.Options{Client: cli, Prefix: fmt.Sprintf("/bench-children-%d/", children), Regions: regions})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		seedProjects(b, s, projects, children, 4<<10)
		for _, bc := range []struct {
			name string
			list func(tx store.ReadTx, collection, after string, fn func(string, []byte) (bool, error)) error
		}{{"before", etcd.ListWithChildren}, {"now", list}} {
			b.Run(fmt.Sprintf("children=%d/%s", children, bc.name), func(b *testing.B) {
				reads.Store(0)
				bytes.Store(0)
				for b.Loop() {
					if n, _ := listProjects(b, s, bc.list); n != projects {
						b.Fatalf("listed %d projects, want %d", n, projects)
					}
				}
				b.ReportMetric(float64(reads.Load())/float64(b.N), "reads/op")
				b.ReportMetric(float64(bytes.Load())/float64(b.N), "bytes/op")
			})
		}
	}
}
