package web

import (
	"net/http"
	"net/url"
	"strings"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/resource"
	"google.golang.org/protobuf/proto"
)

// historyPage is a resource's history from the region's change log, a
// page at a time.
type historyPage struct {
	frame
	Name string
	// Back is the page of the resource, "" for a kind the web shows on no
	// page of its own: the way back from its history.
	Back    string
	Changes []*famiv1.Change
	Pager   *pager
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
	if !a.mayReadHistory(s, name) {
		a.renderError(w, r, s, http.StatusForbidden, "error.forbidden", "history.forbidden")
		return
	}
	p := &historyPage{frame: a.newFrame(r, s, "history.title"), Name: name, Back: pageOf(name)}
	// The log of the resource's type (ListChanges' filter) is walked until
	// a page of the resource's changes is kept (readPage): never the
	// region's whole log, nor all of a resource's changes.
	req := historyRequest(s, name)
	var err error
	p.Changes, p.Pager, err = readPage(s, r, "", msg("history.title"), a.sync.ListChanges, req,
		(*famiv1.ListChangesResponse).GetChanges, func(c *famiv1.Change) (*famiv1.Change, bool) { return c, c.GetResourceName() == name })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.render(w, http.StatusOK, "history", p)
}

// historyRequest is the ListChanges request of name's history: the
// region's changes of the resource's type.
func historyRequest(s *session, name string) *famiv1.ListChangesRequest {
	req := &famiv1.ListChangesRequest{Parent: regionName(s.region)}
	if typ := typeOf(name); typ != "" {
		req.ResourceTypes = []string{typ}
	}
	return req
}

// mayReadHistory reports whether the user may read name's history: the
// rights table admits their ListChanges and the change feed lets them
// read the resource's type (auth.Readable, as the server's feed asks it),
// which it refuses to a role that may not read that type's resources
// (the ministry, support entries). The links to a history and its page
// ask this one place.
func (a *App) mayReadHistory(s *session, name string) bool {
	req := historyRequest(s, name)
	if !s.can(a, famiv1connect.SyncServiceListChangesProcedure, req) {
		return false
	}
	return len(a.readable.Hidden(s.who, s.region, req.GetResourceTypes())) == 0
}

// resourcePages are the web's page of each kind of resource, by collection.
var resourcePages = map[string]string{
	resource.Networks: "/reti/", resource.Partners: "/partner/", resource.Projects: "/progetti/",
	resource.Protocols: "/protocolli/", resource.Meetings: "/incontri/", resource.SupportEntries: "/ore/",
}

// resourceTypes are the resources a history is asked for, by collection:
// a change names its resource's type by the message's full name.
var resourceTypes = map[string]proto.Message{
	resource.Networks: &famiv1.Network{}, resource.Partners: &famiv1.Partner{}, resource.Projects: &famiv1.Project{},
	resource.Protocols: &famiv1.Protocol{}, resource.Meetings: &famiv1.Meeting{}, resource.SupportEntries: &famiv1.SupportEntry{},
	resource.MonitoringReports: &famiv1.MonitoringReport{},
}

// typeOf is the type of the resource name (regions/{region}/{collection}/
// {id}, or nested), as its changes name it; "" for a collection not in
// resourceTypes, whose history is then read from every type's changes.
func typeOf(name string) string {
	parts := strings.Split(name, "/")
	if len(parts) < 4 || len(parts)%2 != 0 {
		return ""
	}
	m, ok := resourceTypes[parts[len(parts)-2]]
	if !ok {
		return ""
	}
	return string(m.ProtoReflect().Descriptor().FullName())
}

// pageOf is the page that shows the resource name
// (regions/{region}/{collection}/{id}, or a project's monitoring report),
// or "" when the web has none. It is the one way to a resource's page: an
// id that is a word of the web's own addresses (aip.ReservedID) is
// reached with recordParam (recordOr).
func pageOf(name string) string {
	parts := strings.Split(name, "/")
	switch {
	case len(parts) == 4:
		return pageAt(parts[2], parts[3])
	case len(parts) == 6 && parts[2] == resource.Projects && parts[4] == resource.MonitoringReports:
		return "/progetti/" + url.PathEscape(parts[3]) + "/monitoraggio/" + url.PathEscape(parts[5])
	}
	return ""
}

// pageAt is the page of the resource id of collection (resourcePages), ""
// for a collection the web shows on no page of its own.
func pageAt(collection, id string) string {
	p := resourcePages[collection]
	switch {
	case p == "":
		return ""
	case aip.ReservedID(id):
		return p + url.PathEscape(id) + "?" + recordParam + "=1"
	}
	return p + url.PathEscape(id)
}
