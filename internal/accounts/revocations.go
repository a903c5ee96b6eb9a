package accounts

import (
	"context"
	"encoding/binary"
	"sync"
	"time"

	"github.com/raccordo/raccordo/internal/store"
)

// System buckets of the revocation list.
const (
	// bucketRevokedJTI maps a revoked token id to its expiry (Unix
	// seconds, big-endian), after which the entry can be forgotten.
	bucketRevokedJTI = "revoked_jti"
	// bucketRevokedSubject maps a subject to the time (Unix seconds) before
	// which every token issued to it is void: set when an account is
	// deleted or its password replaced.
	bucketRevokedSubject = "revoked_subject"
)

// revocations is the in-memory copy of the revocation list, consulted on
// every call; writes go to the system store first, then here, so a revoked
// token is refused at once and after a restart.
type revocations struct {
	mu       sync.RWMutex
	jtis     map[string]time.Time
	subjects map[string]time.Time
}

func loadRevocations(ctx context.Context, sys store.System) (*revocations, error) {
	r := &revocations{jtis: map[string]time.Time{}, subjects: map[string]time.Time{}}
	err := sys.SystemView(ctx, func(tx store.SystemTx) error {
		tx.Scan(bucketRevokedJTI, "", "", func(k string, v []byte) bool {
			r.jtis[k] = unixOf(v)
			return true
		})
		tx.Scan(bucketRevokedSubject, "", "", func(k string, v []byte) bool {
			r.subjects[k] = unixOf(v)
			return true
		})
		return nil
	})
	return r, err
}

// Revoked implements auth.Revocations.
func (r *revocations) Revoked(jti, subject string, issuedAt time.Time) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, ok := r.jtis[jti]; ok {
		return true
	}
	since, ok := r.subjects[subject]
	return ok && !issuedAt.After(since)
}

func (r *revocations) addJTI(jti string, exp time.Time) {
	r.mu.Lock()
	r.jtis[jti] = exp
	r.mu.Unlock()
}

func (r *revocations) addSubject(subject string, at time.Time) {
	r.mu.Lock()
	r.subjects[subject] = at
	r.mu.Unlock()
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
