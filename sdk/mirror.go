package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk/paging"
)

// Resource is what a mirror holds: a named resource.
type Resource interface {
	proto.Message
	GetName() string
}

// Lister lists one collection of a region page by page; every page reports
// the region revision it reflects.
type Lister func(ctx context.Context, region, pageToken string) (items []Resource, next string, revision int64, err error)

// NestedLister lists the resources nested in the resources of one
// collection (a project's monitoring reports, a network's capacity
// assessments). All lists those of every parent of a region at once; List
// lists one parent's page by page, as a Lister a region's collection.
type NestedLister struct {
	// Parents is the id of the parents' collection, as in their names
	// (regions/{r}/projects/{p}: "projects").
	Parents string
	// All lists the collection in every parent of a region, with the
	// parent regions/{r}/{Parents}/- (AIP-159): a mirror lists it in
	// pages of the server's size, not with a List call per parent. When
	// it is nil, or the server refuses the wildcard (a server older than
	// it answers NOT_FOUND for the parent "-"), the mirror lists each
	// parent it listed with List.
	All  Lister
	List func(ctx context.Context, parent, pageToken string) (items []Resource, next string, revision int64, err error)
}

// Handler receives what a mirror learns.
type Handler interface {
	// Reset drops everything: the mirror is about to list the region again
	// (at start without a revision, or when the feed was compacted past
	// the mirror's revision).
	Reset(ctx context.Context) error
	// Put stores the current state of a resource.
	Put(ctx context.Context, r Resource) error
	// Delete removes a resource by name, with the resources nested in
	// it (named under it, as a project's monitoring reports); a missing
	// one is not an error.
	Delete(ctx context.Context, name string) error
	// Synced records that everything up to revision is applied; a mirror
	// restarted from it resumes without listing again. It is called once
	// the lists are applied, then as the watch advances.
	Synced(ctx context.Context, revision int64) error
}

// Mirror keeps a Handler in step with a region: it lists every collection,
// then watches from the lists' revision, reconnects with backoff from the
// last revision it applied, and lists again when the server says the
// revision was compacted.
type Mirror struct {
	Client *Client
	Region string
	// Listers are the collections to list; DefaultListers when nil.
	Listers []Lister
	// Nested are the collections nested in those Listers list, listed
	// for each parent listed; DefaultNested when nil.
	Nested  []NestedLister
	Handler Handler
	// Since resumes from a revision a previous run reached (0: list).
	Since int64
	// MinBackoff and MaxBackoff bound the reconnection delay.
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
}

// RegistryListers are the registry's collections: partners, projects and
// networks.
func RegistryListers(c *Client) []Lister {
	return []Lister{
		listerOf(c.Partners.ListPartners, &famiv1.ListPartnersRequest{ShowArchived: true}, (*famiv1.ListPartnersResponse).GetPartners),
		listerOf(c.Projects.ListProjects, &famiv1.ListProjectsRequest{}, (*famiv1.ListProjectsResponse).GetProjects),
		listerOf(c.Networks.ListNetworks, &famiv1.ListNetworksRequest{}, (*famiv1.ListNetworksResponse).GetNetworks),
	}
}

// DefaultListers are the collections a regional system mirrors: the
// registry, protocols, meetings, support entries, closed periods, contacts
// and surveys; DefaultNested those nested in them.
func DefaultListers(c *Client) []Lister {
	return append(RegistryListers(c),
		listerOf(c.Protocols.ListProtocols, &famiv1.ListProtocolsRequest{}, (*famiv1.ListProtocolsResponse).GetProtocols),
		listerOf(c.Meetings.ListMeetings, &famiv1.ListMeetingsRequest{}, (*famiv1.ListMeetingsResponse).GetMeetings),
		listerOf(c.Support.ListSupportEntries, &famiv1.ListSupportEntriesRequest{}, (*famiv1.ListSupportEntriesResponse).GetSupportEntries),
		// Reopened periods too: the mirror holds every state, as the feed
		// delivers them.
		listerOf(c.Support.ListClosedPeriods, &famiv1.ListClosedPeriodsRequest{ShowReopened: true}, (*famiv1.ListClosedPeriodsResponse).GetClosedPeriods),
		listerOf(c.Contacts.ListContacts, &famiv1.ListContactsRequest{}, (*famiv1.ListContactsResponse).GetContacts),
		listerOf(c.Surveys.ListSurveys, &famiv1.ListSurveysRequest{}, (*famiv1.ListSurveysResponse).GetSurveys),
	)
}

