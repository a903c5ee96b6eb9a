package accounts

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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
	// bucketTokenIndex marks the indexes built over the records written
	// before them (indexTokenRecords).
	bucketTokenIndex = "service_tokens_index" // "built" -> 1
)

// tokenPruneBatch bounds the records of long-expired tokens one
// transaction forgets: each costs three deletions (the record and its two
// index keys), and an etcd transaction holds a bounded number of
// operations.
const tokenPruneBatch = pruneBatch / 4

func expiryKey(t time.Time) string { return fmt.Sprintf("%016x", max(t.Unix(), 0)) }

func liveKey(region, subject, jti string, exp time.Time) string {
	return region + "/" + subject + "/" + expiryKey(exp) + "/" + jti
}

// indexToken records, in tx, the index keys of the record st of token jti
// of region. A record without an expiry (none is written so) gets none: it
// is never pruned, and never live (withState), as before the indexes.
func indexToken(tx store.SystemTx, region, jti string, st *famiv1.ServiceToken) error {
	if st.GetExpireTime() == nil {
		return nil
	}
	exp := st.GetExpireTime().AsTime()
	if err := tx.Put(bucketTokenExpiry, expiryKey(exp)+"/"+region+"/"+jti, []byte(st.GetSubject())); err != nil {
		return err
	}
	if st.GetRevokeTime() != nil {
		return nil
	}
	return tx.Put(bucketLiveTokens, liveKey(region, st.GetSubject(), jti, exp), []byte{1})
}

// unindexRevoked drops, in tx, the live key of token jti of region, whose
// record st was just marked revoked.
func unindexRevoked(tx store.SystemTx, region, jti string, st *famiv1.ServiceToken) error {
	return tx.Delete(bucketLiveTokens, liveKey(region, st.GetSubject(), jti, st.GetExpireTime().AsTime()))
}

// liveTokens counts, in tx, the tokens subject holds in region at now
// (ACTIVE: neither revoked nor expired), up to limit: it reads the keys of
// the tokens not yet expired, and no record.
func liveTokens(tx store.SystemTx, region, subject string, now time.Time, limit int) int {
	prefix := region + "/" + subject + "/"
	live := 0
	// From the second of the earliest expiry still accepted: the keys of
	// that second may be just past it, and are checked one by one.
	tx.Scan(bucketLiveTokens, prefix, prefix+expiryKey(auth.AcceptedSince(now)), func(k string, _ []byte, _ error) bool {
		if exp, ok := expiryOf(strings.TrimPrefix(k, prefix)); ok && auth.Expired(exp, now) {
			return true
		}
		live++
		return live < limit
	})
	return live
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

// indexTokenRecords builds the indexes of the records written by a famid
// before them, once, at the start: a batch of records per transaction (an
// etcd transaction holds a bounded number of operations), so a start cut
// short builds again and rewrites the same keys, and the mark that they are
// built goes last. A damaged record is left out, as pruning leaves it.
func indexTokenRecords(ctx context.Context, sys store.System) error {
	var built bool
	err := sys.SystemView(ctx, func(tx store.SystemTx) error {
		v, err := tx.Get(bucketTokenIndex, "built")
		built = v != nil
		return err
	})
	if err != nil || built {
		return err
	}
	for after, more := "", true; more; {
		var next string
		err := sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
			// fn may run again (etcd's optimistic transaction): after
			// moves only once it committed.
			var failed error
			last, n := after, 0
			more = false
			tx.Scan(bucketServiceTokens, "", after, func(k string, b []byte, err error) bool {
				if n == tokenPruneBatch {
					more = true
					return false
				}
				last, n = k, n+1
				st := &famiv1.ServiceToken{}
				region, jti, ok := strings.Cut(k, "/")
				if err != nil || !ok || proto.Unmarshal(b, st) != nil {
					return true
				}
				failed = indexToken(tx, region, jti, st)
				return failed == nil
			})
			next = last
			return failed
		})
		if err != nil {
			return err
		}
		after = next
	}
	return sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
		return tx.Put(bucketTokenIndex, "built", []byte{1})
	})
}
