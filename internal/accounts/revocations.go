package accounts

import (
	"context"
	"encoding/binary"
	"sync"
	"time"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// System buckets of the revocation list.
const (
	// bucketRevokedJTI maps a revoked token id to its expiry (Unix
	// seconds, big-endian; 0 when the token recorded none), after which
	// the entry is forgotten (pruneExpired).
	bucketRevokedJTI = "revoked_jti"
	// bucketGeneration maps a credential (credentialKey) to its
	// generation (big-endian): tokens of an older generation are void.
	// Deleting an account or replacing its password raises it; it outlives
	// the account, so a re-created username does not revive old tokens.
	bucketGeneration = "subject_generation"
)

// revocations is the in-memory copy of the revocation list, consulted on
// every call; writes go to the system store first, then here, so a revoked
// token is refused at once and after a restart.
type revocations struct {
	mu          sync.RWMutex
	jtis        map[string]time.Time
	generations map[string]int64
}

func loadRevocations(ctx context.Context, sys store.System) (*revocations, error) {
	r := &revocations{jtis: map[string]time.Time{}, generations: map[string]int64{}}
	// A damaged entry fails the load (and so the start): a revocation
	// silently dropped would let a revoked token back in.
	err := sys.SystemView(ctx, func(tx store.SystemTx) error {
		var damaged error
		tx.Scan(bucketRevokedJTI, "", "", func(k string, v []byte, err error) bool {
			if damaged = err; err == nil {
				r.jtis[k] = unixOf(v)
			}
			return err == nil
		})
		if damaged != nil {
			return damaged
		}
		tx.Scan(bucketGeneration, "", "", func(k string, v []byte, err error) bool {
			if err == nil {
				r.generations[k], err = generationOf(k, v)
			}
			damaged = err
			return err == nil
		})
		return damaged
	})
	return r, err
}

// ReloadRevocations merges the system store's revocation list into the
// in-memory one, so that revocations made by other processes sharing the
// store take effect here. Entries only ever grow (a generation only rises),
// so a merge never undoes a revocation this process has just made.
func (s *Service) ReloadRevocations(ctx context.Context) error {
	fresh, err := loadRevocations(ctx, s.sys)
	if err != nil {
		return err
	}
	r := s.revoked
	r.mu.Lock()
	defer r.mu.Unlock()
	for jti, exp := range fresh.jtis {
		r.jtis[jti] = exp
	}
	// What another process pruned is forgotten here too.
	now := s.now()
	for jti, exp := range r.jtis {
		if _, kept := fresh.jtis[jti]; !kept && expired(exp, now) {
			delete(r.jtis, jti)
		}
	}
	for subject, gen := range fresh.generations {
		r.generations[subject] = max(r.generations[subject], gen)
	}
	return nil
}

// Revoked implements auth.Revocations.
func (r *revocations) Revoked(jti, subject, region string, generation int64) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, ok := r.jtis[jti]; ok {
		return true
	}
	if region == "" {
		return generation < r.generations[subject]
	}
	// credentialKey's keys, the first built in a stack buffer: this runs
	// on every call, and a map index with string(bytes) does not allocate.
	var buf [128]byte
	key := append(append(append(buf[:0], subject...), '@'), region...)
	return generation < max(r.generations[string(key)], r.generations[subject])
}

// credentialKey is where the generation of a subject in a region is kept.
// A subject is unique within its region only (two regions may each have
// an account:mrossi, ADR 14), so the key is {subject}@{region}. Before
// usernames were per region it was the subject alone: that legacy entry,
// never written any more, still counts, so the move revives no token.
func credentialKey(subject, region string) (key, legacy string) {
	if region == "" {
		return subject, subject
	}
	return subject + "@" + region, subject
}

// generationIn reads the credential generation of a subject in a region in
// a transaction.
func generationIn(tx store.SystemTx, subject, region string) (int64, error) {
	key, legacy := credentialKey(subject, region)
	gen, err := storedGeneration(tx, key)
	if err != nil {
		return 0, err
	}
	old, err := storedGeneration(tx, legacy)
	return max(gen, old), err
}

func storedGeneration(tx store.SystemTx, key string) (int64, error) {
	v, err := tx.Get(bucketGeneration, key)
	if err != nil || v == nil {
		return 0, err
	}
	return generationOf(key, v)
}

