package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
)

// A form's choice among a collection of the region that may hold hundreds
// of items (the entry form's network, the network form's projects) shows a
// page of them, not the collection: the first searchPage items whose names
// contain the form's search (the service's query filter; all of them when
// empty), and the items the form names. When more items match, a search
// among the form's fields narrows them (choiceSearch), without JavaScript:
// its button submits the whole form (searchable), which comes back as
// typed with its choices narrowed and nothing saved, so that a search never
// loses what was typed before it. What a page names beyond its choices is
// read by name, a batch at a time: the hours table's networks
// (networkLabels), a network's projects (projectLabels).

// choiceSearch is the search of a form's choices: the form's field that
// holds it (Param, also read from the address, so that a link may search),
// its label and the hint it gives, what it asked (Query, cut as the
// service takes it), whether more items match than the choices hold, and
// why the service refused it ("" if it did not).
type choiceSearch struct {
	Param, Label           string
	MoreHint, SearchedHint string
	Query, Error           string
	More                   bool
}

// Shown says whether the page shows the search: when it has something to
// narrow or to say, not beside the few items of a small region.
func (c choiceSearch) Shown() bool { return c.More || c.Query != "" || c.Error != "" }

// Searched is the name of the hidden field that sends back the text the
// choices were found by (searchedPrefix).
func (c choiceSearch) Searched() string { return searchedPrefix + c.Param }

// Hint is what the search says of the choices.
func (c choiceSearch) Hint() string {
	switch {
	case c.More:
		return c.MoreHint
	case c.Error != "":
		return "" // the choices are the first page, unsearched
	}
	return msgf(c.SearchedHint, c.Query)
}

// networkQuery is the entry form's field of the network search.
const networkQuery = "rete"

// searchField names the buttons that send a form to be shown again rather
// than saved (searchable): the search of its choices (choiceSearch) and the
// pages of the entry form's meetings (formpager in _pager.html). Neither is
// the form's default button, which Enter clicks: that is a copy of its
// save (savedefault in _choice_search.html).
const searchField = "cerca"

// saveField names the visible save of a form whose choices have a search
// among its fields (save in _choice_search.html): a click on it saves the
// form, whatever its search holds. Its copy that Enter clicks
// (savedefault) sends no name, so that the server tells them apart.
const saveField = "salva"

// searchedPrefix names the hidden field beside each search of a form
// (choicesearch), prefixed to the search field's name, that holds the text
// the page's choices were found by: a search typed since differs from it
// (searchTyped).
const searchedPrefix = "cercato."

// formFunc renders a form's page with fm, answering code.
type formFunc func(w http.ResponseWriter, r *http.Request, s *session, code int, fm *form)

// searchable makes save the submit of a form whose choices have a search
// among its fields: sent by the search button (searchField), or by Enter
// with a search typed and not yet run (searchTyped), the form is shown
// again (show) as typed, every field kept, its choices narrowed by the
// search, and nothing is saved; sent by its visible save (saveField), or
// any other way, it is saved. Before, the search was a form of its own,
// and whatever had been typed in the form was lost with the page it
// reloaded.
//
// A search typed and not run is why Enter in a search field searches
// without JavaScript too: HTML's implicit submission clicks the form's
// default button, the copy of its save (savedefault), which names no
// field. So a form sent by that copy with a search typed since the page
// was shown runs the search first: the user sees the choices it finds,
// their choice kept, and a notice that nothing was saved and why, and
// saves again. With JavaScript, Enter in a search field clicks its button
// (app.js), as before, and Enter in another field sends the visible save's
// name (saveField) with the copy, and saves. Before the visible save named
// itself, the server could not tell it from the copy, and a click on it
// with a search typed ran the search and saved nothing. The search typed
// is not lost: a refused save shows the form again with its choices found
// by it (the search run), a saved one leaves the form.
func searchable(save pageFunc, show formFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		saving := r.PostFormValue(saveField) != "" || !searchTyped(r.PostForm)
		if r.PostFormValue(searchField) == "" && saving {
			save(w, r, s)
			return
		}
		fm := newForm(r.PostForm)
		if r.PostFormValue(searchField) == "" {
			// The user pressed Enter, which clicks the save's copy: say
			// why nothing was saved.
			fm.Notice = msg("form.searched_not_saved")
		}
		show(w, r, s, http.StatusOK, fm)
	}
}

// searchTyped reports whether a form holds a search whose text is not the
// one its page's choices were found by (searchedPrefix): typed since, as
// the search will take it (cutQuery). A form without the hidden field (a
// client of its own, a page whose search was not shown) has none.
func searchTyped(v url.Values) bool {
	for name := range v {
		if field, ok := strings.CutPrefix(name, searchedPrefix); ok && cutQuery(v.Get(field)) != v.Get(name) {
			return true
		}
	}
	return false
}

// searchChoices fills c's Query from the form's search field and
// returns the labels of the first page of choices the search finds (list,
// given the query as the service takes it), c's More set. A search the
// service refuses (a control character, say) is c's Error, refused with
// refusedKey's text, and the choices are the first page.
func searchChoices(c *choiceSearch, query string, refusedKey string, list func(query string) (map[string]string, bool, error)) (map[string]string, error) {
	c.Query = cutQuery(query)
	labels, more, err := list(c.Query)
	if status.Code(err) == codes.InvalidArgument {
		c.Error = msg(refusedKey)
		labels, more, err = list("")
	}
	c.More = more
	return labels, err
}