// DefaultNested are the collections nested in the registry's that a
// regional system mirrors: each project's monitoring reports, with their
// earlier approved revisions, and each network's capacity assessments.
// Each is listed across the region's parents at once; against a server
// older than that, parent by parent, with a read of each earlier approved
// revision.
func DefaultNested(c *Client) []NestedLister {
	reports := (*famiv1.ListMonitoringReportsResponse).GetMonitoringReports
	assessments := pagesOf(c.Evaluation.ListCapacityAssessments, &famiv1.ListCapacityAssessmentsRequest{}, (*famiv1.ListCapacityAssessmentsResponse).GetCapacityAssessments)
	return []NestedLister{
		{
			Parents: "projects",
			All:     inEveryParent("projects", pagesOf(c.Monitoring.ListMonitoringReports, &famiv1.ListMonitoringReportsRequest{ShowApprovedRevisions: true}, reports)),
			List: withApprovedRevisions(
				pagesOf(c.Monitoring.ListMonitoringReports, &famiv1.ListMonitoringReportsRequest{}, reports),
				c.Monitoring.GetMonitoringReport),
		},
		{Parents: "networks", All: inEveryParent("networks", assessments), List: assessments},
	}
}

// inEveryParent is the Lister of pages, a parent's list, over every
// resource of a region's collection parents: the parent
// regions/{r}/{parents}/- (AIP-159).
func inEveryParent(parents string, pages func(ctx context.Context, parent, tok string) ([]Resource, string, int64, error)) Lister {
	return func(ctx context.Context, region, tok string) ([]Resource, string, int64, error) {
		return pages(ctx, "regions/"+region+"/"+parents+"/-", tok)
	}
}

// listPageSize is the page a mirror lists in: the largest the server
// serves.
const listPageSize = 1000

// listerOf is the Lister of a standard List method: it asks list for a
// region's pages of listPageSize with filters, a request holding whatever
// filter the mirror needs (see paging.Page), and picks each page's
// resources with items.
func listerOf[Req proto.Message, Resp interface {
	GetNextPageToken() string
	GetRevision() int64
}, T Resource](list func(context.Context, Req) (Resp, error), filters Req, items func(Resp) []T) Lister {
	pages := pagesOf(list, filters, items)
	return func(ctx context.Context, region, tok string) ([]Resource, string, int64, error) {
		return pages(ctx, "regions/"+region, tok)
	}
}

// pagesOf is listerOf's page of any parent's items: a region's, or a
// parent resource's for a NestedLister.
func pagesOf[Req proto.Message, Resp interface {
	GetNextPageToken() string
	GetRevision() int64
}, T Resource](list func(context.Context, Req) (Resp, error), filters Req, items func(Resp) []T) func(ctx context.Context, parent, tok string) ([]Resource, string, int64, error) {
	return func(ctx context.Context, parent, tok string) ([]Resource, string, int64, error) {
		res, err := list(ctx, paging.Page(filters, parent, listPageSize, tok))
		return asResources(items(res)), res.GetNextPageToken(), res.GetRevision(), err
	}
}

