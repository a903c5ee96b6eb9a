package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/support"
)

// hours runs the support-hours commands; today, export.
func hours(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New("usage: famictl hours export --region R [--from YYYY-MM-DD --to YYYY-MM-DD] [--group-by activity|network|consultant|month|quarter] [--consultant S] [--network N] [--state approved] [--out FILE]")
	}
	fs := flag.NewFlagSet("famictl hours export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addClientFlags(fs)
	region := fs.String("region", "", "region id, e.g. lombardia")
	from := fs.String("from", "", "first date, YYYY-MM-DD")
	to := fs.String("to", "", "last date, YYYY-MM-DD")
	groupBy := fs.String("group-by", "", "summary grouping: activity, network, consultant, month or quarter (default: one row per entry)")
	consultant := fs.String("consultant", "", "only this consultant's entries (a subject)")
	network := fs.String("network", "", "only this network's entries")
	state := fs.String("state", "", "only entries in this state: submitted, approved or rejected")
	out := fs.String("out", "", "CSV file to write (default: standard output)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *region == "" {
		return errors.New("--region is required")
	}
	req := &famiv1.ExportSupportEntriesRequest{
		Parent: "regions/" + *region, StartDate: *from, EndDate: *to, Consultant: *consultant, Network: *network,
	}
	if *groupBy != "" {
		v, ok := famiv1.SupportGroupBy_value["SUPPORT_GROUP_BY_"+strings.ToUpper(*groupBy)]
		if !ok {
			return fmt.Errorf("--group-by %q is not activity, network, consultant, month or quarter", *groupBy)
		}
		req.GroupBy = famiv1.SupportGroupBy(v)
	}
	if *state != "" {
		v, ok := famiv1.SupportEntryState_value["SUPPORT_ENTRY_STATE_"+strings.ToUpper(*state)]
		if !ok {
			return fmt.Errorf("--state %q is not submitted, approved or rejected", *state)
		}
		req.States = []famiv1.SupportEntryState{famiv1.SupportEntryState(v)}
	}

	w, commit, err := output(*out, stdout)
	if err != nil {
		return err
	}
	client := famiv1connect.NewSupportServiceClient(cf.httpClient(), *cf.server, cf.options()...)
	// The number of rows is not known in advance: the bar counts them.
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(progressWriter(stderr, *quiet)),
		progressbar.OptionSetDescription("export "+*region), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	err = support.WriteCSV(context.Background(), w, req, client.ExportSupportEntries, func(rows int) { bar.Set(rows) })
	bar.Finish()
	return commit(err)
}

// output opens the destination of an export: a file, written beside its
// final name and renamed on success so a failed export leaves no partial
// file, or standard output.
func output(path string, stdout io.Writer) (io.Writer, func(error) error, error) {
	if path == "" {
		return stdout, func(err error) error { return err }, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(absOr(path, ".")), ".famictl-export-*")
	if err != nil {
		return nil, nil, err
	}
	return tmp, func(err error) error {
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
		return err
	}, nil
}
