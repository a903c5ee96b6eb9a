package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/paging"
)

// Most commands work on one region (list, create, summary, backup, watch),
// whose id is --region, or on one resource (get, cancel, revoke), whose
// name is their only argument; most of them print the answer of one call.
// inRegion and onResource give a command the plumbing of its kind,
// printed the call and the printing of its answer, and listed the paging
// of a list command, so that a command's code says only what is its own:
// its words and help, its flags, and the request it sends.

// inRegion makes c a command on one region: it takes no argument,
// --region (required, completed from the region list) names the region,
// and run does the work with the region's id.
func inRegion(c *cobra.Command, run func(cmd *cobra.Command, region string) error) *cobra.Command {
	var region string
	c.Args = cobra.NoArgs
	regionFlag(c, &region, true)
	c.RunE = func(cmd *cobra.Command, _ []string) error { return run(cmd, region) }
	return c
}

// resource is a type of resource as the commands on one resource name it
// in their errors.
type resource struct {
	what    string // "meeting"
	example string // a name of one, "regions/lombardia/meetings/tavolo-2026-03"
}

// onResource makes c a command on one resource of type r: its one argument
// is the resource's name, which run gets.
func onResource(r resource, c *cobra.Command, run func(cmd *cobra.Command, name string) error) *cobra.Command {
	c.Args = nameArg(r.what, r.example)
	c.RunE = func(cmd *cobra.Command, args []string) error { return run(cmd, args[0]) }
	return c
}

// ownOutput is the annotation of a command whose output is not an answer
// of the server printed in the --output format (json or table) but what
// the annotation names (CSV, a token): an explicit --output is refused
// there rather than ignored.
const ownOutput = "famictl/own-output"

// writes returns the annotations of a command that writes what.
func writes(what string) map[string]string { return map[string]string{ownOutput: what} }

// printed is the run of a command that sends one request and prints the
// answer in the --output format: request sends it, made from the
// command's region or resource name. The server's clients are made when
// the command runs, after the global flags are parsed.
func (a *app) printed(request func(ctx context.Context, s *sdk.Client, arg string) (proto.Message, error)) func(*cobra.Command, string) error {
	return func(cmd *cobra.Command, arg string) error {
		return a.call(request(cmd.Context(), a.client().sdk(), arg))
	}
}

// nameArg requires exactly one argument, the resource's name.
func nameArg(what, example string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%s needs the %s's name, e.g. %s", cmd.CommandPath(), what, example)
		}
		return nil
	}
}

// createFromFile makes c a command that creates a resource in a region
// (what: "meeting") from --file, a JSON file in the API's REST form, with
// the id of --id (described by idHelp); create sends it.
func createFromFile[T any, M interface {
	*T
	proto.Message
}](a *app, c *cobra.Command, what, idHelp string, create func(ctx context.Context, s *sdk.Client, region, id string, m M) (proto.Message, error)) *cobra.Command {
	var id, file string
	inRegion(c, a.printed(func(ctx context.Context, s *sdk.Client, region string) (proto.Message, error) {
		m := M(new(T))
		if err := readJSON(file, m); err != nil {
			return nil, err
		}
		return create(ctx, s, region, id, m)
	}))
	c.Flags().StringVar(&id, "id", "", idHelp)
	c.Flags().StringVar(&file, "file", "", what+" as JSON (the API's REST form)")
	c.MarkFlagRequired("file")
	return c
}

// page is the page of a listing a list command asks for: its size and the
// token of a previous page's next_page_token ("" for the first page).
type page struct {
	size  int32
	token string
}

// listed makes c a command that lists a region's resources (see inRegion),
// with the flags of AIP-158 paging: --page-size (default size), --page-token
// to continue where a page's next_page_token says, and --all-pages to read
// every page. list sends the request for page p. One page prints as the server
// answers it; --all-pages prints one result in the same form, holding every
// page's items (see readAll), so that JSON output stays one document.
func (a *app) listed(c *cobra.Command, size int32, list func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error)) *cobra.Command {
	var p page
	var all bool
	inRegion(c, a.printed(func(ctx context.Context, s *sdk.Client, region string) (proto.Message, error) {
		if !all {
			return list(ctx, s, region, p)
		}
		return readAll(ctx, func(token string) (proto.Message, error) {
			return list(ctx, s, region, page{size: p.size, token: token})
		})
	}))
	f := c.Flags()
	f.Int32Var(&p.size, "page-size", size, fmt.Sprintf("items per page (the server caps it at %d)", aip.MaxPageSize))
	f.StringVar(&p.token, "page-token", "", "continue the listing after an earlier page: its nextPageToken (next_page_token: in a table)")
	f.BoolVar(&all, "all-pages", false, "read every page and print all items as one result")
	c.MarkFlagsMutuallyExclusive("page-token", "all-pages")
	return c
}

// readAll reads a listing to its end (paging.Walk): list returns the page
// of a page token, a List response. The result is the first page's
// response holding the items of every page and no next_page_token; its
// other fields (the revision) are the first page's, the oldest, so that a
// watch from that revision misses no change made while the pages were read,
// but for unreachable (AIP-217), the regions every page left out. Each
// later page's items join the first's as it is read.
func readAll(ctx context.Context, list func(pageToken string) (proto.Message, error)) (proto.Message, error) {
	var first protoreflect.Message
	var items, next protoreflect.FieldDescriptor
	var left []string
	err := paging.Walk(ctx, func(token string) (string, error) {
		res, err := list(token)
		if err != nil {
			return "", err
		}
		r := res.ProtoReflect()
		left = append(left, unreachable(r)...)
		if first == nil {
			first = r
			items, next = listField(r.Descriptor()), r.Descriptor().Fields().ByName("next_page_token")
			if items == nil || next == nil || next.Kind() != protoreflect.StringKind {
				return "", fmt.Errorf("%s is not a page of a listing", r.Descriptor().FullName())
			}
			return r.Get(next).String(), nil
		}
		all, page := first.Mutable(items).List(), r.Get(items).List()
		for i := range page.Len() {
			all.Append(page.Get(i))
		}
		return r.Get(next).String(), nil
	})
	if err != nil {
		return nil, err
	}
	first.Clear(next)
	if f := unreachableField(first); f != nil && len(left) > 0 {
		slices.Sort(left)
		u := first.NewField(f).List()
		for _, region := range slices.Compact(left) {
			u.Append(protoreflect.ValueOfString(region))
		}
		first.Set(f, protoreflect.ValueOfList(u))
	}
	return first.Interface(), nil
}
