package accounts

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/store"
)

// Two indexes of the service token records (bucketServiceTokens), written
// in the same system transaction as every record they index, so that a
// create costs what it needs rather than a decode of every record of the
// region (the check of MaxLiveServiceTokens and the pruning did that):
//
//   - bucketLiveTokens holds a key per token not revoked, ordered by expiry
//     within its system: the tokens a system still holds are the range from
//     now on, of which a create reads at most MaxLiveServiceTokens keys.
//   - bucketTokenExpiry holds a key per record, ordered by expiry: the
//     records past their retention are its front, and pruning reads those
//     alone.
//
// {expiry} is the token's expire time in Unix seconds as 16 hex digits, so
// that the keys' order is the times' order. Both backends get the indexes
// alike: they are system records like any other.
const (
	bucketLiveTokens  = "service_tokens_live"   // {region}/{subject}/{expiry}/{jti} -> (nothing)
	bucketTokenExpiry = "service_tokens_expiry" // {expiry}/{region}/{jti} -> subject
)

// tokenPruneBatch bounds the records of long-expired tokens one
// transaction forgets: each costs three deletions (the record and its two
// index keys), and an etcd transaction holds a bounded number of
// operations.
const tokenPruneBatch = pruneBatch / 4

// tokenIndexBatch bounds the index keys one transaction of
// indexTokenRecords writes.
const tokenIndexBatch = 2 * pruneBatch

func expiryKey(t time.Time) string { return fmt.Sprintf("%016x", max(t.Unix(), 0)) }

func liveKey(region, subject, jti string, exp time.Time) string {
	return region + "/" + subject + "/" + expiryKey(exp) + "/" + jti
}

// indexEntry is one index key of a record.
type indexEntry struct {
	bucket, key string
	value       []byte
}

// indexEntries are the index keys of the record st of token jti of region.
// A record without an expiry (none is written so) has none: it is never
// pruned, and never live (withState), as before the indexes.
func indexEntries(region, jti string, st *famiv1.ServiceToken) []indexEntry {
	if st.GetExpireTime() == nil {
		return nil
	}
	exp := st.GetExpireTime().AsTime()
	entries := []indexEntry{{bucketTokenExpiry, expiryKey(exp) + "/" + region + "/" + jti, []byte(st.GetSubject())}}
	if st.GetRevokeTime() == nil {
		entries = append(entries, indexEntry{bucketLiveTokens, liveKey(region, st.GetSubject(), jti, exp), []byte{1}})
	}
	return entries
}

// indexToken records, in tx, the index keys of the record st of token jti
// of region.
func indexToken(tx store.SystemTx, region, jti string, st *famiv1.ServiceToken) error {
	for _, e := range indexEntries(region, jti, st) {
		if err := tx.Put(e.bucket, e.key, e.value); err != nil {
			return err
		}
	}
	return nil
}

// unindexRevoked drops, in tx, the live key of token jti of region, whose
// record st was just marked revoked.
func unindexRevoked(tx store.SystemTx, region, jti string, st *famiv1.ServiceToken) error {
	return tx.Delete(bucketLiveTokens, liveKey(region, st.GetSubject(), jti, st.GetExpireTime().AsTime()))
}

// liveTokens counts, in tx, the tokens subject holds in region at now
// (ACTIVE: neither revoked nor expired), up to limit: it reads the keys of
// the tokens not yet expired, and no record unless it reaches limit. Then,
// before a refusal, it reads the records of those keys and counts only
// those still live: a key may outlive its token's revocation when a famid
// of an earlier version revoked it (a shared etcd cluster in a rolling
// upgrade), and must not refuse a system that holds fewer.
func liveTokens(tx store.SystemTx, region, subject string, now time.Time, limit int) (int, error) {
	prefix := region + "/" + subject + "/"
	// From the second of the earliest expiry still accepted: the keys of
	// that second may be just past it, and are checked one by one.
	after := prefix + expiryKey(auth.AcceptedSince(now))
	verified := 0
	for {
		var jtis []string
		tx.Scan(bucketLiveTokens, prefix, after, func(k string, _ []byte, _ error) bool {
			after = k
			exp, ok := expiryOf(strings.TrimPrefix(k, prefix))
			if ok && auth.Expired(exp, now) {
				return true
			}
			_, jti, _ := strings.Cut(strings.TrimPrefix(k, prefix), "/")
			jtis = append(jtis, jti)
			return verified+len(jtis) < limit
		})
		if verified+len(jtis) < limit {
			return verified + len(jtis), nil
		}
		// As many keys as the limit: count the records behind the keys
		// not yet verified, and read on past any that is not live.
		for _, jti := range jtis {
			live, err := liveRecord(tx, region, jti, subject, now)
			if err != nil {
				return 0, err
			}
			if live {
				verified++
			}
		}
		if verified >= limit {
			return verified, nil
		}
	}
}

