package bolt_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// recorder is an Observer that remembers what it was told.
type recorder struct {
	mu      sync.Mutex
	begun   []string // "region op"
	ended   []error
	commits []bolt.Commit
}

func (r *recorder) Begin(_ context.Context, region, op string) func(error) {
	r.mu.Lock()
	r.begun = append(r.begun, region+" "+op)
	r.mu.Unlock()
	return func(err error) {
		r.mu.Lock()
		r.ended = append(r.ended, err)
		r.mu.Unlock()
	}
}

func (r *recorder) Committed(region string, c bolt.Commit) {
	r.mu.Lock()
	r.commits = append(r.commits, c)
	r.mu.Unlock()
}

func TestObserverAndStats(t *testing.T) {
	rec := &recorder{}
	s, err := bolt.Open(t.TempDir(), bolt.Options{Regions: regions, LockTimeout: 100 * time.Millisecond, Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, s)
	ctx := t.Context()
	for _, id := range []string{"a", "b", "c"} {
		_, err := s.Update(ctx, "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
			p := &famiv1.Partner{Name: "regions/lombardia/partners/" + id, DisplayName: id}
			return p, tx.Put(p)
		})
		if err != nil {
			t.Fatalf("put %s: %v", id, err)
		}
	}
	if err := s.View(ctx, "lombardia", func(store.ReadTx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact(ctx, "lombardia", 1); err != nil {
		t.Fatal(err)
	}
	// A region that does not exist is refused before it is observed.
	_ = s.View(ctx, "atlantide", func(store.ReadTx) error { return nil })

	rec.mu.Lock()
	want := []string{"lombardia update", "lombardia update", "lombardia update", "lombardia view"}
	if got := rec.begun[:min(len(rec.begun), len(want))]; !slices.Equal(got, want) {
		t.Errorf("observed %q, want %q first", rec.begun, want)
	}
	if len(rec.ended) != len(rec.begun) || slices.ContainsFunc(rec.ended, func(e error) bool { return e != nil }) {
		t.Errorf("ends %v, want one nil per begin (%d)", rec.ended, len(rec.begun))
	}
	mutations := 0
	for _, c := range rec.commits {
		if c.Mutations < 1 || c.Duration <= 0 || c.Write <= 0 || c.Write > c.Duration {
			t.Errorf("commit %+v: want at least one mutation and 0 < write <= duration", c)
		}
		mutations += c.Mutations
	}
	rec.mu.Unlock()
	if mutations < 3 {
		t.Errorf("commits carried %d mutations, want at least the 3 puts", mutations)
	}

	stats, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(stats, func(a, b bolt.RegionStats) int { return strings.Compare(a.Region, b.Region) })
	wantStats := []bolt.RegionStats{{Region: "lombardia", Revision: 3, Changes: 2}, {Region: "veneto"}}
	if !slices.Equal(stats, wantStats) {
		t.Errorf("Stats() = %+v, want %+v", stats, wantStats)
	}
}