// withApprovedRevisions adds to each page of monitoring reports that
// pages lists the earlier approved revisions of its reports, read with
// get: for a server that lists a report's revisions with
// show_approved_revisions only across projects, or not at all. The API
// keeps each as its own resource, "{name}@{revision}", which the feed
// delivers when a correction opens: a mirror that listed the region
// without them held them only if it had seen them come.
// A report at revision n was approved at each revision before it (only
// an approved report is corrected), and an approved revision never
// changes: read after the page, it is as the page's revision had it.
func withApprovedRevisions(pages func(ctx context.Context, parent, tok string) ([]Resource, string, int64, error),
	get func(context.Context, *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error),
) func(ctx context.Context, parent, tok string) ([]Resource, string, int64, error) {
	return func(ctx context.Context, parent, tok string) ([]Resource, string, int64, error) {
		items, next, rev, err := pages(ctx, parent, tok)
		if err != nil {
			return nil, "", 0, err
		}
		var approved []Resource
		for _, it := range items {
			r, ok := it.(*famiv1.MonitoringReport)
			for n := int32(1); ok && n < r.GetRevision(); n++ {
				earlier, err := get(ctx, &famiv1.GetMonitoringReportRequest{Name: r.GetName() + "@" + strconv.Itoa(int(n))})
				if err != nil {
					return nil, "", 0, err
				}
				approved = append(approved, earlier)
			}
		}
		return append(items, approved...), next, rev, nil
	}
}

