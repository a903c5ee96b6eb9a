package web

import (
	"net/http"
	"strings"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
)

// historyPage is a resource's history from the region's change log.
type historyPage struct {
	frame
	Name    string
	Changes []*famiv1.Change
}

// history reads the region's change log through ListChanges and keeps the
// changes of one resource. The name must belong to the region shown: the
// log is read with the user's rights.
func (a *App) history(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.URL.Query().Get("nome")
	if !strings.HasPrefix(name, regionName(s.region)+"/") {
		a.notFound(w, r, s)
		return
	}
	p := &historyPage{frame: a.newFrame(r, s, "history.title"), Name: name}
	// The log is walked a page at a time: only the resource's changes are
	// kept, never the region's whole log.
	err := aip.Each(s.ctx, unary(a.sync.ListChanges), &famiv1.ListChangesRequest{Parent: regionName(s.region)}, func(res *famiv1.ListChangesResponse) error {
		for _, c := range res.GetChanges() {
			if c.GetResourceName() == name {
				p.Changes = append(p.Changes, c)
			}
		}
		return nil
	})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, http.StatusOK, "history", p)
}
