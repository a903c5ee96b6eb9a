// Package monitoring implements fami.v1.MonitoringService: the quarterly
// reports of funded projects (plan against reality), their review, the
// deviations found in them and the summaries per project, network, region
// and quarter.
//
// Summaries never read the reports. Every report write keeps, in the same
// transaction, an aggregate cell per project and quarter and one per region
// and quarter (see aggregates.go), so a summary reads the cells of the
// quarters up to the one asked for and the plans of the projects in scope,
// however many reports there are.
//
// Region binding and roles are checked by the policy table (rights.go);
// this package checks what depends on the data: a network member reports
// only for projects a network led by their partner implements.
package monitoring

import (
	"slices"
	"strconv"
	"strings"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
)

// Options configure New.
type Options struct {
	// Now is the clock; defaults to time.Now. Tests set it to a fixed day.
	Now func() time.Time
}

// Service implements fami.v1.MonitoringService.
type Service struct {
	famiv1.UnimplementedMonitoringServiceServer
	store store.Store
	cal   territory.Calendar
}

// New returns the service over a store.
func New(s store.Store, opts Options) *Service {
	return &Service{store: s, cal: territory.NewCalendar(opts.Now, nil)}
}

// today is the current day in Italy, as a date at UTC midnight like the
// parsed plan dates.
func (s *Service) today() time.Time {
	y, m, d := s.cal.Now().In(s.cal.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// reportName is a parsed report name.
type reportName struct {
	region, project, period string // project: the project's resource name
	revision                int    // of an earlier approved revision; 0 for the report itself
}

func (n reportName) String() string {
	s := n.project + "/" + resource.MonitoringReports + "/" + n.period
	if n.revision > 0 {
		s += "@" + strconv.Itoa(n.revision)
	}
	return s
}

// parseReportName reads
// "regions/{region}/projects/{project}/monitoringReports/{period}[@{revision}]";
// withRevision allows the revision suffix.
func parseReportName(field, name string, withRevision bool) (reportName, error) {
	bad := errs.InvalidField(field, "%q is not a monitoring report name: want regions/{region}/projects/{project}/monitoringReports/{YYYY-qN}", errs.Clip(name, errs.MaxEcho))
	parts := strings.Split(name, "/")
	if len(parts) != 6 || parts[4] != resource.MonitoringReports {
		return reportName{}, bad
	}
	region, project, err := parseProject(field, strings.Join(parts[:4], "/"))
	if err != nil {
		return reportName{}, bad
	}
	n := reportName{region: region, project: project}
	period, rev, hasRev := strings.Cut(parts[5], "@")
	if hasRev {
		r, err := strconv.Atoi(rev)
		if !withRevision || err != nil || r < 1 || strconv.Itoa(r) != rev {
			return reportName{}, bad
		}
		n.revision = r
	}
	if _, ok := parsePeriod(period); !ok {
		return reportName{}, bad
	}
	n.period = period
	return n, nil
}

// parseProject reads "regions/{region}/projects/{project}" and returns the
// region and the name.
func parseProject(field, name string) (region, project string, err error) {
	region, _, err = aip.ParseName(field, name, resource.Projects)
	return region, name, err
}

// getProject reads the project a report belongs to.
func getProject(tx store.ReadTx, name string) (*famiv1.Project, error) {
	p := &famiv1.Project{}
	if err := tx.Get(name, p); err != nil {
		return nil, err
	}
	return p, nil
}

// mayReport enforces the network members' right (MayReport) with the
// networks that implement project, read in tx through the registry's
// index of references (registry.ImplementingNetworks): a report write
// reads those alone, not every network of the region. Other roles read
// nothing: the rule lets them pass.
func mayReport(tx store.ReadTx, who principal.Principal, project string) error {
	var networks []*famiv1.Network
	if who.Role == principal.NetworkMember && who.Partner != "" {
		var err error
		if networks, err = registry.ImplementingNetworks(tx, project); err != nil {
			return err
		}
	}
	if MayReport(who, project, networks) {
		return nil
	}
	return errs.NotProjectNetwork.With(errs.Error{
		Message:  "network members report only for projects implemented by a network their partner leads; " + project + " is not",
		Metadata: map[string]string{"project": project, "partner": who.Partner},
	})
}

// MayReport is the network members' right to a project's monitoring
// reports beyond the rights table: their staff create, edit and submit
// them only when their partner leads a network that implements the
// project. Other roles pass: the rights table already bound them to the
// region and the right roles. networks must hold every network that
// who's partner leads and that implements project (others are ignored):
// the service passes those implementing project, the web those of the
// partner that implement it. The web asks it, beside the rights table,
// to offer those forms and buttons only to whom may use them.
func MayReport(who principal.Principal, project string, networks []*famiv1.Network) bool {
	if who.Role != principal.NetworkMember {
		return true
	}
	return who.Partner != "" && slices.ContainsFunc(networks, func(n *famiv1.Network) bool {
		return n.GetLeadPartner() == who.Partner && slices.ContainsFunc(n.GetProjects(), func(np *famiv1.NetworkProject) bool {
			return np.GetProject() == project
		})
	})
}
