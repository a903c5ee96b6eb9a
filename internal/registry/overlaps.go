package registry

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/namekey"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// indexTerritory maps "{istat}\x00{project id}" to the project's period,
// "{start}\x00{end}": the projects of a municipality, kept in the same
// transaction as every project write, so finding one project's overlaps
// reads the index of its municipalities and never the other projects.
const indexTerritory = "project_territory"

// putProject stores next (a new project when old is nil) and moves its
// municipalities and period in the territory index.
func putProject(tx store.WriteTx, old, next *famiv1.Project) error {
	if err := indexProject(tx, old, next); err != nil {
		return err
	}
	return tx.Put(next)
}

// written stores a created or changed project (see putProject) and
// returns it as the caller sees it, with its overlap count.
func written(tx store.WriteTx, old, next *famiv1.Project) (*famiv1.Project, error) {
	if err := putProject(tx, old, next); err != nil {
		return nil, err
	}
	return withOverlapCount(tx, proto.CloneOf(next)), nil
}

// indexProject replaces old's entries of the territory index with next's
// (either may be nil).
func indexProject(tx store.WriteTx, old, next *famiv1.Project) error {
	for _, m := range old.GetMunicipalities() {
		if err := tx.IndexDelete(indexTerritory, store.Key(m, resource.ID(old.GetName()))); err != nil {
			return err
		}
	}
	for _, m := range next.GetMunicipalities() {
		if err := tx.IndexPut(indexTerritory, store.Key(m, resource.ID(next.GetName())), store.Key(next.GetStartDate(), next.GetEndDate())); err != nil {
			return err
		}
	}
	return nil
}

// overlap is another project sharing municipalities and dates with one.
type overlap struct {
	id           string
	municipality []string
	start, end   string
}

// overlapsOf finds the projects that overlap p (as stored), by the
// territory index: for each municipality of p, the projects there whose
// period intersects p's. The result is ordered by project id.
func overlapsOf(tx store.ReadTx, p *famiv1.Project) []*overlap {
	self := resource.ID(p.GetName())
	byID := map[string]*overlap{}
	for _, m := range p.GetMunicipalities() {
		prefix := store.KeyPrefix(m)
		tx.IndexScan(indexTerritory, prefix, func(key, value string) bool {
			id := key[len(prefix):]
			span, _ := store.SplitKey(value, 2)
			start, end := span[0], span[1]
			if id == self || start > p.GetEndDate() || end < p.GetStartDate() {
				return true
			}
			o, ok := byID[id]
			if !ok {
				o = &overlap{id: id, start: max(start, p.GetStartDate()), end: min(end, p.GetEndDate())}
				byID[id] = o
			}
			o.municipality = append(o.municipality, m)
			return true
		})
	}
	out := make([]*overlap, 0, len(byID))
	for _, o := range byID {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *overlap) int { return strings.Compare(a.id, b.id) })
	return out
}

// withOverlapCount returns p with its output-only overlap count.
func withOverlapCount(tx store.ReadTx, p *famiv1.Project) *famiv1.Project {
	p.OverlapCount = int32(len(overlapsOf(tx, p)))
	return p
}

// Overlaps implements fami.v1.OverlapService.
type Overlaps struct {
	famiv1.UnimplementedOverlapServiceServer
	r *Registry
}

// Overlaps returns the OverlapService.
func (r *Registry) Overlaps() *Overlaps { return &Overlaps{r: r} }

// overlapFilter is a ListOverlaps request's filters.
type overlapFilter struct {
	project, municipality, date string
	fund                        famiv1.Fund
}

// newOverlapFilter checks the filters of req, a list of region's overlaps.
func newOverlapFilter(req *famiv1.ListOverlapsRequest, region string) (overlapFilter, error) {
	var v errs.Violations
	f := overlapFilter{
		project:      resource.RefID(&v, "project", req.GetProject(), region, resource.Projects),
		municipality: req.GetMunicipality(),
		fund:         req.GetFund(),
		date:         req.GetDate(),
	}
	if f.municipality != "" {
		check.ISTATCode(&v, "municipality", f.municipality)
	}
	check.Enum(&v, "fund", req.GetFund(), false)
	check.Date(&v, "date", req.GetDate(), false)
	return f, v.Err()
}

func (f overlapFilter) keep(p, other *famiv1.Project, o *overlap) bool {
	if f.fund != 0 && p.GetFund() != f.fund && other.GetFund() != f.fund {
		return false
	}
	if f.municipality != "" && !slices.Contains(o.municipality, f.municipality) {
		return false
	}
	return f.date == "" || (o.start <= f.date && f.date <= o.end)
}

// ListOverlaps implements fami.v1.OverlapService. Overlaps are listed by
// project in id order, and a project's by the other's id; the page token
// is the pair last listed.
func (s *Overlaps) ListOverlaps(ctx context.Context, req *famiv1.ListOverlapsRequest) (*famiv1.ListOverlapsResponse, error) {
	region, res, done, err := aip.OpenList(ctx, req, s.ListOverlaps, aip.Narrow{Field: "project", Name: req.GetProject(), Collection: resource.Projects})
	if done {
		return res, err
	}
	f, err := newOverlapFilter(req, region)
	if err != nil {
		return nil, err
	}
	page, after, err := aip.StartPage(ctx, req)
	if err != nil {
		return nil, err
	}
	afterProject, afterOther, _ := strings.Cut(after, "\x00")
	res = &famiv1.ListOverlapsResponse{}
	err = s.r.store.View(ctx, region, func(tx store.ReadTx) error {
		res.Revision = tx.Revision()
		l := overlapPage{tx: tx, region: region, filter: f, page: page, afterProject: afterProject, afterOther: afterOther, res: res}
		switch {
		case f.project != "":
			return l.ofProject(f.project)
		case f.municipality != "":
			return l.ofMunicipality(f.municipality)
		}
		return l.ofAll()
	})
	if err != nil {
		return nil, err
	}
	res.NextPageToken = page.Next()
	return res, nil
}

