package accounts

import (
	"context"
	"errors"

	"github.com/raccordo/raccordo/internal/store"
)

// FollowSystem brings this process's copies of system records (the
// revocation list, the service token records seen indexed) up to date
// with a change that a shared store reported (store.SharedSystem), made
// by any process sharing it. A change that names its keys is read key by
// key: what it costs grows with the change, not with the records stored.
// A Whole change, and any change after one that failed (its records may
// be missing here), reads every record again (ReloadRevocations,
// IndexNewServiceTokens): a revocation missed would let a revoked token
// in.
func (s *Service) FollowSystem(ctx context.Context, change store.SystemChange) error {
	if change.Whole || s.stale.Load() {
		// Stale until the reload succeeds: one cut short is a failed one.
		s.stale.Store(true)
		err := errors.Join(s.ReloadRevocations(ctx), s.IndexNewServiceTokens(ctx))
		s.stale.Store(err != nil)
		return err
	}
	err := errors.Join(s.rereadRevocations(ctx, change), s.indexNamedTokens(ctx, change.KeysOf(bucketServiceTokens)))
	if err != nil {
		s.stale.Store(true)
	}
	return err
}

// rereadRevocations merges into the in-memory list the revocation records
// change names, as ReloadRevocations merges them all: an entry written is
// added, one deleted (pruned) is forgotten once expired here too, and a
// generation only rises.
func (s *Service) rereadRevocations(ctx context.Context, change store.SystemChange) error {
	jtis, generations := change.KeysOf(bucketRevokedJTI), change.KeysOf(bucketGeneration)
	if len(jtis) == 0 && len(generations) == 0 {
		return nil
	}
	fresh := newRevocations()
	var gone []string
	err := s.sys.SystemView(ctx, func(tx store.SystemTx) error {
		for _, jti := range jtis {
			v, err := tx.Get(bucketRevokedJTI, jti)
			switch {
			case err != nil:
				return err
			case v == nil:
				gone = append(gone, jti)
			default:
				fresh.jtis[jti] = unixOf(v)
			}
		}
		for _, key := range generations {
			gen, err := storedGeneration(tx, key)
			if err != nil {
				return err
			}
			fresh.generations[key] = gen
		}
		return nil
	})
	if err != nil {
		return err
	}
	return indexAdded(ctx, s.sys, s.revoked.mergeSome(fresh, gone, s.now()))
}

// indexNamedTokens is IndexNewServiceTokens for the records of keys alone,
// the service token records a change names: it reads those, decodes the
// ones new here, adds the index keys they lack, and forgets those deleted.
func (s *Service) indexNamedTokens(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	var added []indexEntry
	var present, gone []string
	err := s.sys.SystemView(ctx, func(tx store.SystemTx) error {
		for _, k := range keys {
			b, err := tx.Get(bucketServiceTokens, k)
			switch {
			case err != nil:
				continue // damaged: left out, as IndexNewServiceTokens leaves it
			case b == nil:
				gone = append(gone, k)
			default:
				present = append(present, k)
				if _, known := s.tokens.keys[k]; !known {
					added = append(added, tokenRecordEntries(k, b)...)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := indexAdded(ctx, s.sys, added); err != nil {
		return err
	}
	for _, k := range present {
		s.tokens.keys[k] = struct{}{}
	}
	for _, k := range gone {
		delete(s.tokens.keys, k)
	}
	return nil
}
