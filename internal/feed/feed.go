// Package feed implements fami.v1.SyncService: a region's change log as a
// paged list and as a watch stream (list-then-watch). Watchers read the log
// itself, woken by the store's commit signal, so a slow watcher holds no
// buffer and never slows a writer or another watcher: it only reads
// further behind.
package feed

import (
	"context"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// Options configure the service.
type Options struct {
	// BookmarkInterval is how often an idle watch gets a bookmark.
	// Defaults to five seconds.
	BookmarkInterval time.Duration
	// Coalesce is the interval at which a live watch reads: once per
	// interval at most, at a phase of its own, so that commits landing
	// meanwhile go out together in one response and a region's watchers
	// are spread over the interval instead of all waking at the same
	// commit. Whatever the write rate, each watcher wakes, reads and
	// sends at most once per interval, and their work reaches the cores a
	// little at a time, never as one burst ahead of a writer's
	// acknowledgement. Defaults to DefaultCoalesce.
	Coalesce time.Duration
	// Types, when set, decides what a caller's list or watch of changes
	// reads: given the call's context, the region and the resource_types
	// asked for, it returns the filter to apply (what was asked, or the
	// types the caller may read when that is not all of them), or an
	// error when a type asked for is one the caller may not read. Unset,
	// every caller reads what it asks for.
	Types func(ctx context.Context, region string, asked []string) ([]string, error)
	// Shown, when set, says how the caller reads region's changes: as
	// written (a nil show), or through show, which returns a change with
	// what the resource's own Get withholds from the caller withheld (a
	// copy: the change it is given is shared). Every caller given a show
	// reads through the same rule, so they share live responses with
	// each other, and those who read as written with each other.
	Shown func(ctx context.Context, region string) (show func(*famiv1.Change) *famiv1.Change)
}

// DefaultCoalesce holds back a region's changes by at most 10 ms.
const DefaultCoalesce = 10 * time.Millisecond

// maxBatch bounds the changes in one watch response.
const maxBatch = 500

// Service implements fami.v1.SyncService for grpc-go; Connect returns the
// connect-go handler over the same logic.
type Service struct {
	famiv1.UnimplementedSyncServiceServer
	store    store.Store
	bookmark time.Duration
	coalesce time.Duration
	types    func(ctx context.Context, region string, asked []string) ([]string, error)
	shown    func(ctx context.Context, region string) func(*famiv1.Change) *famiv1.Change
	// tails holds each watched region's *tail.
	tails sync.Map
	// epoch and watches place each watch's phase (see slot).
	epoch   time.Time
	watches atomic.Uint64
}

// New returns the service.
func New(s store.Store, opts Options) *Service {
	if opts.BookmarkInterval <= 0 {
		opts.BookmarkInterval = 5 * time.Second
	}
	if opts.Coalesce <= 0 {
		opts.Coalesce = DefaultCoalesce
	}
	if opts.Types == nil {
		opts.Types = func(_ context.Context, _ string, asked []string) ([]string, error) { return asked, nil }
	}
	if opts.Shown == nil {
		opts.Shown = func(context.Context, string) func(*famiv1.Change) *famiv1.Change { return nil }
	}
	return &Service{store: s, bookmark: opts.BookmarkInterval, coalesce: opts.Coalesce, types: opts.Types, shown: opts.Shown, epoch: time.Now()}
}

// showAll returns changes as show shows them: changes itself when show is
// nil, else a new slice (changes may be shared).
func showAll(changes []*famiv1.Change, show func(*famiv1.Change) *famiv1.Change) []*famiv1.Change {
	if show == nil {
		return changes
	}
	out := make([]*famiv1.Change, len(changes))
	for i, ch := range changes {
		out[i] = show(ch)
	}
	return out
}

// phases is how many times in the coalescing interval watches read at.
// The watches of one phase read together: where they share a connection
// (a gateway, a proxy) their responses leave in one write instead of one
// system call each, and a phase's burst is a tenth of the region's
// watchers, a fraction of a millisecond of work for hundreds.
const phases = 10

// phase is a new watch's place in the coalescing interval: the k-th watch
// gets the phase at the fractional part of k times the golden ratio, which
// keeps any number of watches evenly spread over the phases.
func (s *Service) phase() time.Duration {
	k := float64(s.watches.Add(1))
	return time.Duration(math.Floor(math.Mod(k*math.Phi, 1)*phases)) * s.coalesce / phases
}

// slot is how long a watch with phase waits for its next turn to read,
// less than the coalescing interval.
func (s *Service) slot(phase time.Duration) time.Duration {
	return (phase - time.Since(s.epoch)%s.coalesce + s.coalesce) % s.coalesce
}

// filter checks the resource_types asked for in region and returns the
// filter the caller reads with (see Options.Types).
func (s *Service) filter(ctx context.Context, region string, asked []string) ([]string, error) {
	var v errs.Violations
	check.AtMost(&v, "resource_types", len(asked), 20, "types")
	for i, t := range asked {
		if len(t) == 0 || len(t) > 100 {
			v.Add("resource_types["+strconv.Itoa(i)+"]", "is not a type name such as fami.v1.Partner")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.types(ctx, region, asked)
}

// read returns up to max changes after rev that match types, the revision
// read up to (which passes filtered-out changes), and the region's revision.
func (s *Service) read(ctx context.Context, region string, after int64, max int, types []string) ([]*famiv1.Change, int64, int64, error) {
	var (
		out     []*famiv1.Change
		upTo    = after
		current int64
	)
	err := s.store.View(ctx, region, func(tx store.ReadTx) error {
		current = tx.Revision()
		if after > current {
			return errs.RevisionAhead.New("%d is beyond the region's revision %d", after, current).Naming("since_revision")
		}
		scanned := 0
		page := aip.PageOf(max)
		return tx.Changes(after, func(ch *famiv1.Change) bool {
			if len(types) == 0 || slices.Contains(types, ch.GetResourceType()) {
				if !page.Take(ch) {
					return false // read up to the last change taken
				}
				out = append(out, ch)
			}
			upTo = ch.GetRevision()
			scanned++
			// A filter that matches little must not scan the whole log
			// in one transaction: the scan budget of every filtered List.
			return scanned < aip.ScanPerItem*max
		})
	})
	return out, upTo, current, err
}

// ListChanges implements fami.v1.SyncService.
func (s *Service) ListChanges(ctx context.Context, req *famiv1.ListChangesRequest) (*famiv1.ListChangesResponse, error) {
	r, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	size, err := aip.PageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	types, err := s.filter(ctx, r, req.GetResourceTypes())
	if err != nil {
		return nil, err
	}
	after := req.GetSinceRevision()
	if after < 0 {
		return nil, errs.InvalidField("since_revision", "must not be negative")
	}
	if pos, err := aip.DecodeToken(req); err != nil {
		return nil, err
	} else if pos != "" {
		if after, err = strconv.ParseInt(pos, 10, 64); err != nil {
			return nil, aip.ErrForeignToken()
		}
	}
	changes, upTo, current, err := s.read(ctx, r, after, size, types)
	if err != nil {
		return nil, err
	}
	res := &famiv1.ListChangesResponse{Changes: showAll(changes, s.shown(ctx, r)), Revision: current}
	if upTo < current {
		res.NextPageToken = aip.EncodeToken(req, strconv.FormatInt(upTo, 10))
	}
	return res, nil
}

// watchFrom checks a Watch request: the region it watches, the revision it
// starts after and the filter it reads with.
func (s *Service) watchFrom(ctx context.Context, req *famiv1.WatchRequest) (region string, rev int64, types []string, err error) {
	if region, err = aip.Parent(req.GetParent()); err != nil {
		return "", 0, nil, err
	}
	if types, err = s.filter(ctx, region, req.GetResourceTypes()); err != nil {
		return "", 0, nil, err
	}
	if rev = req.GetSinceRevision(); rev < 0 {
		return "", 0, nil, errs.InvalidField("since_revision", "must not be negative")
	}
	return region, rev, types, nil
}

// next is what a watch at rev sends now: a live watch's from the region's
// shared tail when the tail holds it, otherwise the changes read from the
// log. res is nil when there is no change to send.
func (s *Service) next(ctx context.Context, region string, rev int64, live bool, types []string, changed <-chan struct{}) (res proto.Message, upTo, current int64, err error) {
	if live {
		res, upTo, current, fromTail, err := s.fromTail(ctx, region, rev, types, changed)
		if fromTail || err != nil {
			return res, upTo, current, err
		}
	}
	changes, upTo, current, err := s.read(ctx, region, rev, maxBatch, types)
	if len(changes) > 0 {
		res = &famiv1.WatchResponse{Changes: showAll(changes, s.shown(ctx, region)), Revision: upTo}
	}
	return res, upTo, current, err
}

// Watch implements fami.v1.SyncService (grpc-go's signature, which the
// server adapts to connect-go). A live watch's responses are
// *sharedmsg.Message values wrapping a *famiv1.WatchResponse, sent with
// the stream's SendMsg: the same for every watcher at the same revision
// with the same filter, they are encoded once for all of them.
func (s *Service) Watch(req *famiv1.WatchRequest, stream famiv1.SyncService_WatchServer) error {
	return s.watch(stream.Context(), req, func(m proto.Message) error { return stream.SendMsg(m) })
}

// watch streams the changes after req.since_revision, then live ones, with
// bookmarks when idle. It returns when ctx ends.
func (s *Service) watch(ctx context.Context, req *famiv1.WatchRequest, send func(proto.Message) error) error {
	r, rev, types, err := s.watchFrom(ctx, req)
	if err != nil {
		return err
	}
	ticker := time.NewTicker(s.bookmark)
	defer ticker.Stop()
	// live is set once the watcher has caught up and waits for commits:
	// it then reads the region's shared tail rather than the log.
	live := false
	phase := s.phase()
	hold := time.NewTimer(s.coalesce)
	hold.Stop()
	defer hold.Stop()
	// wait holds the watch until its next slot; false if ctx ended.
	wait := func() bool {
		hold.Reset(max(s.slot(phase), time.Nanosecond))
		select {
		case <-ctx.Done():
			return false
		case <-hold.C:
			return true
		}
	}
	for {
		// Take the commit signal before reading, so a commit that lands
		// between the read and the wait still wakes us.
		changed := s.store.Changed(r)
		res, upTo, current, err := s.next(ctx, r, rev, live, types, changed)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if res != nil {
			if err := send(res); err != nil {
				return err
			}
			ticker.Reset(s.bookmark)
		}
		rev = upTo
		if rev < current {
			continue // more to catch up on
		}
		if res != nil && !wait() {
			// Having just sent, the watch sleeps until its next slot
			// before it waits for commits: those of the interval go out
			// together, and it is not woken by each of them on the way
			// (with hundreds of watchers, every commit would wake them
			// all only to make them wait again). changed was taken before
			// the read, so a commit meanwhile is not missed.
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
			// Woken with every other watcher of the region: each reads
			// at its own slot, not all at once.
			live = true
			if !wait() {
				return nil
			}
		case <-ticker.C:
			if err := send(&famiv1.WatchResponse{Revision: rev}); err != nil {
				return err
			}
		}
	}
}
