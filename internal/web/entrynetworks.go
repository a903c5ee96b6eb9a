package web

import (
	"maps"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
)

// The entry form's network is a select. It offered every network of the
// region, read whole on every hours and entry page (~30 KiB of options
// for a region of hundreds). It offers a page of them now: the first
// searchPage networks whose names contain the page's network search
// (networkQuery in its address, the service's query filter; all of them
// when empty), and the network the form names. When more networks match,
// a search beside the select narrows them, as the list pages' search
// does, without JavaScript. The hours table names each listed entry's
// network, reading by itself one the page of choices lacks
// (networkLabels).

// networkQuery is the page's query parameter of the network search.
const networkQuery = "rete"

// networkSearch is the network search of an entry form: what it asked
// (Query, cut as the service takes it), whether more networks match than
// the choices hold, and why the service refused it ("" if it did not).
type networkSearch struct {
	Query, Error string
	More         bool
}

// Shown says whether the page shows the search: when it has something to
// narrow or to say, not beside the few networks of a small region.
func (n networkSearch) Shown() bool { return n.More || n.Query != "" || n.Error != "" }

// networkChoices are the display names, by name, of the first searchPage
// networks of the region whose names contain query (cutQuery), and
// whether more match. A query the service refuses (a control character,
// say) is refused: the caller names the field.
func (a *App) networkChoices(s *session, query string) (labels map[string]string, more bool, err error) {
	res, err := a.networks.ListNetworks(s.ctx, &famiv1.ListNetworksRequest{Parent: regionName(s.region), Query: cutQuery(query), PageSize: searchPage})
	if err != nil {
		return nil, false, err
	}
	labels = make(map[string]string, len(res.GetNetworks()))
	for _, n := range res.GetNetworks() {
		labels[n.GetName()] = n.GetDisplayName()
	}
	return labels, res.GetNextPageToken() != "", nil
}

// networkLabels is known with the display names of the region's networks
// among names that it lacks, each read by itself. A network deleted
// since, and any other text (another region's name, which the service
// would refuse to read), is left out, to be shown as it is.
func (a *App) networkLabels(s *session, known map[string]string, names []string) (map[string]string, error) {
	out := maps.Clone(known)
	if out == nil {
		out = map[string]string{}
	}
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	for _, name := range names {
		if _, done := out[name]; done {
			continue
		}
		if r, _, err := aip.ParseName("", name, resource.Networks); err != nil || r != s.region {
			continue
		}
		n, err := a.networks.GetNetwork(s.ctx, &famiv1.GetNetworkRequest{Name: name})
		switch {
		case status.Code(err) == codes.NotFound: // deleted since
		case err != nil:
			return nil, err
		default:
			out[name] = n.GetDisplayName()
		}
	}
	return out, nil
}
