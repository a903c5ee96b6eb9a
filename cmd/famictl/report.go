package main

import (
	"context"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/sdk"
)

// newReportCmd is "famictl report": projects' quarterly monitoring reports.
func newReportCmd(a *app) *cobra.Command {
	var project string
	var states []string
	var revisions bool
	list := a.listed(&cobra.Command{
		Use:   "list",
		Short: "List monitoring reports: a project's, or every project's of a region",
		Long: `List the monitoring reports of --project (an id in --region, or a full name),
or of every project of the region (the default, "-"), in order of project
and quarter. --state keeps the reports in that state, once per state
(draft, submitted, approved, returned): --state submitted lists those
awaiting review. A page filtered by state may come back short, even
empty, with a nextPageToken: read on (--all-pages) to the end.`,
		Example: `  famictl report list --region lombardia --state submitted -o table
  famictl report list --region lombardia --project lab-impact --state approved --state returned --show-approved-revisions`,
	}, aip.MaxPageSize, func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
		req := &famiv1.ListMonitoringReportsRequest{Parent: regionChild(region, "projects", project),
			PageSize: p.size, PageToken: p.token, ShowApprovedRevisions: revisions}
		for _, st := range states {
			v, err := enumFlag("state", st, "MONITORING_REPORT_STATE_", famiv1.MonitoringReportState_value)
			if err != nil {
				return nil, err
			}
			req.States = append(req.States, famiv1.MonitoringReportState(v))
		}
		return s.Monitoring.ListMonitoringReports(ctx, req)
	})
	list.Flags().StringVar(&project, "project", "-", `only this project's reports (an id or a full name); "-": every project's`)
	list.Flags().StringArrayVar(&states, "state", nil, "only reports in this state, once per state: draft, submitted, approved or returned")
	list.Flags().BoolVar(&revisions, "show-approved-revisions", false, "also list each report's earlier approved revisions ({name}@{revision}), after it")
	list.RegisterFlagCompletionFunc("state", fixedCompletion("draft", "submitted", "approved", "returned"))
	return group("report", "Quarterly monitoring reports of projects", list)
}