// overlapPage fills a page of ListOverlaps, resuming after the overlap of
// afterProject with afterOther.
type overlapPage struct {
	tx                       store.ReadTx
	region                   string
	filter                   overlapFilter
	page                     *aip.Page
	afterProject, afterOther string
	res                      *famiv1.ListOverlapsResponse
}

// ofProject lists the overlaps of the project id.
func (l *overlapPage) ofProject(id string) error {
	if l.afterProject != "" && l.afterProject != id {
		// The token is bound to the request, project filter included
		// (Page.Resume): one in another project's overlaps was issued by
		// no page of it.
		return aip.ErrForeignToken()
	}
	p := &famiv1.Project{}
	if err := l.tx.Get(aip.Name(l.region, resource.Projects, id), p); err != nil {
		return err
	}
	_, err := l.visit(p)
	return err
}

// ofMunicipality lists the overlaps in municipality: only its projects
// can have overlaps there, and the territory index lists them in id order.
func (l *overlapPage) ofMunicipality(municipality string) error {
	var ids []string
	prefix := municipality + "\x00"
	l.tx.IndexScan(indexTerritory, prefix, func(key, _ string) bool {
		if id := key[len(prefix):]; id >= l.afterProject {
			ids = append(ids, id)
		}
		return true
	})
	for _, id := range ids {
		p := &famiv1.Project{}
		if err := l.tx.Get(aip.Name(l.region, resource.Projects, id), p); err != nil {
			return err
		}
		if more, err := l.visit(p); err != nil || !more {
			return err
		}
	}
	return nil
}

// ofAll lists the overlaps of every project of the region: the page
// token's project may have more after the last one listed (unless it was
// deleted since), and the others follow in id order.
func (l *overlapPage) ofAll() error {
	if l.afterProject != "" {
		p := &famiv1.Project{}
		found, err := store.Find(l.tx, aip.Name(l.region, resource.Projects, l.afterProject), p)
		if err != nil {
			return err
		}
		if found {
			if more, err := l.visit(p); err != nil || !more {
				return err
			}
		}
	}
	return l.tx.List(resource.Projects, l.afterProject, func(_ string, raw []byte) (bool, error) {
		p := &famiv1.Project{}
		if err := proto.Unmarshal(raw, p); err != nil {
			return false, err
		}
		return l.visit(p)
	})
}

// visit lists p's overlaps that the filter keeps onto the page; it reports
// whether the page has room for more. A project without overlaps, and an
// overlap the filter leaves out, count against the page's scan budget
// (aip.Page.Skip), so that a page of a region whose projects overlap
// little, or of a filter keeping little, ends short with a next page
// token rather than read every project; a project with none is read at
// the position before its first overlap (its id and ""), so that one
// that comes to have some is listed on resuming.
func (l *overlapPage) visit(p *famiv1.Project) (bool, error) {
	id := resource.ID(p.GetName())
	overlaps := overlapsOf(l.tx, p)
	if len(overlaps) == 0 {
		return l.page.Skip(id + "\x00"), nil
	}
	for _, o := range overlaps {
		if id == l.afterProject && o.id <= l.afterOther {
			continue
		}
		other := &famiv1.Project{}
		if err := l.tx.Get(aip.Name(l.region, resource.Projects, o.id), other); err != nil {
			return false, err
		}
		if !l.filter.keep(p, other, o) {
			if !l.page.Skip(id + "\x00" + o.id) {
				return false, nil
			}
			continue
		}
		ov := newOverlap(p, other, o)
		if !l.page.Add(ov, id+"\x00"+o.id) {
			return false, nil
		}
		l.res.Overlaps = append(l.res.Overlaps, ov)
	}
	return true, nil
}

func newOverlap(p, other *famiv1.Project, o *overlap) *famiv1.Overlap {
	strength := famiv1.OverlapStrength_OVERLAP_STRENGTH_TERRITORY_ONLY
	if sameAction(p, other) {
		strength = famiv1.OverlapStrength_OVERLAP_STRENGTH_SAME_ACTION
	}
	return &famiv1.Overlap{
		Project:              side(p),
		Other:                side(other),
		SharedMunicipalities: o.municipality,
		SharedStartDate:      o.start,
		SharedEndDate:        o.end,
		Strength:             strength,
	}
}

func side(p *famiv1.Project) *famiv1.OverlapProject {
	return &famiv1.OverlapProject{Project: p.GetName(), Code: p.GetCode(), Title: p.GetTitle(), Fund: p.GetFund(),
		Programme: p.GetProgramme(), Actions: p.GetActions(), StartDate: p.GetStartDate(), EndDate: p.GetEndDate()}
}

// sameAction reports whether two projects run the same action: the same
// complete programme codes, or actions of the same title as names compare
// (namekey.Of; action codes are each project's own, so they are not
// compared).
func sameAction(a, b *famiv1.Project) bool {
	pa, pb := a.GetProgramme(), b.GetProgramme()
	if pa.GetSpecificObjective() != "" && pa.GetMeasure() != "" && pa.GetAction() != "" && proto.Equal(pa, pb) {
		return true
	}
	titles := map[string]bool{}
	for _, x := range a.GetActions() {
		titles[namekey.Of(x.GetTitle())] = true
	}
	return slices.ContainsFunc(b.GetActions(), func(x *famiv1.ProjectAction) bool {
		return titles[namekey.Of(x.GetTitle())]
	})
}