// choicesPage maps the names of the first items req lists, a page's worth
// (req sets its query and page size; firstItems reads on past a page the
// service's scan budget ended short), to their labels, and says whether
// more follow.
func choicesPage[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T interface{ GetName() string }](s *session,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, items func(Resp) []T, label func(T) string) (map[string]string, bool, error) {
	found, more, err := firstItems(s.ctx, list, req, items)
	if err != nil {
		return nil, false, err
	}
	out := map[string]string{}
	for _, it := range found {
		out[it.GetName()] = label(it)
	}
	return out, more, nil
}

// labelMask is the read mask (AIP-157) of a read for labels: a resource's
// name and display name, not the rest (a network's members, a partner's
// municipalities), which a label never shows.
func labelMask() *fieldmaskpb.FieldMask {
	return &fieldmaskpb.FieldMask{Paths: []string{"name", "display_name"}}
}

// labelStateMask is labelMask with whether a partner is archived, for a
// page that offers it only while it takes something new (ADR 30): a
// protocol's signatures, a meeting's attendance.
func labelStateMask() *fieldmaskpb.FieldMask {
	return &fieldmaskpb.FieldMask{Paths: []string{"name", "display_name", "archived"}}
}

// networkChoices are the display names, by name, of the first searchPage
// active networks of the region (of partner's only, when set: myNetworks'
// rule) whose names or whose lead partner's contain query, and whether
// more match. An archived network takes no new entry, meeting or
// protocol (ADR 30), so no form offers it; a record that names one still
// shows it, read by name (searchNetworks' named). Partners' choices
// (partnerChoicesPage) leave the archived out as ListPartners does.
func (a *App) networkChoices(s *session, partner, query string) (map[string]string, bool, error) {
	return choicesPage(s, a.networks.ListNetworks, &famiv1.ListNetworksRequest{Parent: regionName(s.region), Partner: partner, Query: query,
		State: famiv1.NetworkState_NETWORK_STATE_ACTIVE, PageSize: searchPage, ReadMask: labelMask()}, (*famiv1.ListNetworksResponse).GetNetworks, displayNameOf)
}

// searchNetworks is a form's network choices: search set as the form's
// network search (networkQuery), the labels of the page of networks it
// finds (networkChoices, of partner's when set), and those of the
// networks the form names (named: chosen, or stored), read by name.
func (a *App) searchNetworks(r *http.Request, s *session, search *choiceSearch, partner string, named []string) (map[string]string, error) {
	*search = choiceSearch{Param: networkQuery, Label: msg("hours.network_search"), MoreHint: msg("hours.networks_more"),
		SearchedHint: "hours.networks_searched"}
	return a.findNetworks(r, s, search, "hours.network_search_refused", partner, named)
}

// findNetworks is searchNetworks for a search in any field of the form
// (search's Param, its texts set), refused with refusedKey's text: a
// form with two choices of networks (a protocol's network and its other
// networks) searches each on its own.
func (a *App) findNetworks(r *http.Request, s *session, search *choiceSearch, refusedKey, partner string, named []string) (map[string]string, error) {
	page, err := searchChoices(search, r.FormValue(search.Param), refusedKey, func(q string) (map[string]string, bool, error) {
		return a.networkChoices(s, partner, q)
	})
	if err != nil {
		return nil, err
	}
	return a.networkLabels(s, page, named)
}

// partnerChoicesPage are the display names, by name, of the first
// searchPage partners of the region whose names contain query, and
// whether more match.
func (a *App) partnerChoicesPage(s *session, query string) (map[string]string, bool, error) {
	return choicesPage(s, a.partners.ListPartners, &famiv1.ListPartnersRequest{Parent: regionName(s.region), Query: query,
		PageSize: searchPage, ReadMask: labelMask()}, (*famiv1.ListPartnersResponse).GetPartners, displayNameOf)
}

// projectLabel is how a choice names a project: its code and title.
func projectLabel(p *famiv1.Project) string { return p.GetCode() + " " + p.GetTitle() }

// projectLabelMask is the read mask (AIP-157) of a read for project
// labels (projectLabel): a project's name, code and title, not its plan,
// nor its overlap count, which the service computes only when asked.
func projectLabelMask() *fieldmaskpb.FieldMask {
	return &fieldmaskpb.FieldMask{Paths: []string{"name", "code", "title"}}
}

// projectChoices are the labels, by name, of the first searchPage projects
// of the region whose code, title or CUP contain query, and whether more
// match.
func (a *App) projectChoices(s *session, query string) (map[string]string, bool, error) {
	return choicesPage(s, a.projects.ListProjects, &famiv1.ListProjectsRequest{Parent: regionName(s.region), Query: query, PageSize: searchPage,
		ReadMask: projectLabelMask()}, (*famiv1.ListProjectsResponse).GetProjects, projectLabel)
}

// projectLabels is known with the labels of the region's projects among
// names that it lacks, read by name (batchLabels, BatchGetProjects).
func (a *App) projectLabels(s *session, known map[string]string, names []string) (map[string]string, error) {
	return batchLabels(s, known, names, resource.Projects, a.batchProjects, projectLabel, a.projectNames)
}

// batchProjects is BatchGetProjects as readNamed calls it.
func (a *App) batchProjects(ctx context.Context, parent string, names []string) ([]*famiv1.Project, error) {
	res, err := a.projects.BatchGetProjects(ctx, &famiv1.BatchGetProjectsRequest{Parent: parent, Names: names, ReadMask: projectLabelMask()})
	return res.GetProjects(), err
}

// projectNames maps the region's project names to their labels.
func (a *App) projectNames(s *session) (map[string]string, error) {
	return labels(s, a.projects.ListProjects, &famiv1.ListProjectsRequest{Parent: regionName(s.region), ReadMask: projectLabelMask()},
		(*famiv1.ListProjectsResponse).GetProjects, projectLabel)
}
