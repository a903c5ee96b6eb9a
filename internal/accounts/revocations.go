package accounts

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
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
	// bucketRevokedExpiry indexes bucketRevokedJTI by expiry: a key
	// "{expiry}/{jti}" (expiryKey, so that the keys' order is the times')
	// per entry that records one, written in the same system transaction
	// as the entry (putRevoked), so that pruning reads the expired entries
	// at its front and never the live ones behind them. Entries written
	// without it get their keys at the start (indexRevocations) and, those
	// another famid wrote while this one runs, at the next reload
	// (indexAdded).
	bucketRevokedExpiry = "revoked_jti_expiry"
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
	// damaged are the records of the list read damaged and not read
	// intact since: what each one's key names is held revoked here
	// (voidLocked), since what it held is lost. In a list as read
	// (loadRevocations, followNamed), those this read found.
	damaged map[store.SystemKey]damagedRecord
	// absent are the credential keys whose record credentials.Revoked
	// read from the store and found missing (lost, ADR 27): their tokens
	// are refused without a read each, until a record of theirs reaches
	// this list. Bounded (maxAbsent).
	absent map[string]struct{}
}

// damagedRecord is a record of the revocation list read damaged.
type damagedRecord struct {
	err error // DATA_LOSS, naming the record
	// was is, of a generation, what the list held before the damage: the
	// least it holds once the record is read intact again, which a copy
	// restored from an older backup must not lower.
	was int64
}

func newRevocations() *revocations {
	return &revocations{
		jtis: map[string]time.Time{}, generations: map[string]int64{},
		damaged: map[store.SystemKey]damagedRecord{}, absent: map[string]struct{}{},
	}
}

// loadRevocations reads the revocation list as stored. A damaged record
// does not stop the read: it is in the list's damaged, for its reader to
// decide (New stops the start on it, a reload holds revoked what it
// names).
func loadRevocations(ctx context.Context, sys store.System) (*revocations, error) {
	r := newRevocations()
	err := sys.SystemView(ctx, func(tx store.SystemTx) error {
		tx.Scan(bucketRevokedJTI, "", "", func(k string, v []byte, err error) bool {
			if err != nil {
				r.damaged[store.SystemKey{Bucket: bucketRevokedJTI, Key: k}] = damagedRecord{err: err}
			} else {
				r.jtis[k] = unixOf(v)
			}
			return true
		})
		tx.Scan(bucketGeneration, "", "", func(k string, v []byte, err error) bool {
			if err == nil {
				r.generations[k], err = generationOf(k, v)
			}
			if err != nil {
				delete(r.generations, k)
				r.damaged[store.SystemKey{Bucket: bucketGeneration, Key: k}] = damagedRecord{err: err}
			}
			return true
		})
		return nil
	})
	return r, err
}

// damage is the error of every damaged record of r, a list as read.
func (r *revocations) damage() error { return damageOf(r.damaged) }

// damageOf joins the errors of records, in key order; nil when there is
// none.
func damageOf(records map[store.SystemKey]damagedRecord) error {
	keys := slices.SortedFunc(maps.Keys(records), func(a, b store.SystemKey) int {
		return cmp.Or(strings.Compare(a.Bucket, b.Bucket), strings.Compare(a.Key, b.Key))
	})
	all := make([]error, len(keys))
	for i, k := range keys {
		all[i] = records[k].err
	}
	return errors.Join(all...)
}

// reloadRevocations merges the system store's revocation list into the
// in-memory one, so that revocations made by other processes sharing the
// store take effect here: FollowSystem calls it at a Whole system change
// (a change that names its keys has followNamed read those alone).
// Entries only ever grow (a generation only rises), so a merge never
// undoes a revocation this process has just made. The entries new here
// get their expiry index keys if they lack them (indexAdded). A damaged
// record found is held revoked (merge) and answered in damage, the first
// time only: damage leaves this process's list whole, what the damaged
// records name held revoked, where a failure, err, leaves it behind.
func (s *Service) reloadRevocations(ctx context.Context) (damage, err error) {
	fresh, err := loadRevocations(ctx, s.sys)
	if err != nil {
		return nil, err
	}
	added, damage := s.revoked.merge(fresh, s.now())
	return damage, indexAdded(ctx, s.sys, added)
}

// merge adds fresh, the list as stored, to r, and returns the expiry
// index keys of the entries new to r, and the damage new to r
// (mergeLocked).
func (r *revocations) merge(fresh *revocations, now time.Time) (added []indexEntry, damage error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var gone []string
	for jti := range r.jtis {
		if _, kept := fresh.jtis[jti]; !kept {
			gone = append(gone, jti)
		}
	}
	added = r.unknownLocked(fresh)
	return added, r.mergeLocked(fresh, gone, now)
}

