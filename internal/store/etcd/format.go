package etcd

import (
	"context"
	"fmt"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/raccordo/raccordo/internal/store"
)

// marker is one format marker of the store (ADR 22):
// "{prefix}formats/system" for the system records,
// "{prefix}formats/regions/{region}" for each region. They lie outside
// the regions' key ranges, so that a region marked at open is still empty
// for an import.
//
// Each store checks its markers at open and follows them while it runs
// (watchFormats), and every commit compares the marker's revision, so a
// famid never writes its format into data a newer famid has raised the
// format of since, nor serves it once the watch reports the change.
type marker struct {
	key string
	// where names the data the marker describes, for the refusal.
	where string
	// region is the region the marker is of, "" for the system records.
	region string
	// rev is the marker's ModRevision when the store last found it naming
	// a format this famid knows (0: no marker). Commits compare it
	// (unchanged): a marker changed since fails them, and is read again
	// (reread).
	rev atomic.Int64
	// refused is the error the data answers while its marker names a
	// format this famid does not know; nil while it is served.
	refused atomic.Pointer[error]
}

func (s *Store) newMarker(name, where, region string) *marker {
	key := s.opts.Prefix + "formats/" + name
	return &marker{key: key, where: where + ", format marker " + key + ")", region: region}
}

// err is the error the marker's data answers: nil while it is served.
func (m *marker) err() error {
	if p := m.refused.Load(); p != nil {
		return *p
	}
	return nil
}

// set records the marker's value found at revision rev (nil: no marker,
// data from before markers, read as it is) and returns the refusal of a
// format this famid does not know.
func (m *marker) set(found []byte, rev int64) error {
	if err := store.CheckFormat(m.where, found); err != nil {
		if m.region != "" {
			err = store.RegionNotServed(m.region, err)
		}
		m.refused.Store(&err)
		return err
	}
	m.rev.Store(rev)
	m.refused.Store(nil)
	return nil
}

// open records this famid's format where there is no marker yet (a new
// prefix or region, or one written before the marker existed) with a
// transaction that sets it only if it is still absent, so that famid
// processes starting together agree and a marker another one wrote is
// checked, never replaced. A format this famid does not know is returned
// (DATA_FORMAT_UNKNOWN); other errors are the cluster's.
func (m *marker) open(ctx context.Context, kv clientv3.KV) error {
	resp, err := kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(m.key), "=", 0)).
		Then(clientv3.OpPut(m.key, string(store.FormatMarker()))).
		Else(m.read()).
		Commit()
	if err != nil {
		return fmt.Errorf("etcd store: check the data format: %w", err)
	}
	if resp.Succeeded {
		return m.set(store.FormatMarker(), resp.Header.Revision)
	}
	return m.reread(resp)
}

// unchanged is the comparison every commit of the marker's data makes.
func (m *marker) unchanged() clientv3.Cmp {
	return clientv3.Compare(clientv3.ModRevision(m.key), "=", m.rev.Load())
}

// read is the Else branch of a commit that compares unchanged.
func (m *marker) read() clientv3.Op { return clientv3.OpGet(m.key) }

// reread checks the marker again from resp, a failed transaction whose
// only Else operation is read: nil when it still names a format this
// famid knows (changed or not: the commit runs again), else the refusal.
func (m *marker) reread(resp *clientv3.TxnResponse) error {
	kvs := resp.Responses[0].GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return m.set(nil, 0)
	}
	return m.set(kvs[0].Value, kvs[0].ModRevision)
}

// watchFormats follows the format markers after etcd revision from: a
// newer famid that raises a region's format takes the region away from
// this one at once (reads included), and a system format raised refuses
// the system records.
func (s *Store) watchFormats(from int64) {
	markers := s.opts.Prefix + "formats/"
	byKey := map[string]*marker{s.system.key: s.system}
	for _, r := range s.regions {
		byKey[r.format.key] = r.format
	}
	s.follow(s.ctx, markers, from,
		func(evs []*clientv3.Event) {
			for _, ev := range evs {
				if m, ok := byKey[string(ev.Kv.Key)]; ok {
					if ev.Type == clientv3.EventTypeDelete {
						m.set(nil, 0)
					} else {
						m.set(ev.Kv.Value, ev.Kv.ModRevision)
					}
				}
			}
		},
		func(resp *clientv3.GetResponse) {
			if resp == nil {
				return
			}
			found := map[string]int{}
			for i, kv := range resp.Kvs {
				found[string(kv.Key)] = i
			}
			for key, m := range byKey {
				if i, ok := found[key]; ok {
					m.set(resp.Kvs[i].Value, resp.Kvs[i].ModRevision)
				} else {
					m.set(nil, 0)
				}
			}
		},
		nil, clientv3.WithPrefix())
}
