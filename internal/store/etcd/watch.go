package etcd

import (
	"context"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// follow calls events with the changes of key (with opts, of every key
// of its prefix) that one watch response carries, whole revisions (a
// transaction's changes come together), by any process, after etcd
// revision from (from now when from is 0), until ctx ends. A broken watch
// (member lost, leader lost, history compacted) is opened again from the
// present, a moment later, after calling gap with a fresh read of key
// with opts and gapRead (nil if that failed too), which stands for
// whatever happened meanwhile: gapRead bounds what that read returns
// (clientv3.WithCountOnly, for a gap that needs its revision alone). A
// watch opened from now is a gap too, once it is open: what happened
// before it, since whatever its caller read last, no event will tell.
func (s *Store) follow(ctx context.Context, key string, from int64, events func([]*clientv3.Event), gap func(*clientv3.GetResponse), gapRead []clientv3.OpOption, opts ...clientv3.OpOption) {
	reread := func() {
		resp, err := s.kv.Get(ctx, key, append(slices.Clip(opts), gapRead...)...)
		if err != nil {
			resp = nil
		} else {
			from = max(from, resp.Header.Revision)
		}
		gap(resp)
	}
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wopts := slices.Clip(opts)
		if from > 0 {
			wopts = append(wopts, clientv3.WithRev(from+1))
		} else {
			wopts = append(wopts, clientv3.WithCreatedNotify())
		}
		for resp := range s.opts.Client.Watch(wctx, key, wopts...) {
			if resp.Err() != nil {
				break
			}
			if resp.Created {
				reread() // from now: the read comes after where it starts
			}
			if len(resp.Events) > 0 {
				events(resp.Events)
				from = max(from, resp.Events[len(resp.Events)-1].Kv.ModRevision)
			}
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		reread()
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}