func asResources[T Resource](items []T) []Resource {
	out := make([]Resource, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// Run keeps the mirror in sync until ctx ends or an error that retrying
// cannot fix (see Retryable: DATA_LOSS, a refused token; a handler
// error), which it returns saying what to do. It lists again when its
// revision was compacted, or is beyond the region's (a region restored
// keeping older revisions), and retries the other errors with backoff,
// waiting at least the server's Retry-After.
func (m *Mirror) Run(ctx context.Context) error {
	if m.Listers == nil {
		m.Listers = DefaultListers(m.Client)
	}
	if m.Nested == nil {
		m.Nested = DefaultNested(m.Client)
	}
	if m.MinBackoff <= 0 {
		m.MinBackoff = 100 * time.Millisecond
	}
	if m.MaxBackoff <= 0 {
		m.MaxBackoff = 30 * time.Second
	}
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	rev := m.Since
	listed := rev > 0
	backoff := m.MinBackoff
	listedAt := int64(-1) // the revision of the last list
	for ctx.Err() == nil {
		if !listed {
			r, err := m.list(ctx)
			if err != nil {
				if !retryable(err) {
					return m.stopped(err, rev)
				}
				m.wait(ctx, &backoff, err)
				continue
			}
			rev, listed, listedAt = r, true, r // list recorded rev and said so
		}
		r, err := m.watch(ctx, rev, &backoff)
		rev = r
		switch {
		case ctx.Err() != nil:
			return nil
		case isCompacted(err):
			m.Logger.Info("revision compacted: listing again", "region", m.Region, "revision", rev)
			m.relist(ctx, rev == listedAt, &backoff, err)
			listed = false
		case isAhead(err):
			// The region was restored or moved keeping older revisions
			// (famictl restore --bump-revision 0): what the mirror holds
			// past the server's revision is not the server's, and only a
			// new list says what is.
			m.Logger.Warn("the mirror's revision is beyond the region's (restored or moved keeping older revisions): listing again", "region", m.Region, "revision", rev, "err", err)
			m.relist(ctx, rev == listedAt, &backoff, err)
			listed = false
		case !retryable(err):
			return m.stopped(err, rev)
		default:
			m.wait(ctx, &backoff, err)
		}
	}
	return nil
}

// list resets the handler, lists every collection, and the collections
// nested in each resource listed, and reports the revision to resume from
// to Handler.Synced. Each list is its own snapshot: the watch starts from
// the oldest of their revisions, and the changes it replays are
// idempotent (Put of a state, Delete by name).
func (m *Mirror) list(ctx context.Context) (int64, error) {
	m.Logger.Info("listing every collection", "region", m.Region)
	if err := m.Handler.Reset(ctx); err != nil {
		return 0, handlerErr{err}
	}
	l := listing{m: m, oldest: -1, parents: map[string][]string{}}
	for _, n := range m.Nested {
		l.parents[n.Parents] = nil
	}
	for _, list := range m.Listers {
		if err := l.walk(ctx, func(tok string) ([]Resource, string, int64, error) { return list(ctx, m.Region, tok) }); err != nil {
			return 0, err
		}
	}
	for _, n := range m.Nested {
		if err := l.nested(ctx, n); err != nil {
			return 0, err
		}
	}
	rev := max(l.oldest, 0)
	// Recording the lists' revision now, not at the first change, lets a
	// mirror stopped before anything changes resume without listing again.
	if err := m.Handler.Synced(ctx, rev); err != nil {
		return 0, handlerErr{err}
	}
	m.Logger.Info("listed the region; watching its changes", "region", m.Region, "revision", rev, "resources", l.n)
	return rev, nil
}

// listing is one list of the region: the oldest revision its pages
// reflect, the number of resources it put, and the names it put of each
// collection that others are nested in (parents, by collection), which a
// NestedLister without All lists one by one.
type listing struct {
	m       *Mirror
	oldest  int64
	n       int
	parents map[string][]string
}

// walk puts every resource of one listing, page by page.
func (l *listing) walk(ctx context.Context, page func(tok string) ([]Resource, string, int64, error)) error {
	return paging.Walk(ctx, func(tok string) (string, error) {
		items, next, rev, err := page(tok)
		if err != nil {
			return "", err
		}
		if l.oldest < 0 || rev < l.oldest {
			l.oldest = rev
		}
		for _, it := range items {
			if err := l.m.Handler.Put(ctx, it); err != nil {
				return "", handlerErr{err}
			}
			l.n++
			if names, ok := l.parents[collectionOf(it.GetName())]; ok {
				l.parents[collectionOf(it.GetName())] = append(names, it.GetName())
			}
		}
		return next, nil
	})
}

// nested lists the collection n nested in the parents listed: with n.All
// in pages across them, or, when n has no All or the server refuses its
// wildcard parent (NOT_FOUND or INVALID_ARGUMENT: a server older than
// it), parent by parent. A Put twice (a refusal after a page) is a Put of
// the same state. A parent deleted since its page was read answers
// NOT_FOUND: the watch, from a revision before that page's, replays the
// deletion, so there is nothing to list.
func (l *listing) nested(ctx context.Context, n NestedLister) error {
	if n.All != nil {
		err := l.walk(ctx, func(tok string) ([]Resource, string, int64, error) { return n.All(ctx, l.m.Region, tok) })
		if code := connect.CodeOf(err); err == nil || code != connect.CodeNotFound && code != connect.CodeInvalidArgument {
			return err
		}
		l.m.Logger.Warn("the server lists no resources across parents (older than the SDK): listing each parent's", "region", l.m.Region, "parents", n.Parents, "err", err)
	}
	for _, parent := range l.parents[n.Parents] {
		err := l.walk(ctx, func(tok string) ([]Resource, string, int64, error) { return n.List(ctx, parent, tok) })
		if err != nil && connect.CodeOf(err) != connect.CodeNotFound {
			return err
		}
	}
	return nil
}

// collectionOf is the collection of a resource of a region,
// regions/{r}/{collection}/{id}, or "" for a nested one.
func collectionOf(name string) string {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "regions" {
		return ""
	}
	return parts[2]
}

// watch applies the feed from rev until the stream breaks; it returns the
// last revision applied.
func (m *Mirror) watch(ctx context.Context, rev int64, backoff *time.Duration) (int64, error) {
	stream, err := m.Client.Sync.Watch(ctx, &famiv1.WatchRequest{Parent: "regions/" + m.Region, SinceRevision: rev})
	if err != nil {
		return rev, err
	}
	defer stream.Close()
	for stream.Receive() {
		*backoff = m.MinBackoff // the connection works
		res := stream.Msg()
		for _, ch := range res.GetChanges() {
			if err := m.apply(ctx, ch); err != nil {
				return rev, handlerErr{err}
			}
		}
		if res.GetRevision() > rev {
			rev = res.GetRevision()
			if err := m.Handler.Synced(ctx, rev); err != nil {
				return rev, handlerErr{err}
			}
		}
	}
	return rev, stream.Err()
}

func (m *Mirror) apply(ctx context.Context, ch *famiv1.Change) error {
	if ch.GetOperation() == famiv1.ChangeOperation_CHANGE_OPERATION_DELETE {
		return m.Handler.Delete(ctx, ch.GetResourceName())
	}
	msg, err := anypb.UnmarshalNew(ch.GetResource(), proto.UnmarshalOptions{})
	if err != nil {
		return err
	}
	r, ok := msg.(Resource)
	if !ok {
		return errors.New("sdk: change carries a resource without a name")
	}
	return m.Handler.Put(ctx, r)
}

// wait sleeps before the next try: the backoff, jittered so that mirrors
// don't reconnect in step, or the server's Retry-After when longer.
func (m *Mirror) wait(ctx context.Context, backoff *time.Duration, err error) {
	d := max(*backoff/2+rand.N(*backoff/2+1), RetryDelay(err))
	m.Logger.Warn("sync interrupted; retrying", "region", m.Region, "in", d, "err", err)
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	*backoff = min(*backoff*2, m.MaxBackoff)
}

// relist waits, before a list again, when the watch refused (err) the
// revision of the last list, applying nothing after it (fresh): the
// server's lists and its feed
// disagree (lists answered by a replica ahead of the watch's, a region
// being restored), and listing again at once would list the region over
// and over, as fast as the server answers, until they agree. A revision
// the watch had moved on from is listed again at once.
func (m *Mirror) relist(ctx context.Context, fresh bool, backoff *time.Duration, err error) {
	if fresh {
		m.wait(ctx, backoff, err)
	}
}

// handlerErr marks an error of the Handler: retrying cannot fix it.
type handlerErr struct{ error }

func (e handlerErr) Unwrap() error { return e.error }

// retryable reports whether the mirror may try again after err: never
// after its Handler's errors, and otherwise by Retryable's rule.
func retryable(err error) bool {
	if err == nil {
		return true // the stream ended without an error: reconnect
	}
	var h handlerErr
	return !errors.As(err, &h) && Retryable(err)
}

// stopped is the error that ends the mirror at revision rev: err, which
// retrying cannot fix, with what to do about it.
func (m *Mirror) stopped(err error, rev int64) error {
	var h handlerErr
	if errors.As(err, &h) {
		return err
	}
	todo := "retrying cannot fix this; correct it and run the mirror again"
	if connect.CodeOf(err) == connect.CodeDataLoss {
		todo = "the server holds a damaged record and will not serve it until its operators restore the region from a backup (docs/operations.md, Damaged records); then run the mirror again"
	}
	m.Logger.Error("sync stopped", "region", m.Region, "revision", rev, "err", err)
	return fmt.Errorf("sdk: mirror of region %s stopped at revision %d: %w; %s", m.Region, rev, err, todo)
}

// isAhead reports whether err refuses the watch's since_revision as
// beyond the region's revision (reason REVISION_AHEAD). It used to be
// told by the field the refusal named, which any other fault of that
// field would have matched.
func isAhead(err error) bool {
	return hasReason(err, connect.CodeInvalidArgument, "REVISION_AHEAD")
}

// isCompacted reports whether err says the revision is older than the
// retained change log.
func isCompacted(err error) bool {
	return hasReason(err, connect.CodeFailedPrecondition, "REVISION_COMPACTED")
}

// hasReason reports whether err has code and reason (Reason).
func hasReason(err error, code connect.Code, reason string) bool {
	return connect.CodeOf(err) == code && Reason(err) == reason
}
