package dashboard

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// The national summaries of DESIGN.md section 6 ("overlaps, national
// summaries"): the ministry everywhere (with regions/-), the region and its
// systems their own region. Consultants are left out: their support
// figures are their own entries only, which a region's dashboard is not.
// The figures come through the other services, whose data checks apply to
// the caller as to any of their own calls.
var dashboardReaders = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.RegionalSystem}

// Rights are the rows of the rights table for the DashboardService's RPCs.
func Rights() auth.Policy {
	return auth.Policy{
		famiv1.DashboardService_SummarizeRegions_FullMethodName: auth.InRegion("name", dashboardReaders...),
	}
}
