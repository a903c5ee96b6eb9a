package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
)

// changeFilters are the flags that choose the changes of a region that
// changes list and watch print.
type changeFilters struct {
	since int64
	types []string
}

func (f *changeFilters) add(cmd *cobra.Command) {
	cmd.Flags().Int64Var(&f.since, "since", 0, "changes after this revision")
	cmd.Flags().StringSliceVar(&f.types, "type", nil, "only these resource types, e.g. fami.v1.Protocol")
}

func newChangesCmd(a *app) *cobra.Command {
	var f changeFilters
	list := a.listed(&cobra.Command{
		Use:     "list",
		Short:   "List a region's change log after a revision (the audit trail)",
		Example: "  famictl changes list --region lombardia --since 120 --type fami.v1.Protocol -o table",
	}, 100, func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
		return s.Sync.ListChanges(ctx, &famiv1.ListChangesRequest{
			Parent: "regions/" + region, SinceRevision: f.since, PageSize: p.size, PageToken: p.token, ResourceTypes: f.types,
		})
	})
	f.add(list)
	// --limit is --page-size's old name, kept for the scripts that use it.
	list.Flags().SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "limit" {
			name = "page-size"
		}
		return pflag.NormalizedName(name)
	})
	return group("changes", "The change log: audit trail and sync feed", list)
}

func newWatchCmd(a *app) *cobra.Command {
	var f changeFilters
	cmd := inRegion(&cobra.Command{
		Use:   "watch",
		Short: "Follow a region's changes as they happen (one JSON object per change)",
		Long: `Print every change of a region after --since, then follow live changes
until interrupted; --output table prints one line per change instead.
Bookmarks (the revision reached while nothing changes) are not printed.`,
		Example: "  famictl watch --region lombardia --since 120",
	}, func(cmd *cobra.Command, region string) error {
		return watch(cmd.Context(), a, &famiv1.WatchRequest{Parent: "regions/" + region, SinceRevision: f.since, ResourceTypes: f.types})
	})
	f.add(cmd)
	return cmd
}

// watch prints changes until ctx ends; an interrupt is not an error, even
// one that comes before the stream is open.
func watch(ctx context.Context, a *app, req *famiv1.WatchRequest) error {
	stream, err := a.client().sdk().Sync.Watch(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer stream.Close()
	cols := columnsOf((&famiv1.Change{}).ProtoReflect().Descriptor())
	for stream.Receive() {
		for _, ch := range stream.Msg().GetChanges() {
			if a.output == "table" {
				_, err = fmt.Fprintln(a.stdout, strings.Join(rowCells(ch.ProtoReflect(), cols), "  "))
			} else {
				err = a.printLine(ch)
			}
			if err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return stream.Err()
}
