package monitoring

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// The monitoring rights: the region (and its systems) and the staff of a
// lead partner of a network implementing the project write and submit the
// quarterly reports; the region admin reviews them and sets the
// thresholds; every reader of the region, and the ministry everywhere,
// reads reports and summaries, and the overdue projects a summary counts. The network half of the writers' right
// depends on the data: mayReport (monitoring.go) checks, inside each
// write's transaction, that the caller's partner leads a network that
// implements the project.
var (
	reportWriters   = []principal.Role{principal.RegionAdmin, principal.RegionalSystem, principal.NetworkMember}
	reportReviewers = []principal.Role{principal.RegionAdmin}
)

// Rights are the rows of the rights table for the MonitoringService's RPCs.
func Rights() auth.Policy {
	readers := auth.Readers()
	return auth.Policy{
		famiv1.MonitoringService_CreateMonitoringReport_FullMethodName:   auth.InRegion("parent", reportWriters...),
		famiv1.MonitoringService_GetMonitoringReport_FullMethodName:      auth.InRegion("name", readers...),
		famiv1.MonitoringService_ListMonitoringReports_FullMethodName:    auth.InRegion("parent", readers...),
		famiv1.MonitoringService_UpdateMonitoringReport_FullMethodName:   auth.InRegion("monitoring_report.name", reportWriters...),
		famiv1.MonitoringService_SubmitMonitoringReport_FullMethodName:   auth.InRegion("name", reportWriters...),
		famiv1.MonitoringService_ApproveMonitoringReport_FullMethodName:  auth.InRegion("name", reportReviewers...),
		famiv1.MonitoringService_ReturnMonitoringReport_FullMethodName:   auth.InRegion("name", reportReviewers...),
		famiv1.MonitoringService_CorrectMonitoringReport_FullMethodName:  auth.InRegion("name", reportReviewers...),
		famiv1.MonitoringService_SummarizeMonitoring_FullMethodName:      auth.InRegion("parent", readers...),
		famiv1.MonitoringService_ListOverdueProjects_FullMethodName:      auth.InRegion("parent", readers...),
		famiv1.MonitoringService_GetMonitoringSettings_FullMethodName:    auth.InRegion("name", readers...),
		famiv1.MonitoringService_UpdateMonitoringSettings_FullMethodName: auth.InRegion("monitoring_settings.name", reportReviewers...),
	}
}
