package main

import (
	"context"
	"io"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/atomicfile"
	"github.com/raccordo/raccordo/internal/support"
	"github.com/raccordo/raccordo/sdk"
)

// hourFilters are the filters the export and the summary share, within
// the region of --region.
type hourFilters struct {
	from, to, groupBy, consultant, network, state string
}

// add adds the filters' flags to cmd, with group-by's default and help.
func (h *hourFilters) add(cmd *cobra.Command, groupBy, groupByHelp string) {
	f := cmd.Flags()
	f.StringVar(&h.groupBy, "group-by", groupBy, groupByHelp)
	daysFlags(cmd, &h.from, &h.to, false)
	f.StringVar(&h.consultant, "consultant", "", "only this consultant's entries (a subject)")
	f.StringVar(&h.network, "network", "", "only this network's entries")
	f.StringVar(&h.state, "state", "", "only entries in this state: submitted, approved or rejected (default: submitted and approved)")
	cmd.RegisterFlagCompletionFunc("group-by", fixedCompletion("activity", "network", "consultant", "month", "quarter"))
	cmd.RegisterFlagCompletionFunc("state", fixedCompletion("submitted", "approved", "rejected"))
}

func (h *hourFilters) parse() (famiv1.SupportGroupBy, []famiv1.SupportEntryState, error) {
	g, err := enumFlag("group-by", h.groupBy, "SUPPORT_GROUP_BY_", famiv1.SupportGroupBy_value)
	if err != nil {
		return 0, nil, err
	}
	st, err := enumFlag("state", h.state, "SUPPORT_ENTRY_STATE_", famiv1.SupportEntryState_value)
	if err != nil {
		return 0, nil, err
	}
	var states []famiv1.SupportEntryState
	if st != 0 {
		states = []famiv1.SupportEntryState{famiv1.SupportEntryState(st)}
	}
	return famiv1.SupportGroupBy(g), states, nil
}

func newHoursCmd(a *app) *cobra.Command {
	var (
		h       hourFilters
		out     string
		dialect string
		quiet   bool
	)
	export := inRegion(&cobra.Command{
		Use:         "export",
		Short:       "Support hours as CSV: one row per entry, or a summary with --group-by",
		Annotations: writes("CSV"),
		Example: `  famictl hours export --region lombardia --from 2026-01-01 --to 2026-03-31 --out q1.csv
  famictl hours export --region lombardia --from 2026-01-01 --to 2026-12-31 --group-by activity --dialect italian`,
	}, func(cmd *cobra.Command, region string) error {
		groupBy, states, err := h.parse()
		if err != nil {
			return err
		}
		d, err := enumFlag("dialect", dialect, "CSV_DIALECT_", famiv1.CsvDialect_value)
		if err != nil {
			return err
		}
		req := &famiv1.ExportSupportEntriesRequest{
			Parent: "regions/" + region, StartDate: h.from, EndDate: h.to, Consultant: h.consultant, Network: h.network,
			GroupBy: groupBy, States: states, Dialect: famiv1.CsvDialect(d),
		}
		w, commit, err := output(out, a.stdout)
		if err != nil {
			return err
		}
		bar := rowsBar(progressWriter(a.stderr, quiet), "export "+region)
		err = support.WriteCSV(cmd.Context(), w, req, a.client().sdk().Support.ExportSupportEntries, func(rows int) { bar.Set(rows) })
		bar.Finish()
		return commit(err)
	})
	h.add(export, "", "summary grouping: activity, network, consultant, month or quarter (default: one row per entry)")
	export.Flags().StringVar(&out, "out", "", "CSV file to write (default: standard output)")
	export.Flags().StringVar(&dialect, "dialect", "standard", "standard (comma, 1.50) or italian (semicolon, 1,50: what a spreadsheet set up for Italy opens directly)")
	export.RegisterFlagCompletionFunc("dialect", fixedCompletion("standard", "italian"))
	export.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")

	var sh hourFilters
	summary := inRegion(&cobra.Command{
		Use:     "summary",
		Short:   "Hours and entries by activity, network, consultant, month or quarter",
		Example: "  famictl hours summary --region lombardia --from 2026-01-01 --to 2026-03-31 --group-by network -o table",
	}, a.printed(func(ctx context.Context, s *sdk.Client, region string) (proto.Message, error) {
		groupBy, states, err := sh.parse()
		if err != nil {
			return nil, err
		}
		return s.Support.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{
			Parent: "regions/" + region, StartDate: sh.from, EndDate: sh.to, GroupBy: groupBy, States: states,
			Consultant: sh.consultant, Network: sh.network,
		})
	}))
	sh.add(summary, "activity", "activity, network, consultant, month or quarter")
	summary.MarkFlagRequired("from")
	summary.MarkFlagRequired("to")
	return group("hours", "Support hours: CSV export and summaries", export, summary)
}

// output opens the destination of an export: a file, written beside its
// final name and renamed on success so a failed export leaves no partial
// file, or standard output.
func output(path string, stdout io.Writer) (io.Writer, func(error) error, error) {
	if path == "" {
		return stdout, func(err error) error { return err }, nil
	}
	tmp, err := atomicfile.Create(filepath.Dir(path))
	if err != nil {
		return nil, nil, err
	}
	return tmp, func(err error) error {
		if err != nil {
			tmp.Discard()
			return err
		}
		return tmp.Commit(path)
	}, nil
}

// rowsBar is an export's progress: a spinner and a count of the rows, whose
// number is not known in advance. It is drawn at once, blank. The spinner
// turns on a goroutine of progressbar's own, which reads the bar's start
// time without the bar's lock (v3.19.1, IsStarted); drawn blank, the bar
// has its start time before that goroutine starts and never writes it
// again, where otherwise the first Set would, concurrently (a data race
// seen under load in TestHoursExport).
func rowsBar(w io.Writer, description string) *progressbar.ProgressBar {
	return progressbar.NewOptions(-1, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true))
}
