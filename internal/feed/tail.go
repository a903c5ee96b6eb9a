package feed

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/sharedmsg"
)

// tail is a region's most recent changes, read from the log once per commit
// and shared by the region's live watchers (ADR 4): with many watchers a
// commit costs one read transaction and one decoding of its changes, not
// one per watcher, so a fan-out takes little CPU from the writers. It holds
// at most maxBatch changes; a watcher outside them reads the log itself.
type tail struct {
	mu sync.Mutex
	// sig is the commit signal taken before the last read: a watcher
	// holding the same signal needs nothing newer.
	sig <-chan struct{}
	// changes are every change after from, up to upTo, the region's
	// revision at the last read; read-only once stored.
	from, upTo int64
	changes    []*famiv1.Change
	// responses are the responses built from changes, by the revision
	// they follow and the filter: watchers at the same place share one,
	// encoded once. Nothing but the revision and the filter goes into a
	// response but the revision, the filter and whether the watcher reads
	// through Options.Shown's rule (the one rule there is), so nothing
	// else needs to be in the key.
	responses map[shareKey]*sharedmsg.Message
}

// shareKey identifies the watchers that get the same response: those
// after the same revision with the same resource_types filter, reading
// through the same rule.
type shareKey struct {
	after int64
	types string // the filter's names joined by NUL, which no name holds
	shown bool   // read through Options.Shown's show
}

// tailOf returns region's tail.
func (s *Service) tailOf(region string) *tail {
	if t, ok := s.tails.Load(region); ok {
		return t.(*tail)
	}
	t, _ := s.tails.LoadOrStore(region, &tail{})
	return t.(*tail)
}

// fromTail returns what read would, from the region's tail, as the watch
// response to send: the changes after rev that match types (nil when none
// does), the revision read up to and the region's revision. changed is the
// commit signal the caller took before calling. ok is false when the tail
// does not reach back to rev; the caller then reads the log.
func (s *Service) fromTail(ctx context.Context, region string, rev int64, types []string, changed <-chan struct{}) (res proto.Message, upTo, current int64, ok bool, err error) {
	t := s.tailOf(region)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sig != changed {
		if t.sig == nil || rev < t.from || rev > t.upTo {
			// Start (or restart) the tail at this watcher's position.
			t.from, t.upTo, t.changes = rev, rev, nil
		}
		fresh, readTo, current, err := s.read(ctx, region, t.upTo, maxBatch, nil)
		if err != nil {
			t.sig = nil
			return nil, 0, 0, false, err
		}
		if readTo < current {
			// More changes than the tail holds: everyone reads the log.
			t.sig = nil
			return nil, 0, 0, false, nil
		}
		// A new slice, so that callers still holding the old one keep
		// reading it undisturbed.
		all := slices.Concat(t.changes, fresh)
		if drop := len(all) - maxBatch; drop > 0 {
			t.from = all[drop-1].GetRevision()
			all = all[drop:]
		}
		t.changes, t.upTo, t.sig, t.responses = all, current, changed, nil
	}
	if rev < t.from || rev > t.upTo {
		return nil, 0, 0, false, nil
	}
	show := s.shown(ctx, region)
	key := shareKey{after: rev, types: strings.Join(types, "\x00"), shown: show != nil}
	shared, done := t.responses[key]
	if !done {
		shared = t.response(rev, types, show)
		if t.responses == nil {
			t.responses = make(map[shareKey]*sharedmsg.Message)
		}
		t.responses[key] = shared
	}
	if shared == nil { // not as a proto.Message holding a nil pointer
		return nil, t.upTo, t.upTo, true, nil
	}
	return shared, t.upTo, t.upTo, true, nil
}

// response builds the response for watchers after rev filtering by
// types and reading through show, or nil when no change of the tail is
// for them.
func (t *tail) response(rev int64, types []string, show func(*famiv1.Change) *famiv1.Change) *sharedmsg.Message {
	i, _ := slices.BinarySearchFunc(t.changes, rev+1, func(ch *famiv1.Change, r int64) int {
		return cmp.Compare(ch.GetRevision(), r)
	})
	// Shared, read-only: the tail never changes a slice it handed out.
	out := t.changes[i:len(t.changes):len(t.changes)]
	if len(types) > 0 {
		out = nil
		for _, ch := range t.changes[i:] {
			if slices.Contains(types, ch.GetResourceType()) {
				out = append(out, ch)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return sharedmsg.New(&famiv1.WatchResponse{Changes: showAll(out, show), Revision: t.upTo})
}