// liveRecord reports whether the record of token jti of region is of
// subject and ACTIVE at now.
func liveRecord(tx store.SystemTx, region, jti, subject string, now time.Time) (bool, error) {
	b, err := tx.Get(bucketServiceTokens, region+"/"+jti)
	if err != nil || b == nil {
		return false, err
	}
	st := &famiv1.ServiceToken{}
	if err := proto.Unmarshal(b, st); err != nil {
		return false, err
	}
	return st.GetSubject() == subject && withState(st, now).GetState() == famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE, nil
}

// expiryOf reads the expiry at the front of an index key.
func expiryOf(k string) (time.Time, bool) {
	hex, _, ok := strings.Cut(k, "/")
	if !ok {
		return time.Time{}, false
	}
	secs, err := strconv.ParseInt(hex, 16, 64)
	return time.Unix(secs, 0), err == nil
}

// pruneTokenRecords forgets, in tx, up to tokenPruneBatch records of
// service tokens that expired more than retention before now, with their
// index keys, reading the expiry index from its front. A damaged record
// stays (its read is DATA_LOSS, which an operator must see), and so do its
// index keys.
func pruneTokenRecords(tx store.SystemTx, now time.Time, retention time.Duration) (forgotten []string, more bool, err error) {
	cutoff := now.Add(-retention)
	type stale struct{ key, record, live string }
	var found []stale
	tx.Scan(bucketTokenExpiry, "", "", func(k string, subject []byte, err error) bool {
		exp, ok := expiryOf(k)
		if ok && !exp.Before(cutoff) {
			return false
		}
		expiry, rest, _ := strings.Cut(k, "/")
		region, jti, _ := strings.Cut(rest, "/")
		if !ok || err != nil {
			return true
		}
		if _, err := tx.Get(bucketServiceTokens, region+"/"+jti); err != nil {
			return true
		}
		if len(found) == tokenPruneBatch {
			more = true
			return false
		}
		found = append(found, stale{k, region + "/" + jti, region + "/" + string(subject) + "/" + expiry + "/" + jti})
		return true
	})
	// Deleted after the scan: a store's cursor need not survive a delete.
	for _, s := range found {
		for _, d := range []struct{ bucket, key string }{{bucketServiceTokens, s.record}, {bucketTokenExpiry, s.key}, {bucketLiveTokens, s.live}} {
			if err := tx.Delete(d.bucket, d.key); err != nil {
				return nil, false, err
			}
		}
		forgotten = append(forgotten, s.record)
	}
	return forgotten, more, nil
}

// indexTokenRecords adds, at the start, the index keys missing from the
// records: all of them in a system store written before the indexes, and
// those of the tokens that a famid of an earlier version issued meanwhile
// (a shared etcd cluster in a rolling upgrade). It reads every record, as
// the start's pruning did before the indexes, and returns their keys, the
// records IndexNewServiceTokens need not read again, and the revocations
// that the revoked ones' records say (restoreRevocations). A damaged
// record is left out, as pruning leaves it.
func indexTokenRecords(ctx context.Context, sys store.System) (map[string]struct{}, map[string]time.Time, error) {
	var (
		records map[string]struct{}
		revoked map[string]time.Time
	)
	err := indexMissing(ctx, sys, func(tx store.SystemTx, add func(indexEntry)) {
		records, revoked = map[string]struct{}{}, map[string]time.Time{}
		tx.Scan(bucketServiceTokens, "", "", func(k string, b []byte, err error) bool {
			if err != nil {
				return true
			}
			records[k] = struct{}{}
			region, jti, st, ok := decodeTokenRecord(k, b)
			if !ok {
				return true
			}
			for _, e := range indexEntries(region, jti, st) {
				add(e)
			}
			if st.GetRevokeTime() != nil {
				revoked[jti] = st.GetExpireTime().AsTime()
			}
			return true
		})
	})
	return records, revoked, err
}

