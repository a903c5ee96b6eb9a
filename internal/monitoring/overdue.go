package monitoring

import (
	"context"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// ListOverdueProjects implements fami.v1.MonitoringService: the projects a
// summary of the same parent and quarter counts as REPORT_OVERDUE, a page
// at a time. Each page finds them as the summary does (the plans of the
// scope's projects and the index of submitted reports, never a report)
// and reads whole only the projects it answers (resource.ListAmong): what
// a page reads grows with the scope's projects only as a summary's does,
// by a plan digest and an index key each. With parent regions/- it lists
// region by region, as ListProjects does.
func (s *Service) ListOverdueProjects(ctx context.Context, req *famiv1.ListOverdueProjectsRequest) (*famiv1.ListOverdueProjectsResponse, error) {
	if res, ok, err := aip.ForAllRegions(ctx, req, s.ListOverdueProjects); ok {
		return res, err
	}
	sc, q, err := quarterOf(req)
	if err != nil {
		return nil, err
	}
	late := overdue(q, s.today())
	return resource.ListAmong[*famiv1.ListOverdueProjectsResponse](ctx, s.store, sc.region, req, func(tx store.ReadTx) ([]string, func(*famiv1.Project) (bool, error), error) {
		projects, err := projectsOf(tx, sc)
		if err != nil || !late {
			return nil, nil, err
		}
		_, unsent := unsubmitted(tx, plansOf(projects, q).active, q.String())
		return unsent, nil, nil
	}, registry.OverlapCount)
}
