package web

import (
	"net/http"
	"slices"
	"strings"
)

// listPage is a searchable list page (partners, projects, networks): the
// items that match the search box's query and whether the user may create
// one (the "searchbox" template shows the box and the link).
type listPage[T any] struct {
	frame
	Query     string
	Items     []T
	CanCreate bool
}

// newListPage fills a list page titled title with the items that match
// the search box on fields (see search).
func newListPage[T any](a *App, r *http.Request, s *session, title string, items []T, fields func(T) []string, canCreate bool) listPage[T] {
	p := listPage[T]{frame: a.newFrame(r, s, title), CanCreate: canCreate}
	p.Query, p.Items = search(r, items, fields)
	return p
}

// showList renders list page name (titled "name.title") with the items all
// reads that match the search box on fields.
func showList[T any](a *App, w http.ResponseWriter, r *http.Request, s *session, name string, all func(*session) ([]T, error), fields func(T) []string, canCreate bool) {
	items, err := all(s)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	p := newListPage(a, r, s, name+".title", items, fields, canCreate)
	a.render(w, http.StatusOK, name, &p)
}

// search is a list page's search box: the request's query q and the items
// of which any of the fields contains it, ignoring case (all of them when
// q is empty).
func search[T any](r *http.Request, items []T, fields func(T) []string) (q string, found []T) {
	q = strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return q, items
	}
	lq := strings.ToLower(q)
	for _, it := range items {
		if slices.ContainsFunc(fields(it), func(f string) bool { return strings.Contains(strings.ToLower(f), lq) }) {
			found = append(found, it)
		}
	}
	return q, found
}