// mergeSome adds fresh, some entries as stored, to r, and forgets the
// entries gone names, which the store no longer holds; it returns the
// damage new to r (mergeLocked). Its caller (followNamed) told the
// entries new to r inside the transaction that read fresh (unknown).
func (r *revocations) mergeSome(fresh *revocations, gone []string, now time.Time) (damage error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mergeLocked(fresh, gone, now)
}

// mergeLocked merges fresh into r. A record fresh read damaged voids what
// its key names (voidLocked); of those, it returns the errors of the ones
// r did not know damaged, so that the damage is told once, not at every
// read that finds it again. A record read intact is no longer damaged,
// and its value replaces the void: restored, it says again what it
// revokes, a generation no less than before the damage. A damaged record
// deleted rather than restored stays void until one is written again or
// the next start (which refuses the tokens of a generation lost, and
// writes a new one, ADR 27): no famid deletes a generation (it outlives its
// credential) nor a revocation entry it cannot read (pruneExpired), so
// the deletion is the record lost, not a generation of 0, and what it
// held may have been above what was here before the damage (fail closed,
// ADR 12). Both reads agree on it: neither merges a deleted generation
// (loadRevocations, named.revocations).
func (r *revocations) mergeLocked(fresh *revocations, gone []string, now time.Time) (damage error) {
	found := map[store.SystemKey]damagedRecord{}
	for k, d := range fresh.damaged {
		if known, ok := r.damaged[k]; ok {
			d.was = known.was
		} else {
			found[k] = d
			if k.Bucket == bucketGeneration {
				d.was = r.generations[k.Key]
			}
		}
		r.damaged[k] = d
		r.voidLocked(k)
	}
	for jti, exp := range fresh.jtis {
		r.jtis[jti] = exp
		delete(r.damaged, store.SystemKey{Bucket: bucketRevokedJTI, Key: jti})
	}
	// What another process pruned is forgotten here too, once expired
	// here: an entry that a process deleted early still guards its token.
	for _, jti := range gone {
		if exp, ok := r.jtis[jti]; ok && expired(exp, now) {
			delete(r.jtis, jti)
		}
	}
	for subject, gen := range fresh.generations {
		delete(r.absent, subject)
		k := store.SystemKey{Bucket: bucketGeneration, Key: subject}
		if d, void := r.damaged[k]; void {
			delete(r.damaged, k)
			r.generations[subject] = max(d.was, gen)
			continue
		}
		r.generations[subject] = max(r.generations[subject], gen)
	}
	return damageOf(found)
}

// voidLocked holds revoked what the damaged record k names, fail closed:
// the token of a revocation entry, with no expiry (expired: never
// forgotten, unless the entry is read intact again); every token of the
// credential of a generation.
func (r *revocations) voidLocked(k store.SystemKey) {
	switch k.Bucket {
	case bucketRevokedJTI:
		r.jtis[k.Key] = time.Time{}
	case bucketGeneration:
		r.generations[k.Key] = math.MaxInt64
	}
}

// indexAdded writes the index keys, of the records another process wrote
// since the last reload (revocations, IndexNewServiceTokens' token
// records), that the store lacks: a famid of an earlier version (a shared
// etcd cluster in a rolling upgrade) writes none, and the index's readers
// would not find its records until the next start. It reads one key per
// entry, all in one round trip on etcd (unindexed), and writes only those
// missing.
func indexAdded(ctx context.Context, sys store.System, entries []indexEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var missing []indexEntry
	err := sys.SystemView(ctx, func(tx store.SystemTx) (err error) {
		missing, err = unindexed(tx, entries)
		return err
	})
	if err != nil {
		return err
	}
	return putEntries(ctx, sys, missing)
}

// unindexed are the entries whose keys tx does not hold, one Get each,
// read beforehand in one round trip where the store can (store.Prefetch):
// a Whole change's reload may find many records new here.
func unindexed(tx store.SystemTx, entries []indexEntry) ([]indexEntry, error) {
	keys := make([]store.SystemKey, len(entries))
	for i, e := range entries {
		keys[i] = store.SystemKey{Bucket: e.bucket, Key: e.key}
	}
	if err := store.Prefetch(tx, keys); err != nil {
		return nil, err
	}
	var missing []indexEntry
	for _, e := range entries {
		v, err := tx.Get(e.bucket, e.key)
		if err != nil {
			return nil, err
		}
		if v == nil {
			missing = append(missing, e)
		}
	}
	return missing, nil
}

