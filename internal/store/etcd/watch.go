package etcd

import (
	"context"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// follow calls event for every change of key (with opts, of every key of
// its prefix), by any process, after etcd revision from (from now when
// from is 0), until ctx ends. A broken watch (member lost, leader lost,
// history compacted) is opened again from the present, a moment later,
// after calling gap with a fresh read of key (nil if that failed too),
// which stands for whatever happened meanwhile.
func (s *Store) follow(ctx context.Context, key string, from int64, event func(*clientv3.Event), gap func(*clientv3.GetResponse), opts ...clientv3.OpOption) {
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wopts := slices.Clip(opts)
		if from > 0 {
			wopts = append(wopts, clientv3.WithRev(from+1))
		}
		for resp := range s.opts.Client.Watch(wctx, key, wopts...) {
			if resp.Err() != nil {
				break
			}
			for _, ev := range resp.Events {
				event(ev)
				from = max(from, ev.Kv.ModRevision)
			}
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		resp, err := s.kv.Get(ctx, key, opts...)
		if err != nil {
			resp = nil
		} else {
			from = max(from, resp.Header.Revision)
		}
		gap(resp)
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}