// tokenRecordEntries are the index keys that the stored record b of key
// {region}/{jti} needs; none for a record that does not decode.
func tokenRecordEntries(key string, b []byte) []indexEntry {
	region, jti, st, ok := decodeTokenRecord(key, b)
	if !ok {
		return nil
	}
	return indexEntries(region, jti, st)
}

// decodeTokenRecord decodes the stored record b of key {region}/{jti};
// ok is false for one that does not decode.
func decodeTokenRecord(key string, b []byte) (region, jti string, st *famiv1.ServiceToken, ok bool) {
	st = &famiv1.ServiceToken{}
	region, jti, ok = strings.Cut(key, "/")
	if !ok || proto.Unmarshal(b, st) != nil {
		return "", "", nil, false
	}
	return region, jti, st, true
}

// tokenRecords are the keys of the records of service tokens this process
// has seen indexed (IndexNewServiceTokens, followNamed).
type tokenRecords struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// IndexNewServiceTokens adds the index keys that the records of service
// tokens written by another process since the last call (or the start)
// lack: a famid of an earlier version (a shared etcd cluster in a rolling
// upgrade) issues tokens without them, and until they have them the
// limit does not count such a token nor pruning find its record. (Listing
// and revoking read the records, and need no index.) famid calls it at a
// Whole system change, as reloadRevocations (FollowSystem; a change that
// names its keys has followNamed read those alone). It reads every
// record once, as the reload reads every revocation, decodes only those
// new here and reads one key per index key of those, and writes only the
// keys missing.
func (s *Service) IndexNewServiceTokens(ctx context.Context) error {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	seen := make(map[string]struct{}, len(s.tokens.keys))
	var added []indexEntry
	err := s.sys.SystemView(ctx, func(tx store.SystemTx) error {
		tx.Scan(bucketServiceTokens, "", "", func(k string, b []byte, err error) bool {
			if err != nil {
				return true
			}
			seen[k] = struct{}{}
			if _, known := s.tokens.keys[k]; !known {
				added = append(added, tokenRecordEntries(k, b)...)
			}
			return true
		})
		return nil
	})
	if err != nil {
		return err
	}
	if err := indexAdded(ctx, s.sys, added); err != nil {
		return err
	}
	s.tokens.keys = seen
	return nil
}

// indexMissing writes the index keys that entries adds (every key its
// records need) and their buckets do not hold (putEntries): the start's
// repair of an index of system records (indexTokenRecords,
// indexRevocations). A record written or forgotten between the read and
// the writes leaves a key missing or one too many, which the index's
// readers tolerate, as they tolerate a famid of an earlier version's.
func indexMissing(ctx context.Context, sys store.System, entries func(tx store.SystemTx, add func(indexEntry))) error {
	var missing []indexEntry
	err := sys.SystemView(ctx, func(tx store.SystemTx) error {
		var want []indexEntry
		entries(tx, func(e indexEntry) { want = append(want, e) })
		indexed := map[string]bool{}
		scanned := map[string]bool{}
		for _, e := range want {
			if scanned[e.bucket] {
				continue
			}
			scanned[e.bucket] = true
			tx.Scan(e.bucket, "", "", func(k string, _ []byte, _ error) bool {
				indexed[e.bucket+"\x00"+k] = true
				return true
			})
		}
		for _, e := range want {
			if !indexed[e.bucket+"\x00"+e.key] {
				missing = append(missing, e)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return putEntries(ctx, sys, missing)
}

// putEntries writes index keys, tokenIndexBatch per transaction (an etcd
// transaction holds a bounded number of operations).
func putEntries(ctx context.Context, sys store.System, entries []indexEntry) error {
	for batch := range slices.Chunk(entries, tokenIndexBatch) {
		err := sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
			for _, e := range batch {
				if err := tx.Put(e.bucket, e.key, e.value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