// unknown are the expiry index keys of fresh's entries that r does not
// hold: those that merging fresh would add (merge's added), told
// before the merge, inside the transaction that read fresh.
func (r *revocations) unknown(fresh *revocations) []indexEntry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.unknownLocked(fresh)
}

func (r *revocations) unknownLocked(fresh *revocations) []indexEntry {
	var entries []indexEntry
	for jti, exp := range fresh.jtis {
		if _, known := r.jtis[jti]; !known {
			if e, ok := revokedIndexEntry(jti, exp); ok {
				entries = append(entries, e)
			}
		}
	}
	return entries
}

// lookup tells, from the list in memory, whether a token is revoked
// (auth.Revocations). A token that names a generation (1 or more) of a
// credential with no record here is refused, and missing says so: a
// credential has its record from its creation on (CreateAccount, or the
// start for an account made before, recordGenerations), so its absence
// from the store is the record lost, a damaged one deleted, and the
// tokens it had revoked must not come back with it (ADR 27); its absence
// from memory alone may also be a record another famid sharing the store
// just wrote, which this one's list has not followed yet
// (credentials.Revoked asks the store then). A token of generation 0 is
// accepted there, as before.
func (r *revocations) lookup(jti, subject, region string, generation int64) (revoked, missing bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, ok := r.jtis[jti]; ok {
		return true, false
	}
	// The legacy key, the subject alone, still counts (credentialKey),
	// as a floor: it is not the credential's record, which is the key
	// with the region.
	gen, known := r.generations[subject]
	if region != "" {
		// credentialKey's key, built in a stack buffer: this runs on
		// every call, and a map index with string(bytes) does not
		// allocate.
		var buf [128]byte
		key := append(append(append(buf[:0], subject...), '@'), region...)
		var g int64
		g, known = r.generations[string(key)]
		gen = max(gen, g)
	}
	if generation < gen {
		return true, false
	}
	missing = !known && generation > 0
	return missing, missing
}

// learn holds the generation gen of credential key, read from the store
// where the list in memory had none (credentials.Revoked), as a merge
// would: a generation only rises, and a record held damaged keeps its
// void until it is read intact (mergeLocked).
func (r *revocations) learn(key string, gen int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.absent, key)
	if _, void := r.damaged[store.SystemKey{Bucket: bucketGeneration, Key: key}]; !void {
		r.generations[key] = max(r.generations[key], gen)
	}
}

// maxAbsent bounds the credentials held as read without a record
// (revocations.absent).
const maxAbsent = 4096

// markAbsent holds credential key as read without a record from the
// store, so that its tokens are refused without reading it again.
func (r *revocations) markAbsent(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.absent) >= maxAbsent {
		clear(r.absent) // crude but bounded: an entry costs one read to make again
	}
	r.absent[key] = struct{}{}
}

