package etcd

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// watchImports keeps unserved the regions whose import marker is set, by
// an import in any process, after etcd revision from (see ImportRegion):
// an import that starts while famid runs takes its region away at once,
// and its end gives the region back. One watch over every marker serves
// every region.
func (s *Store) watchImports(from int64) {
	markers := s.importMarker("")
	s.follow(s.ctx, markers, from,
		func(ev *clientv3.Event) {
			if r, ok := s.regions[strings.TrimPrefix(string(ev.Kv.Key), markers)]; ok {
				r.setImporting(ev.Type == clientv3.EventTypePut)
			}
		},
		func(marks *clientv3.GetResponse) {
			if marks != nil {
				s.markImports(marks)
			}
		},
		clientv3.WithPrefix())
}

// markImports sets every region's state from marks, a read of every
// import marker: served, or not while its import is unfinished.
func (s *Store) markImports(marks *clientv3.GetResponse) {
	for name, r := range s.regions {
		r.setImporting(slices.ContainsFunc(marks.Kvs, func(kv *mvccpb.KeyValue) bool { return string(kv.Key) == s.importMarker(name) }))
	}
}

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
