package server_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// | overlaps of projects | all regions (regions/-) | own | own | no | own | no |
const rightOverlaps right = "overlaps of projects"

func init() {
	readmeRights[rightOverlaps] = readmeRow(everywhere, own, own, never, own, never)
}

// overlapMatrixCases maps the OverlapService RPCs to how the matrix calls
// them (in a region; regions/- is TestOverlapsEverySurface's).
func overlapMatrixCases() map[string]matrixCase {
	return map[string]matrixCase{
		"/fami.v1.OverlapService/ListOverlaps": {right: rightOverlaps, scoped: true,
			call: func(c *matrixCall) (proto.Message, error) {
				return ret(c.roleSurfaces()[c.role].ListOverlaps(c.ctx, &famiv1.ListOverlapsRequest{Parent: c.parent}))
			}},
	}
}

// ISTAT codes of the province of Bergamo, and Brescia.
const (
	istatBergamo   = "016024"
	istatDalmine   = "016091"
	istatSeriate   = "016198"
	istatTreviglio = "016219"
	istatBrescia   = "017029"
)

// TestOverlapsEverySurface is the acceptance scenario of overlaps on each
// surface: a FAMI 2021-2027 and an FSE+ project on municipalities of the
// province of Bergamo with intersecting dates overlap in both directions,
// with the shared municipalities and dates; the filters narrow them; the
// ministry sees them through regions/-, Lombardia's admin through
// regions/lombardia, Veneto's admin not; moving one project's dates apart
// removes them.
func TestOverlapsEverySurface(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{MunicipalitiesFile: municipalitiesFile}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		lombardia := ts.mintToken(regionAdminSpec("lombardia"))
		admin := newSurfaceAs(t, ts, kind, lombardia)
		project := func(id string, fund famiv1.Fund, start, end, action string, munis ...string) *famiv1.Project {
			return mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: id, Project: &famiv1.Project{
				Code: "PROG-" + id, Title: "Progetto " + id, Fund: fund, StartDate: start, EndDate: end, Municipalities: munis,
				Actions: []*famiv1.ProjectAction{{Code: "01", Title: action}}}}))(t, "create project "+id)
		}
		fami := project("fami", famiv1.Fund_FUND_FAMI_2021_2027, "2024-01-01", "2025-12-31", "Accesso ai servizi", istatBergamo, istatSeriate, istatDalmine)
		fse := project("fse", famiv1.Fund_FUND_FSE_PLUS, "2025-06-01", "2026-12-31", "Accesso ai servizi", istatDalmine, istatTreviglio, istatSeriate)
		brescia := project("brescia", famiv1.Fund_FUND_FAMI_2021_2027, "2024-01-01", "2026-12-31", "Scuola", istatBrescia)
		if fami.GetOverlapCount() != 0 || fse.GetOverlapCount() != 1 {
			t.Errorf("created: overlap counts %d and %d, want 0 (alone then) and 1", fami.GetOverlapCount(), fse.GetOverlapCount())
		}
		// An update with nothing to change (its mask names only the etag)
		// answers the project as GetProject shows it, overlap count
		// included.
		unchanged := mustOK(admin.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: &famiv1.Project{Name: fami.GetName(), Etag: fami.GetEtag()},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"etag"}}}))(t, "update fami naming only its etag")
		if got := mustOK(admin.GetProject(ctx, &famiv1.GetProjectRequest{Name: fami.GetName()}))(t, "get fami"); !proto.Equal(unchanged, got) || got.GetOverlapCount() != 1 {
			t.Errorf("update naming only the etag answered %v; want the project as read, %v, overlap count 1", unchanged, got)
		}

		describe := func(res *famiv1.ListOverlapsResponse) []string {
			var out []string
			for _, o := range res.GetOverlaps() {
				// The other's fund, the first shared municipality and the
				// shared period.
				out = append(out, o.GetProject().GetProject()+">"+o.GetOther().GetProject()+" "+o.GetOther().GetFund().String()+" "+
					o.GetSharedMunicipalities()[0]+" "+o.GetSharedStartDate()+".."+o.GetSharedEndDate())
			}
			return out
		}
		both := []string{
			fami.GetName() + ">" + fse.GetName() + " FUND_FSE_PLUS " + istatSeriate + " 2025-06-01..2025-12-31",
			fse.GetName() + ">" + fami.GetName() + " FUND_FAMI_2021_2027 " + istatDalmine + " 2025-06-01..2025-12-31",
		}
		ov := newSurfaceAs(t, ts, kind, lombardia)
		res := mustOK(ov.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia"}))(t, "list overlaps")
		if got := describe(res); !slices.Equal(got, both) {
			t.Errorf("Lombardia's overlaps: got %q, want %q", got, both)
		}
		if o := res.GetOverlaps()[0]; !slices.Equal(o.GetSharedMunicipalities(), []string{istatSeriate, istatDalmine}) ||
			o.GetStrength() != famiv1.OverlapStrength_OVERLAP_STRENGTH_SAME_ACTION || o.GetProject().GetFund() != famiv1.Fund_FUND_FAMI_2021_2027 ||
			len(o.GetOther().GetActions()) != 1 {
			t.Errorf("overlap: got %v, want Seriate and Dalmine (in the project's order), the same action, both funds and actions", o)
		}
		for _, p := range []struct {
			name string
			want int32
		}{{fami.GetName(), 1}, {fse.GetName(), 1}, {brescia.GetName(), 0}} {
			if got := mustOK(admin.GetProject(ctx, &famiv1.GetProjectRequest{Name: p.name}))(t, "get").GetOverlapCount(); got != p.want {
				t.Errorf("%s: overlapCount %d, want %d", p.name, got, p.want)
			}
		}
		// A batch Get answers the projects as GetProject shows them.
		batch := mustOK(admin.BatchGetProjects(ctx, &famiv1.BatchGetProjectsRequest{Parent: "regions/lombardia",
			Names: []string{fami.GetName(), fse.GetName(), brescia.GetName()}}))(t, "batch get").GetProjects()
		if len(batch) != 3 || batch[0].GetOverlapCount() != 1 || batch[1].GetOverlapCount() != 1 || batch[2].GetOverlapCount() != 0 {
			t.Errorf("batch get: got %v, want overlap counts 1, 1 and 0", batch)
		}

		for _, f := range []struct {
			name string
			req  *famiv1.ListOverlapsRequest
			want []string
		}{
			{"project", &famiv1.ListOverlapsRequest{Project: fse.GetName()}, both[1:]},
			{"municipality shared", &famiv1.ListOverlapsRequest{Municipality: istatDalmine}, both},
			{"municipality not shared", &famiv1.ListOverlapsRequest{Municipality: istatTreviglio}, nil},
			{"fund", &famiv1.ListOverlapsRequest{Fund: famiv1.Fund_FUND_FSE_PLUS}, both},
			{"fund of neither", &famiv1.ListOverlapsRequest{Fund: famiv1.Fund_FUND_PNRR}, nil},
			{"date shared", &famiv1.ListOverlapsRequest{Date: "2025-07-01"}, both},
			{"date of one only", &famiv1.ListOverlapsRequest{Date: "2025-01-15"}, nil},
		} {
			f.req.Parent = "regions/lombardia"
			if got := describe(mustOK(ov.ListOverlaps(ctx, f.req))(t, f.name)); !slices.Equal(got, f.want) {
				t.Errorf("filter %s: got %q, want %q", f.name, got, f.want)
			}
		}
		first := mustOK(ov.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia", PageSize: 1}))(t, "page 1")
		second := mustOK(ov.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia", PageSize: 1, PageToken: first.GetNextPageToken()}))(t, "page 2")
		if got := slices.Concat(describe(first), describe(second)); !slices.Equal(got, both) || second.GetNextPageToken() != "" {
			t.Errorf("paged by one: got %q (next %q), want %q", got, second.GetNextPageToken(), both)
		}
		_, err := ov.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia", Municipality: "16024", Date: "2025-13-01"})
		checkErr(t, "bad filters", err, wantErr{code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"municipality", "date"}})

		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		if got := describe(mustOK(ministry.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/-"}))(t, "national overlaps")); !slices.Equal(got, both) {
			t.Errorf("the ministry's regions/-: got %q, want %q", got, both)
		}
		if got := describe(mustOK(ministry.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/-", Project: fse.GetName()}))(t, "national overlaps of a project")); !slices.Equal(got, both[1:]) {
			t.Errorf("the ministry's regions/- of one project: got %q, want %q", got, both[1:])
		}
		var paged []string
		for token, pages := "", 0; pages == 0 || token != ""; pages++ {
			res := mustOK(ministry.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/-", Municipality: istatDalmine, PageSize: 1, PageToken: token}))(t, "paged by municipality")
			paged, token = append(paged, describe(res)...), res.GetNextPageToken()
			if pages > 3 {
				t.Fatal("paging by municipality does not end")
			}
		}
		if !slices.Equal(paged, both) {
			t.Errorf("regions/- by municipality, paged by one: got %q, want %q", paged, both)
		}
		veneto := newSurfaceFor(t, ts, kind, regionAdminSpec("veneto"))
		res, err = veneto.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia"})
		checkErr(t, "Veneto's admin on regions/lombardia", err, wantErr{code: codes.PermissionDenied, reason: "OUTSIDE_REGION"})
		if len(res.GetOverlaps()) > 0 {
			t.Errorf("the refusal carries %d overlaps", len(res.GetOverlaps()))
		}
		_, err = veneto.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/-"})
		checkErr(t, "Veneto's admin on regions/-", err, wantErr{code: codes.PermissionDenied, reason: "NATIONAL_VIEW_NOT_ALLOWED"})
		if got := mustOK(veneto.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/veneto"}))(t, "Veneto's overlaps").GetOverlaps(); len(got) != 0 {
			t.Errorf("Veneto's own overlaps: got %d, want none", len(got))
		}

		// Moving the FSE+ project after the FAMI one ends removes the
		// overlap.
		mustOK(admin.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: &famiv1.Project{Name: fse.GetName(), StartDate: "2026-01-01"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"start_date"}}}))(t, "move dates")
		if got := describe(mustOK(ov.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia"}))(t, "list overlaps")); len(got) != 0 {
			t.Errorf("after moving the dates apart: got %q, want none", got)
		}
		if got := mustOK(admin.GetProject(ctx, &famiv1.GetProjectRequest{Name: fami.GetName()}))(t, "get").GetOverlapCount(); got != 0 {
			t.Errorf("after moving the dates apart: overlapCount %d, want 0", got)
		}
		// An extension back into the other's period brings it back;
		// deleting the project ends it.
		mustOK(admin.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: fami.GetName(), Extension: &famiv1.Extension{EndDate: "2026-03-31"}}))(t, "extend")
		if got := mustOK(ov.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia"}))(t, "list").GetOverlaps(); len(got) != 2 ||
			got[0].GetSharedStartDate() != "2026-01-01" || got[0].GetSharedEndDate() != "2026-03-31" {
			t.Errorf("after extending into the other's period: got %v, want both directions, 2026-01-01..2026-03-31", got)
		}
		if _, err := admin.DeleteProject(ctx, &famiv1.DeleteProjectRequest{Name: fse.GetName()}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if got := mustOK(ov.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia"}))(t, "list").GetOverlaps(); len(got) != 0 {
			t.Errorf("after deleting a project: got %v, want none", got)
		}
	})
}