// isAbsent reports whether credential key was read without a record
// (markAbsent) and has had none written here since.
func (r *revocations) isAbsent(key string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.absent[key]
	return ok
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
// a transaction, the legacy record's included; found is false when the
// credential has no record of its own, whatever the legacy key holds: a
// legacy record is never written again, so it is no sign that the
// credential's own was not lost (ADR 27).
func generationIn(tx store.SystemTx, subject, region string) (gen int64, found bool, err error) {
	key, legacy := credentialKey(subject, region)
	gen, found, err = storedGeneration(tx, key)
	if err != nil {
		return 0, false, err
	}
	old, _, err := storedGeneration(tx, legacy)
	return max(gen, old), found, err
}

func storedGeneration(tx store.SystemTx, key string) (int64, bool, error) {
	v, err := tx.Get(bucketGeneration, key)
	if err != nil || v == nil {
		return 0, false, err
	}
	gen, err := generationOf(key, v)
	return gen, true, err
}

// firstGeneration is the generation of a credential's first record: the
// time now in nanoseconds, not 1. Each later one adds 1, far fewer than
// the nanoseconds between two writes, so that a record lost (a damaged
// one deleted) and written again starts above every generation the lost
// one held, and revives none of the tokens it had revoked (ADR 27).
func firstGeneration(now time.Time) int64 { return max(now.UnixNano(), 1) }

// generationOf decodes the stored generation of credential key. A value
// of another length passed its checksum but is not a generation: taking
// it for 0 would revive the credential's revoked tokens, so it is
// DATA_LOSS, as a damaged value is. The message names no file: the
// system records are system.db on bbolt and keys under the prefix on
// etcd, and accounts does not know which store holds them.
func generationOf(key string, v []byte) (int64, error) {
	if len(v) != 8 {
		return 0, errs.RecordCorrupt.With(errs.Error{
			Message:  errs.Sprintf("the credential generation %s/%s, a system record, has a value of length %d where a generation takes 8 bytes: restore the system records from a backup", bucketGeneration, key, len(v)),
			Metadata: map[string]string{"record": bucketGeneration + "/" + key},
		})
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// bump raises the credential generation of a subject in a region inside a
// system transaction and returns the new one; call commit after the
// transaction commits. The new one is above what the store holds and
// what this process holds (held): a record deleted while this process
// held it revoked (a damaged one) is written again above it, so the
// block never drops; where the credential has no record of its own
// (generationIn), it is at least firstGeneration.
func (r *revocations) bump(tx store.SystemTx, subject, region string, now time.Time) (gen int64, commit func(), err error) {
	stored, found, err := generationIn(tx, subject, region)
	if err != nil {
		return 0, nil, err
	}
	key, legacy := credentialKey(subject, region)
	gen = max(stored, r.held(key, legacy)) + 1
	if !found {
		gen = max(gen, firstGeneration(now))
	}
	commit, err = r.put(tx, key, gen)
	return gen, commit, err
}

// put writes generation gen of credential key inside a system
// transaction; call commit after the transaction commits, which holds it
// here, in place of what was held, a damaged record's void included: the
// record is written whole.
func (r *revocations) put(tx store.SystemTx, key string, gen int64) (commit func(), err error) {
	if err := tx.Put(bucketGeneration, key, binary.BigEndian.AppendUint64(nil, uint64(gen))); err != nil {
		return nil, err
	}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.damaged, store.SystemKey{Bucket: bucketGeneration, Key: key})
		delete(r.absent, key)
		r.generations[key] = gen
	}, nil
}

// Recorded reports whether the credential of a subject in a region has
// a generation record of its own in r: the legacy key's does not count
// (generationIn). Every account has one from its creation on (ADR 27),
// and keeps it after its deletion, so a subject without one was never an
// account's.
func (r *revocations) Recorded(subject, region string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	key, _ := credentialKey(subject, region)
	_, found := r.generations[key]
	return found
}

// timed reports whether r, a list as read, holds a generation that is a
// time (firstGeneration): only a famid that gives every account its
// record writes one, and no count of new passwords from before reaches
// timedSince. A damaged record's void is no generation written.
func (r *revocations) timed() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, gen := range r.generations {
		if gen >= timedSince && gen != math.MaxInt64 {
			return true
		}
	}
	return false
}

// timedSince is the least generation timed takes for a time: 2020's, in
// nanoseconds, before any famid wrote one.
var timedSince = firstGeneration(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))

// held is the highest generation this process holds for the credential
// keys, a damaged record's counted as what it held before the damage
// (damagedRecord.was), not as its void.
func (r *revocations) held(keys ...string) int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var most int64
	for _, k := range keys {
		gen := r.generations[k]
		if d, void := r.damaged[store.SystemKey{Bucket: bucketGeneration, Key: k}]; void {
			gen = d.was
		}
		most = max(most, gen)
	}
	return most
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

// putRevoked records, in tx, that token jti is revoked until exp, with
// its key in the expiry index.
func putRevoked(tx store.SystemTx, jti string, exp time.Time) error {
	if err := tx.Put(bucketRevokedJTI, jti, unixBytes(exp)); err != nil {
		return err
	}
	if e, ok := revokedIndexEntry(jti, exp); ok {
		return tx.Put(e.bucket, e.key, e.value)
	}
	return nil
}

// revokedIndexEntry is the key of the expiry index of the revocation of
// token jti until exp; none when exp is not a time the entry expires at
// (expired), as it is then never pruned.
func revokedIndexEntry(jti string, exp time.Time) (indexEntry, bool) {
	if exp.Unix() <= 0 {
		return indexEntry{}, false
	}
	return indexEntry{bucketRevokedExpiry, expiryKey(exp) + "/" + jti, []byte{1}}, true
}

