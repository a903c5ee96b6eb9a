package accounts

import (
	"context"
	"errors"
	"slices"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// MaxNamedChange is the most records a change may name (in the buckets
// FollowSystem follows, each key once) for FollowSystem to read them by
// name; a change naming more is followed as a Whole one. Such a change is
// the catch-up after a long disconnect that etcd had not compacted meanwhile:
// every event since, in one notice. By name, k records take k/128 round
// trips (etcd's default of 128 operations a transaction) and are held in
// memory at once; a whole reload of n records takes n/256 round trips (a
// page of a scan each) and holds a page. Past 2,000 keys (16 round trips,
// as many as a reload of 4,000 records) the named read stops being the
// clear winner for the stores famid serves, thousands to tens of thousands
// of records, and a notice's size no longer grows what a famid holds.
const MaxNamedChange = 2000

// FollowSystem brings this process's copies of system records (the
// revocation list, the service token records seen indexed) up to date
// with a change that a shared store reported (store.SharedSystem), made
// by any process sharing it. A change that names its keys is read by
// them, in one transaction (followNamed): what it costs grows with the
// change, not with the records stored. A Whole change, one naming more
// than MaxNamedChange keys, and any change after one that failed (its
// records may be missing here), reads every record again
// (reloadRevocations, IndexNewServiceTokens): a revocation missed would
// let a revoked token in.
//
// A damaged revocation record read (DATA_LOSS) does not fail the change:
// what its key names is held revoked here until the record is read intact
// (revocations.damaged), so that the change is applied whole and the
// next ones are followed by name. Its error is answered once, by the
// change that finds it; the ones that find it again answer nil.
func (s *Service) FollowSystem(ctx context.Context, change store.SystemChange) error {
	keys := followedKeys(change)
	if change.Whole || len(keys) > MaxNamedChange || s.stale.Load() {
		// Stale until the reload succeeds: one cut short is a failed one.
		s.stale.Store(true)
		damage, err := s.reloadRevocations(ctx)
		err = errors.Join(err, s.IndexNewServiceTokens(ctx))
		s.stale.Store(err != nil)
		return errors.Join(damage, err)
	}
	damage, err := s.followNamed(ctx, change, keys)
	if err != nil {
		s.stale.Store(true)
	}
	return errors.Join(damage, err)
}

// named is what followNamed reads of the records a change names.
type named struct {
	// fresh are the revocation entries and generations read, gone the
	// revocation entries deleted (pruned).
	fresh *revocations
	gone  []string
	// present and deleted are the service token records read and those
	// deleted; missing, the index keys that the records new here (of
	// either kind) need and the store lacks.
	present, deleted []string
	missing          []indexEntry
}

// followNamed reads the records change names (keys: those of the followed
// buckets) and the index keys that those new here need, in one system
// transaction, and then merges them as
// reloadRevocations and IndexNewServiceTokens merge them all: a
// revocation entry written is added, one deleted (pruned) is forgotten
// once expired here too, a generation only rises, a token record new here
// is indexed, one deleted forgotten. On etcd the transaction reads every
// key the change names in one round trip (store.Prefetch); the index keys
// a famid of this version writes beside its records are among them, so
// that only a record of an earlier version's famid, written without its
// index keys, costs one round trip more, for those (unindexed). It
// returns the damage new here apart (mergeSome), with which the change is
// still applied.
func (s *Service) followNamed(ctx context.Context, change store.SystemChange, keys []store.SystemKey) (damage, err error) {
	jtis, generations := change.KeysOf(bucketRevokedJTI), change.KeysOf(bucketGeneration)
	tokens := change.KeysOf(bucketServiceTokens)
	if len(jtis) == 0 && len(generations) == 0 && len(tokens) == 0 {
		return nil, nil
	}
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	var read named
	err = s.sys.SystemView(ctx, func(tx store.SystemTx) error {
		read = named{fresh: newRevocations()}
		if err := store.Prefetch(tx, keys); err != nil {
			return err
		}
		if err := read.revocations(tx, jtis, generations); err != nil {
			return err
		}
		added := append(s.revoked.unknown(read.fresh), read.tokens(tx, tokens, s.tokens.keys)...)
		var err error
		read.missing, err = unindexed(tx, added)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The revocations first, whatever the index keys' writes answer; the
	// token records are known here once indexed, as IndexNewServiceTokens
	// knows them.
	damage = s.revoked.mergeSome(read.fresh, read.gone, s.now())
	if err := putEntries(ctx, s.sys, read.missing); err != nil {
		return damage, err
	}
	for _, k := range read.present {
		s.tokens.keys[k] = struct{}{}
	}
	for _, k := range read.deleted {
		delete(s.tokens.keys, k)
	}
	return damage, nil
}

// followed are the buckets whose records followNamed reads: the records
// it follows and the index keys of those.
var followed = []string{
	bucketRevokedJTI, bucketGeneration, bucketServiceTokens,
	bucketRevokedExpiry, bucketLiveTokens, bucketTokenExpiry,
}

// followedKeys are the keys change names in the followed buckets, once
// each: those that followNamed may read, and not, say, an account's
// password hash.
func followedKeys(change store.SystemChange) []store.SystemKey {
	var keys []store.SystemKey
	seen := map[store.SystemKey]bool{}
	for _, k := range change.Keys {
		if slices.Contains(followed, k.Bucket) && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// revocations reads the revocation entries jtis and the generations of
// the credentials keys. A damaged one (DATA_LOSS) is in fresh's damaged,
// as loadRevocations leaves it; another failure (the store unreachable)
// fails the read. A generation deleted is left out, as loadRevocations
// does not see it, rather than read as 0: no famid deletes one, and the
// held value it would replace is the void of a damaged record
// (mergeLocked).
func (n *named) revocations(tx store.SystemTx, jtis, keys []string) error {
	for _, jti := range jtis {
		v, err := tx.Get(bucketRevokedJTI, jti)
		switch {
		case err != nil:
			if err := n.damaged(bucketRevokedJTI, jti, err); err != nil {
				return err
			}
		case v == nil:
			n.gone = append(n.gone, jti)
		default:
			n.fresh.jtis[jti] = unixOf(v)
		}
	}
	for _, key := range keys {
		v, err := tx.Get(bucketGeneration, key)
		if err == nil && v == nil {
			continue // deleted: nothing to merge, as a whole read finds nothing
		}
		var gen int64
		if err == nil {
			gen, err = generationOf(key, v)
		}
		if err != nil {
			if err := n.damaged(bucketGeneration, key, err); err != nil {
				return err
			}
			continue
		}
		n.fresh.generations[key] = gen
	}
	return nil
}

// damaged keeps err, the failed read of key of bucket, in fresh's
// damaged when it is the record's damage (DATA_LOSS), and returns it
// otherwise.
func (n *named) damaged(bucket, key string, err error) error {
	if errs.CodeOf(err) != errs.DataLoss {
		return err
	}
	n.fresh.damaged[store.SystemKey{Bucket: bucket, Key: key}] = damagedRecord{err: err}
	return nil
}

// tokens reads the service token records of keys, and returns the index
// keys that those not known here need (IndexNewServiceTokens' added).
func (n *named) tokens(tx store.SystemTx, keys []string, known map[string]struct{}) []indexEntry {
	var added []indexEntry
	for _, k := range keys {
		b, err := tx.Get(bucketServiceTokens, k)
		switch {
		case err != nil:
			continue // damaged: left out, as IndexNewServiceTokens leaves it
		case b == nil:
			n.deleted = append(n.deleted, k)
		default:
			n.present = append(n.present, k)
			if _, ok := known[k]; !ok {
				added = append(added, tokenRecordEntries(k, b)...)
			}
		}
	}
	return added
}

// OpenFollowing opens the accounts on a store that several famid share
// (open: New on it) and has them follow its changes (FollowSystem) until
// ctx ends, when done is closed. It opens them inside the first notice,
// the Whole one, which the store reports once it has fixed where its
// following starts (store.SharedSystem): New's reads, every record, come
// after that point, so that a record written while the start reads, a
// revocation above all, is reported again after it, and the first notice
// needs no reload of its own. Opened before following, the accounts had
// to read every record twice, at New and at that notice, not to miss what
// was written in between. after is called after each notice followed,
// with what following it answered; not after the first, which opened the
// accounts and followed nothing.
// OpenFollowing returns once the accounts are open, with open's error, or
// SystemChanged's when the following ends before its first notice.
func OpenFollowing(ctx context.Context, shared store.SharedSystem, open func() (*Service, error), after func(store.SystemChange, error)) (*Service, <-chan struct{}, error) {
	ctx, cancel := context.WithCancel(ctx)
	opened := make(chan error, 1)
	ended := make(chan struct{})
	var acc *Service
	go func() {
		defer close(ended)
		defer cancel()
		err := shared.SystemChanged(ctx, func(change store.SystemChange) {
			switch {
			case ctx.Err() != nil:
				return // ended: by the caller, or by open's failure
			case acc != nil:
				after(change, acc.FollowSystem(ctx, change))
				return
			}
			opening, err := open()
			if err != nil {
				cancel() // no accounts to follow for
				opened <- err
				return
			}
			acc = opening
			opened <- nil
		})
		select {
		case opened <- err: // ended before the first notice
		default:
		}
	}()
	if err := <-opened; err != nil {
		return nil, ended, err
	}
	return acc, ended, nil
}