// generationOf decodes the stored generation of credential key. A value
// of another length passed its checksum but is not a generation: taking
// it for 0 would revive the credential's revoked tokens, so it is
// DATA_LOSS, as a damaged value is.
func generationOf(key string, v []byte) (int64, error) {
	if len(v) != 8 {
		return 0, errs.RecordCorrupt.With(errs.Error{
			Message:  errs.Sprintf("the credential generation %s/%s in system.db is %d bytes, not 8: restore system.db from a backup", bucketGeneration, key, len(v)),
			Metadata: map[string]string{"record": bucketGeneration + "/" + key},
		})
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// bump raises the credential generation of a subject in a region inside a
// system transaction and returns the new one; call commit after the
// transaction commits.
func (r *revocations) bump(tx store.SystemTx, subject, region string) (gen int64, commit func(), err error) {
	if gen, err = generationIn(tx, subject, region); err != nil {
		return 0, nil, err
	}
	gen++
	key, _ := credentialKey(subject, region)
	if err := tx.Put(bucketGeneration, key, binary.BigEndian.AppendUint64(nil, uint64(gen))); err != nil {
		return 0, nil, err
	}
	return gen, func() {
		r.mu.Lock()
		r.generations[key] = gen
		r.mu.Unlock()
	}, nil
}

func (r *revocations) addJTI(jti string, exp time.Time) {
	r.mu.Lock()
	r.jtis[jti] = exp
	r.mu.Unlock()
}

// pruneBatch bounds the revocations one system transaction forgets, so a
// revocation's own transaction stays small (an etcd transaction holds a
// bounded number of operations) and a start forgets them batch by batch.
const pruneBatch = 32

// pruneExpired forgets, in tx, up to pruneBatch revoked token ids whose
// token has expired at now: the verifier refuses an expired token anyway,
// so the entry guards nothing any more, and without this the list grows
// with every revocation for ever. An entry that records no expiry stays,
// and so does a damaged one, which may guard a valid token: the next start
// stops on it (fail closed, ADR 12). It returns the ids forgotten and
// whether more may be left.
func pruneExpired(tx store.SystemTx, now time.Time) (forgotten []string, more bool, err error) {
	return forgetStale(tx, bucketRevokedJTI, func(v []byte) bool { return expired(unixOf(v), now) })
}

// forgetStale deletes, in tx, up to pruneBatch keys of bucket whose value
// stale says may go; a damaged value stays. It returns the keys forgotten
// and whether more may be left.
func forgetStale(tx store.SystemTx, bucket string, stale func(v []byte) bool) (forgotten []string, more bool, err error) {
	tx.Scan(bucket, "", "", func(k string, v []byte, err error) bool {
		if err != nil || !stale(v) {
			return true
		}
		if len(forgotten) == pruneBatch {
			more = true
			return false
		}
		forgotten = append(forgotten, k)
		return true
	})
	// Deleted after the scan: a store's cursor need not survive a delete.
	for _, k := range forgotten {
		if err := tx.Delete(bucket, k); err != nil {
			return nil, false, err
		}
	}
	return forgotten, more, nil
}

// pruneAll runs batch, which forgets some stale entries (forgetStale), in
// system transactions until nothing is left, and hands each batch's keys
// to done once its transaction has committed.
func pruneAll(ctx context.Context, sys store.System, batch func(store.SystemTx) ([]string, bool, error), done func([]string)) error {
	for more := true; more; {
		var forgotten []string
		err := sys.SystemUpdate(ctx, func(tx store.SystemTx) (err error) {
			forgotten, more, err = batch(tx)
			return err
		})
		if err != nil {
			return err
		}
		done(forgotten)
	}
	return nil
}

// prune forgets every expired revocation (pruneExpired), in the store
// first, then here.
func (r *revocations) prune(ctx context.Context, sys store.System, now time.Time) error {
	return pruneAll(ctx, sys, func(tx store.SystemTx) ([]string, bool, error) { return pruneExpired(tx, now) }, r.forget)
}

// forget drops revoked token ids the store no longer holds.
func (r *revocations) forget(jtis []string) {
	if len(jtis) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, jti := range jtis {
		delete(r.jtis, jti)
	}
}

// expired reports whether a revoked token that expires at exp can never be
// accepted again at now. The zero time (no expiry recorded) never expires.
func expired(exp, now time.Time) bool {
	return exp.Unix() > 0 && auth.Expired(exp, now)
}

func unixBytes(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.Unix()))
}

func unixOf(b []byte) time.Time {
	if len(b) != 8 {
		return time.Time{}
	}
	return time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
}
