package web

import (
	"context"
	"net/http"
	"strings"

	"google.golang.org/grpc"

	"github.com/raccordo/raccordo/internal/aip"
)

// listPage is a searchable list page (partners, projects, networks): a
// page of the items that match the search box's query, its navigation,
// and whether the user may create one (the "searchbox" template shows the
// box and the link).
type listPage[T any] struct {
	frame
	Query     string
	Items     []T
	Pager     *pager
	CanCreate bool
}

// readListPage reads the page of list page name (titled "name.title") the
// address asks for: the items req lists that match the search box, a page
// at a time (readPage; the query rides in the paging links). With fields,
// the page matches the query on them; without, req already carries it to
// the service as its query filter (searchQuery), so that the page reads
// only matching items.
func readListPage[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T any](a *App, r *http.Request, s *session, name string,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, items func(Resp) []T, fields func(T) []string, canCreate bool) (listPage[T], error) {
	p := listPage[T]{frame: a.newFrame(r, s, name+".title"), CanCreate: canCreate, Query: searchQuery(r)}
	match := func(T) bool { return true }
	if fields != nil {
		m := aip.Matcher(p.Query)
		match = func(it T) bool { return m(fields(it)...) }
	}
	var err error
	p.Items, p.Pager, err = readPage(s, r, "", p.Title, list, req, items, func(it T) (T, bool) { return it, match(it) })
	return p, err
}

// showList renders list page name with the page readListPage reads.
func showList[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T any](a *App, w http.ResponseWriter, r *http.Request, s *session, name string,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, items func(Resp) []T, fields func(T) []string, canCreate bool) {
	p, err := readListPage(a, r, s, name, list, req, items, fields, canCreate)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, http.StatusOK, name, &p)
}

// searchQuery is a list page's search box: the request's query q, which
// an item matches when any of its fields contains it, ignoring case
// (aip.Matcher; every item when q is empty).
func searchQuery(r *http.Request) string { return strings.TrimSpace(r.URL.Query().Get("q")) }