// pruneExpired forgets, in tx, up to pruneBatch revoked token ids whose
// token has expired at now: the verifier refuses an expired token anyway,
// so the entry guards nothing any more, and without this the list grows
// with every revocation for ever. It reads the expiry index from its
// front, up to the first key not expired, so it costs the expired entries
// alone, and forgets an entry only when the expiry stored in the entry
// itself has passed: a key cannot forget a revocation early, whoever
// wrote it. A key whose entry is gone (forgotten by a famid of an earlier
// version, which prunes by reading every entry) or records an expiry still
// ahead goes alone. An entry that records no expiry stays, and so does a damaged
// one, which may guard a valid token: the next start stops on it (fail
// closed, ADR 12); it does not count in the batch. The entries of a batch
// are read in one round trip on etcd (expiredIndexKeys, then
// store.Prefetch), not one each: a round more only when damaged entries
// left the batch short. It returns the ids forgotten and whether more may
// be left.
func pruneExpired(tx store.SystemTx, now time.Time) (forgotten []string, more bool, err error) {
	type stale struct {
		key, jti string
		entry    bool // the entry goes too
	}
	var found []stale
	for after, end := "", false; !end && !more; {
		var keys []string
		// One key more than the batch lacks: it tells whether more are left.
		keys, end = expiredIndexKeys(tx, after, now, pruneBatch+1-len(found))
		jtis := make([]store.SystemKey, len(keys))
		for i, k := range keys {
			_, jti, _ := strings.Cut(k, "/")
			jtis[i] = store.SystemKey{Bucket: bucketRevokedJTI, Key: jti}
		}
		if err := store.Prefetch(tx, jtis); err != nil {
			return nil, false, err
		}
		for i, k := range keys {
			after = k
			v, err := tx.Get(bucketRevokedJTI, jtis[i].Key)
			if err != nil {
				continue // a damaged entry stays, and so does its key
			}
			if len(found) == pruneBatch {
				more = true
				break
			}
			found = append(found, stale{k, jtis[i].Key, v != nil && expired(unixOf(v), now)})
		}
	}
	// Deleted after the scan: a store's cursor need not survive a delete.
	for _, s := range found {
		if err := tx.Delete(bucketRevokedExpiry, s.key); err != nil {
			return nil, false, err
		}
		if !s.entry {
			continue
		}
		if err := tx.Delete(bucketRevokedJTI, s.jti); err != nil {
			return nil, false, err
		}
		forgotten = append(forgotten, s.jti)
	}
	return forgotten, more, nil
}

// expiredIndexKeys are up to n keys of the expiry index after after whose
// expiry has passed at now, from its front; end reports that the index
// holds no more of them. A key not of this index (no expiry at its front)
// is passed over: it stays.
func expiredIndexKeys(tx store.SystemTx, after string, now time.Time, n int) (keys []string, end bool) {
	end = true
	tx.Scan(bucketRevokedExpiry, "", after, func(k string, _ []byte, _ error) bool {
		exp, ok := expiryOf(k)
		switch {
		case !ok:
			return true
		case !expired(exp, now):
			return false
		case len(keys) == n:
			end = false
			return false
		}
		keys = append(keys, k)
		return true
	})
	return keys, end
}

// indexRevocations adds, at the start, the keys of the expiry index
// missing from the revocation entries: all of them in a system store
// written before the index, and those of the revocations that a famid of
// an earlier version made meanwhile (a shared etcd cluster in a rolling
// upgrade), which pruning cannot find before. A damaged entry is left out:
// the load stops the start on it first (loadRevocations).
func indexRevocations(ctx context.Context, sys store.System) error {
	return indexMissing(ctx, sys, func(tx store.SystemTx, add func(indexEntry)) {
		tx.Scan(bucketRevokedJTI, "", "", func(jti string, v []byte, err error) bool {
			if e, ok := revokedIndexEntry(jti, unixOf(v)); ok && err == nil {
				add(e)
			}
			return true
		})
	})
}

// pruneAll runs batch, which forgets some stale entries (pruneExpired,
// pruneTokenRecords), in system transactions until nothing is left, and
// hands each batch's keys to done once its transaction has committed.
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

// restore writes again, at the start, the revocation entries that the
// records of revoked service tokens still within their lifetime say and
// the list lacks (revoked, from indexTokenRecords: jti -> expiry), in the
// store first, then here. A service token's revocation is in two records,
// its entry and its record's revoke time (markRevoked, in one
// transaction): an entry lost (a damaged one deleted, which stops the
// start until it is, ADR 12) would otherwise let the token back in until
// it expires, up to a year on.
func (r *revocations) restore(ctx context.Context, sys store.System, revoked map[string]time.Time, now time.Time) error {
	var missing []string
	r.mu.RLock()
	for jti, exp := range revoked {
		if _, held := r.jtis[jti]; !held && !auth.Expired(exp, now) {
			missing = append(missing, jti)
		}
	}
	r.mu.RUnlock()
	slices.Sort(missing)
	for batch := range slices.Chunk(missing, pruneBatch) {
		err := sys.SystemUpdate(ctx, func(tx store.SystemTx) error {
			for _, jti := range batch {
				if err := putRevoked(tx, jti, revoked[jti]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, jti := range batch {
			r.addJTI(jti, revoked[jti])
		}
	}
	return nil
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
