package web

import (
	"context"
	"maps"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
)

// unary is a generated client's method as aip's walks call it.
func unary[Req, Resp any](call func(context.Context, Req, ...grpc.CallOption) (Resp, error)) func(context.Context, Req) (Resp, error) {
	return func(ctx context.Context, r Req) (Resp, error) { return call(ctx, r) }
}

// named is a resource shown by its display name.
type named interface {
	GetName() string
	GetDisplayName() string
}

// labels maps the names of the items req lists to their labels, read with
// the user's rights a page at a time (aip.Each): a lookup keeps the
// labels, never the resources.
func labels[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T interface{ GetName() string }](s *session,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, items func(Resp) []T, label func(T) string) (map[string]string, error) {
	out := map[string]string{}
	err := aip.Each(s.ctx, unary(list), req, func(res Resp) error {
		for _, it := range items(res) {
			out[it.GetName()] = label(it)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// labelOf is name's label in labels, else its id: a resource deleted
// since the page read what names it is still shown, as its name says.
func labelOf(labels map[string]string, name string) string {
	if l := labels[name]; l != "" {
		return l
	}
	return resource.ID(name)
}

// displayNameOf is a named resource's label in a lookup.
func displayNameOf[T named](it T) string { return it.GetDisplayName() }

// networkNames maps the region's network names to their display names.
func (a *App) networkNames(s *session) (map[string]string, error) {
	return labels(s, a.networks.ListNetworks, &famiv1.ListNetworksRequest{Parent: regionName(s.region), ReadMask: labelMask()},
		(*famiv1.ListNetworksResponse).GetNetworks, displayNameOf)
}

// partnerNames maps the region's partner names to their display names.
func (a *App) partnerNames(s *session) (map[string]string, error) {
	return labels(s, a.partners.ListPartners, &famiv1.ListPartnersRequest{Parent: regionName(s.region), ReadMask: labelMask()},
		(*famiv1.ListPartnersResponse).GetPartners, displayNameOf)
}

// maxMissing is how many of the names a label read asks for it finds
// missing before it reads the region's collection whole instead
// (partnerNames, networkNames): a batch Get answers all or none, so each
// costs one more call, and a form's rows may name any number that never
// existed.
const maxMissing = 3

// batchGet is one of the API's batch Gets (AIP-231) as readNamed calls it:
// the resources called names in the region parent, all or none.
type batchGet[T any] func(ctx context.Context, parent string, names []string) ([]T, error)

// readNamed reads the region's resources of collection among names (each
// once, in name order), resource.MaxBatchGet at a time (get), so that
// what a page reads grows with the resources it names, not with the
// region's. Any other text (another region's name, say, which the service
// would refuse to read) is left out, to be shown as it is; so is a
// resource that does not exist (deleted since), which fails its batch
// (names[i]): the batch is asked again without it, up to misses times,
// after which readNamed gives up and reports false. A batch whose answer
// would pass the API's bytes (BATCH_TOO_LARGE, naming the first name that
// does not fit) is asked again up to that name, and the rest after it.
func readNamed[T any](s *session, names []string, collection string, misses int, get batchGet[T]) ([]T, bool, error) {
	ask := slices.DeleteFunc(slices.Clone(names), func(name string) bool {
		_, ok := s.owns(name, collection)
		return !ok
	})
	slices.Sort(ask)
	ask = slices.Compact(ask)
	var out []T
	for most, missing := resource.MaxBatchGet, 0; len(ask) > 0; {
		batch := ask[:min(len(ask), most)]
		got, err := get(s.ctx, regionName(s.region), batch)
		if i, ok := refusedName(err, codes.NotFound, "", len(batch)); ok {
			if missing++; missing > misses {
				return out, false, nil
			}
			ask = slices.Delete(ask, i, i+1)
			continue
		}
		if i, ok := refusedName(err, codes.InvalidArgument, errs.BatchTooLarge, len(batch)); ok && i > 0 {
			most = i
			continue
		}
		if err != nil {
			return nil, false, err
		}
		out = append(out, got...)
		ask = ask[len(batch):]
	}
	return out, true, nil
}

// batchLabels is known with the labels (label) of the region's resources
// of collection among names that it lacks, read by name (readNamed); past
// maxMissing missing ones, the labels of the region's collection read
// whole (all).
func batchLabels[T interface{ GetName() string }](s *session, known map[string]string, names []string, collection string,
	get batchGet[T], label func(T) string, all func(*session) (map[string]string, error)) (map[string]string, error) {
	_, out, err := readLabelled(s, known, names, collection, get, label, all)
	return out, err
}

// readLabelled is batchLabels answering, besides the labels, the
// resources it read by name (none past maxMissing missing ones), for a
// page that asks more of them than their labels in the same call (a
// protocol's page, whether its parties are archived).
func readLabelled[T interface{ GetName() string }](s *session, known map[string]string, names []string, collection string,
	get batchGet[T], label func(T) string, all func(*session) (map[string]string, error)) ([]T, map[string]string, error) {
	lacking := slices.DeleteFunc(slices.Clone(names), func(name string) bool {
		_, ok := known[name]
		return ok
	})
	items, ok, err := readNamed(s, lacking, collection, maxMissing, get)
	if err != nil {
		return nil, nil, err
	}
	var out map[string]string
	if ok {
		out = make(map[string]string, len(items)+len(known))
		for _, it := range items {
			out[it.GetName()] = label(it)
		}
	} else if out, err = all(s); err != nil {
		return nil, nil, err
	}
	maps.Copy(out, known)
	return items, out, nil
}

// partnerLabels maps the names of the region's partners among names to
// their display names, read by name (batchLabels, BatchGetPartners).
func (a *App) partnerLabels(s *session, names []string) (map[string]string, error) {
	return batchLabels(s, nil, names, resource.Partners, a.batchPartners(labelMask()), displayNameOf, a.partnerNames)
}

// batchPartners is BatchGetPartners as readNamed calls it, answering the
// fields mask names (a protocol's page reads whether its parties are
// archived with it).
func (a *App) batchPartners(mask *fieldmaskpb.FieldMask) batchGet[*famiv1.Partner] {
	return func(ctx context.Context, parent string, names []string) ([]*famiv1.Partner, error) {
		res, err := a.partners.BatchGetPartners(ctx, &famiv1.BatchGetPartnersRequest{Parent: parent, Names: names, ReadMask: mask})
		return res.GetPartners(), err
	}
}

// networkLabels is known with the display names of the region's networks
// among names that it lacks, read by name (batchLabels,
// BatchGetNetworks).
func (a *App) networkLabels(s *session, known map[string]string, names []string) (map[string]string, error) {
	return batchLabels(s, known, names, resource.Networks, a.batchNetworks(labelMask()), displayNameOf, a.networkNames)
}

// batchNetworks is BatchGetNetworks as readNamed calls it, answering the
// fields mask names (all when nil: a meeting's page reads its networks'
// members with it).
func (a *App) batchNetworks(mask *fieldmaskpb.FieldMask) batchGet[*famiv1.Network] {
	return func(ctx context.Context, parent string, names []string) ([]*famiv1.Network, error) {
		res, err := a.networks.BatchGetNetworks(ctx, &famiv1.BatchGetNetworksRequest{Parent: parent, Names: names, ReadMask: mask})
		return res.GetNetworks(), err
	}
}

// refusedName is i when err is a batch Get's refusal with code and
// reason (any, when empty) naming names[i], one of the n names asked for.
func refusedName(err error, code codes.Code, reason errs.Reason, n int) (int, bool) {
	if status.Code(err) != code || (reason != "" && errorInfo(err).GetReason() != string(reason)) {
		return 0, false
	}
	i, ok := namedIndex(err, "names")
	return i, ok && i < n
}

// namedIndex is i when err carries a field violation of field[i] (a
// batch's refusal naming one of its names), the first if several.
func namedIndex(err error, field string) (int, bool) {
	for v := range violations(err) {
		if i, ok := errs.IndexIn(v.GetField(), field); ok {
			return i, true
		}
	}
	return 0, false
}

// closedSet is the region's closed periods that a page needs, as their
// days, never the periods themselves.
type closedSet []days

// days are the days from first to last ("YYYY-MM-DD"), both included.
type days struct{ first, last string }

func (c closedSet) contains(date string) bool {
	for _, p := range c {
		if p.first <= date && date <= p.last {
			return true
		}
	}
	return false
}

// closedPeriods reads the region's closed periods that meet shown, the
// days of the entries a page shows, a page at a time (aip.Each), keeping
// their days: what a page reads grows with the periods its days need, not
// with every period the region has closed.
func (a *App) closedPeriods(s *session, shown days) (closedSet, error) {
	var out closedSet
	err := aip.Each(s.ctx, unary(a.support.ListClosedPeriods),
		&famiv1.ListClosedPeriodsRequest{Parent: regionName(s.region), StartDate: shown.first, EndDate: shown.last},
		func(res *famiv1.ListClosedPeriodsResponse) error {
			for _, p := range res.GetClosedPeriods() {
				out = append(out, days{p.GetStartDate(), p.GetEndDate()})
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lookups are what a page shows beside the names its resources hold: the
// display names of the region's partners and networks, of the networks the
// user works in, and the closed periods that meet the days a page shows.
// The entry form loads a page of network choices, the closed periods of
// the entries it shows and the meetings an entry may name (entryLookups),
// the network form a page of project choices (networkProjects), the
// protocol form a page of the user's networks and the meeting page those
// of its own networks the user's partner is a member of (myNetworks).
type lookups struct {
	partners   map[string]string
	networks   map[string]string
	myNetworks map[string]string
	projects   map[string]string
	// meetings are the meetings a support entry may name, as its form's
	// choices show them (recentMeetings).
	meetings     []option
	meetingPager *pager
	// meetingsOf is the network whose meetings they are ("" for the
	// region's).
	meetingsOf string
	// search is the search of the form's choices (the entry form's
	// networks, the network form's projects), whose page the lookups hold.
	search choiceSearch
	closed closedSet
}

// displayName is the display name of the resource name, looked up in
// whichever lookups were loaded (l may be nil); else its id.
func (l *lookups) displayName(name string) string {
	if l != nil {
		for _, names := range []map[string]string{l.partners, l.networks, l.myNetworks, l.projects} {
			if d := names[name]; d != "" {
				return d
			}
		}
		if i := slices.IndexFunc(l.meetings, func(m option) bool { return m.Value == name }); i >= 0 {
			return l.meetings[i].Label
		}
	}
	return resource.ID(name)
}
