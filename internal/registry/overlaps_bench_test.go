package registry

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/splitmix"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// The benchmark data set: in each of the 21 regions, 500 projects on a
// territory of 300 municipalities, each project on 1 to 12 of them (a
// municipality up to a social district), starting between 2014 and 2027 and
// lasting one to four years.
const (
	benchProjects       = 500
	benchMunicipalities = 300
)

// benchProject is project i of region r (its r-th in id order).
func benchProject(region string, r, i int) *famiv1.Project {
	h := splitmix.Mix(uint64(r*benchProjects + i))
	start := time.Date(2014+int(h%14), time.Month(1+(h>>8)%12), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(1+int((h>>16)%4), 0, -1)
	p := &famiv1.Project{
		Name: aip.Name(region, resource.Projects, fmt.Sprintf("p%03d", i)), Code: fmt.Sprintf("PROG-%03d", i), Title: "Progetto",
		Fund: famiv1.Fund(1 + (h>>24)%9), StartDate: start.Format(time.DateOnly), EndDate: end.Format(time.DateOnly),
		Actions: []*famiv1.ProjectAction{{Code: "01", Title: fmt.Sprintf("Azione %d", (h>>32)%20)}},
	}
	first := int((h >> 40) % benchMunicipalities)
	for k := range 1 + int((h>>48)%12) {
		// Neighbouring municipalities, as a district's are.
		p.Municipalities = append(p.Municipalities, fmt.Sprintf("%03d%03d", r+1, (first+k)%benchMunicipalities))
	}
	return p
}

// pairwiseOverlaps is the baseline without the territory index: compare
// p with every project of regions, one by one.
func pairwiseOverlaps(b *testing.B, s store.Store, regions []string, p *famiv1.Project) []*famiv1.Overlap {
	var out []*famiv1.Overlap
	for _, region := range regions {
		err := s.View(b.Context(), region, func(tx store.ReadTx) error {
			return tx.List(resource.Projects, "", func(_ string, raw []byte) (bool, error) {
				other := &famiv1.Project{}
				if err := proto.Unmarshal(raw, other); err != nil {
					return false, err
				}
				if other.GetName() == p.GetName() || other.GetStartDate() > p.GetEndDate() || other.GetEndDate() < p.GetStartDate() {
					return true, nil
				}
				o := &overlap{id: resource.ID(other.GetName()), start: max(other.GetStartDate(), p.GetStartDate()), end: min(other.GetEndDate(), p.GetEndDate())}
				for _, m := range p.GetMunicipalities() {
					if slices.Contains(other.GetMunicipalities(), m) {
						o.municipality = append(o.municipality, m)
					}
				}
				if len(o.municipality) > 0 {
					out = append(out, newOverlap(p, other, o))
				}
				return true, nil
			})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// BenchmarkOverlapsOfOneProject lists the overlaps of one project among
// 21 regions x 500 projects x 300 municipalities: through ListOverlaps
// (the territory index), and by the pairwise scans it replaces, of every
// project (national) and of the project's own region. The three must
// agree.
func BenchmarkOverlapsOfOneProject(b *testing.B) {
	ids := aip.RegionIDs()
	s, err := bolt.Open(b.TempDir(), bolt.Options{Regions: ids})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := principal.With(b.Context(), principal.Principal{Subject: "bench", Role: principal.Ministry})
	for r, region := range ids {
		_, err := s.Update(ctx, region, store.Mutation{Principal: "bench"}, func(tx store.WriteTx) (proto.Message, error) {
			for i := range benchProjects {
				if err := putProject(tx, nil, benchProject(region, r, i)); err != nil {
					return nil, err
				}
			}
			return &famiv1.Project{}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	svc := New(s, nil).Overlaps()
	const region = "lombardia"
	target := benchProject(region, slices.Index(ids, region), 250)
	req := &famiv1.ListOverlapsRequest{Parent: "regions/" + region, Project: target.GetName(), PageSize: aip.MaxPageSize}
	indexed, err := svc.ListOverlaps(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	national := pairwiseOverlaps(b, s, ids, target)
	if len(indexed.GetOverlaps()) == 0 || !slices.EqualFunc(indexed.GetOverlaps(), national, func(a, b *famiv1.Overlap) bool { return proto.Equal(a, b) }) {
		b.Fatalf("the index finds %d overlaps, the pairwise scan %d: they must agree", len(indexed.GetOverlaps()), len(national))
	}
	b.Logf("%s overlaps %d of %d projects", target.GetName(), len(national), len(ids)*benchProjects)

	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.ListOverlaps(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pairwise-national", func(b *testing.B) {
		for b.Loop() {
			pairwiseOverlaps(b, s, ids, target)
		}
	})
	b.Run("pairwise-region", func(b *testing.B) {
		for b.Loop() {
			pairwiseOverlaps(b, s, []string{region}, target)
		}
	})
}
