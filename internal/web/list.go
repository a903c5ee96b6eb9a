package web

import (
	"context"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raccordo/raccordo/internal/aip"
)

// listPage is a searchable list page (partners, projects, networks): a
// page of the items that match the search box's query, its navigation,
// and whether the user may create one (the "searchbox" template shows the
// box and the link).
type listPage[T any] struct {
	frame
	Query string
	// SearchError is the search box's error: the service refused its
	// query (a control or invisible character, too long), and the items
	// are the list's first page, unfiltered.
	SearchError string
	Items       []T
	Pager       *pager
	CanCreate   bool
}

// readListPage reads the page of list page name (titled "name.title") the
// address asks for: a page of the items req lists (readPage). req carries
// the search box's query (searchQuery) to the service, whose query filter
// matches it, so that a page reads only matching items; the query rides
// in the paging links. A query the service refuses is the search box's
// error, the list's first page read without it.
func readListPage[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T any](a *App, r *http.Request, s *session, name string,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, items func(Resp) []T, canCreate bool) (listPage[T], error) {
	p := listPage[T]{frame: a.newFrame(r, s, name+".title"), CanCreate: canCreate, Query: searchQuery(r)}
	var err error
	p.Items, p.Pager, err = readPage(s, r, "", p.Title, list, req, items, every)
	if status.Code(err) == codes.InvalidArgument && namesField(err, "query") {
		// Refused, the query failed the whole page with "the data sent
		// are not valid", the search box gone with it: a name pasted
		// with an invisible character in it, say.
		p.SearchError = msgf("list.search_refused", aip.MaxQuery)
		unfiltered := r.Clone(r.Context())
		q := unfiltered.URL.Query()
		q.Del("q")
		dropPaging(q, "")
		unfiltered.URL.RawQuery = q.Encode()
		req.ProtoReflect().Clear(req.ProtoReflect().Descriptor().Fields().ByName("query"))
		p.Items, p.Pager, err = readPage(s, unfiltered, "", p.Title, list, req, items, every)
	}
	return p, err
}

// showList renders list page name with the page readListPage reads.
func showList[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T any](a *App, w http.ResponseWriter, r *http.Request, s *session, name string,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, items func(Resp) []T, canCreate bool) {
	p, err := readListPage(a, r, s, name, list, req, items, canCreate)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, p.status(), name, &p)
}

// status is the page's HTTP status: 400 Bad Request for a search the
// service refused (SearchError), whose page says why beside the box.
func (p *listPage[T]) status() int {
	if p.SearchError != "" {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// searchQuery is a list page's search box: the request's query, which
// the service matches against the items' names, ignoring case (the List's
// query filter, namekey.Matcher).
func searchQuery(r *http.Request) string { return strings.TrimSpace(r.URL.Query().Get("q")) }
