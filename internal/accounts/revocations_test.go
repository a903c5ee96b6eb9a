package accounts_test

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// logout revokes, through svc, the session token jti of an account,
// valid until exp.
func logout(t testing.TB, svc *accounts.Service, jti string, exp time.Time) {
	t.Helper()
	ctx := principal.With(t.Context(), principal.Principal{Subject: "account:mrossi", Role: principal.Consultant, Region: "lombardia", TokenID: jti, ExpiresAt: exp})
	if _, err := svc.Logout(ctx, &famiv1.LogoutRequest{}); err != nil {
		t.Fatalf("logout %s: %v", jti, err)
	}
}

// revokedIDs are the token ids of the revocation list as stored, and the
// keys of its expiry index.
func revokedIDs(t *testing.T, sys store.System) (jtis, keys []string) {
	t.Helper()
	err := sys.SystemView(t.Context(), func(tx store.SystemTx) error {
		for bucket, into := range map[string]*[]string{"revoked_jti": &jtis, "revoked_jti_expiry": &keys} {
			tx.Scan(bucket, "", "", func(k string, _ []byte, _ error) bool {
				*into = append(*into, k)
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return jtis, keys
}

// TestRevocationReadsOnlyTheExpired: a revocation forgets the expired
// entries of the revocation list reading those alone: it reads as much
// with 300 tokens revoked and still valid as with none, and its reads grow
// with the expired entries it forgets. It read every entry before.
func TestRevocationReadsOnlyTheExpired(t *testing.T) {
	t.Parallel()
	onEachBackend(t, revocationReadsOnlyTheExpired)
}

func revocationReadsOnlyTheExpired(t *testing.T, f *tokenEnv) {
	sys := &storetest.SystemReadCounter{System: f.st}
	svc, err := openService(t.Context(), sys, f.st, f.keys, accounts.Options{Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	logout(t, svc, "first", f.now.Add(time.Hour))
	sys.Since()
	logout(t, svc, "alone", f.now.Add(time.Hour))
	alone := sys.Since()
	for i := range 300 {
		logout(t, svc, fmt.Sprintf("live-%03d", i), f.now.Add(30*24*time.Hour))
	}
	sys.Since()
	logout(t, svc, "among-live", f.now.Add(time.Hour))
	if amongLive := sys.Since(); amongLive != alone {
		t.Errorf("a revocation read %d values and keys among 300 live revocations, %d among none; want them equal", amongLive, alone)
	}

	// Two hours on, the three hour-long ones have expired: the next
	// revocation forgets them, reading a key and an entry more for each.
	f.now = f.now.Add(2 * time.Hour)
	logout(t, svc, "after", f.now.Add(time.Hour))
	if forgetting := sys.Since(); forgetting != alone+3*2 {
		t.Errorf("a revocation that forgets 3 expired entries read %d values and keys, want %d", forgetting, alone+3*2)
	}
	jtis, keys := revokedIDs(t, f.st)
	if len(jtis) != 301 || len(keys) != 301 || slices.Contains(jtis, "first") || slices.Contains(jtis, "among-live") {
		t.Errorf("after the prune: %d entries, %d keys (first or among-live kept: %v, %v), want the 301 still valid",
			len(jtis), len(keys), slices.Contains(jtis, "first"), slices.Contains(jtis, "among-live"))
	}
}

// TestRevocationsWrittenBeforeTheIndex: a revocation list written without
// the expiry index (before it, or by a famid of an earlier version on a
// shared etcd cluster) is indexed at the start and pruned as before, and
// keys the index holds that no longer match their entry (one an earlier
// version pruned, one revoked again until later) never forget a
// revocation early.
func TestRevocationsWrittenBeforeTheIndex(t *testing.T) {
	t.Parallel()
	onEachBackend(t, revocationsWrittenBeforeTheIndex)
}

func revocationsWrittenBeforeTheIndex(t *testing.T, f *tokenEnv) {
	unix := func(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.Unix())) }
	expiryKey := func(exp time.Time, jti string) string { return fmt.Sprintf("%016x/%s", exp.Unix(), jti) }
	hour, month := f.now.Add(time.Hour), f.now.Add(30*24*time.Hour)
	err := f.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		for _, w := range []struct {
			bucket, key string
			value       []byte
		}{
			// The old layout: entries alone.
			{"revoked_jti", "old-hour", unix(hour)},
			{"revoked_jti", "old-month", unix(month)},
			{"revoked_jti", "old-forever", make([]byte, 8)},
			// A key whose entry an earlier version pruned.
			{"revoked_jti_expiry", expiryKey(hour, "pruned"), []byte{1}},
			// An entry revoked again until later by an earlier
			// version, its key still of the first expiry.
			{"revoked_jti", "again", unix(month)},
			{"revoked_jti_expiry", expiryKey(hour, "again"), []byte{1}},
		} {
			if err := tx.Put(w.bucket, w.key, w.value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Two hours on, a start indexes the entries and forgets the expired.
	f.now = f.now.Add(2 * time.Hour)
	svc := f.start(t)
	jtis, keys := revokedIDs(t, f.st)
	wantJTIs := []string{"again", "old-forever", "old-month"}
	wantKeys := []string{expiryKey(month, "again"), expiryKey(month, "old-month")}
	if !slices.Equal(jtis, wantJTIs) || !slices.Equal(keys, wantKeys) {
		t.Errorf("after the start: entries %q and keys %q, want %q and %q", jtis, keys, wantJTIs, wantKeys)
	}
	for _, jti := range wantJTIs {
		if !svc.Revocations().Revoked(jti, "account:mrossi", "lombardia", 0) {
			t.Errorf("%s is not revoked after the start", jti)
		}
	}

	// A month on, a revocation forgets those indexed at the start.
	f.now = f.now.Add(31 * 24 * time.Hour)
	logout(t, svc, "late", f.now.Add(time.Hour))
	jtis, keys = revokedIDs(t, f.st)
	wantJTIs = []string{"late", "old-forever"}
	wantKeys = []string{expiryKey(f.now.Add(time.Hour), "late")}
	if !slices.Equal(jtis, wantJTIs) || !slices.Equal(keys, wantKeys) {
		t.Errorf("after a month and a revocation: entries %q and keys %q, want %q and %q", jtis, keys, wantJTIs, wantKeys)
	}
}

// TestRevocationsOfAnEarlierVersionIndexedOnReload: an entry that a famid
// of an earlier version adds to the list of a shared store while this one
// runs (without its expiry key) gets its key when this famid reloads the
// list, as it does at a Whole system change (FollowSystem), and so is
// pruned once expired without waiting for a restart.
func TestRevocationsOfAnEarlierVersionIndexedOnReload(t *testing.T) {
	t.Parallel()
	onEachBackend(t, revocationsOfAnEarlierVersionIndexedOnReload)
}

func revocationsOfAnEarlierVersionIndexedOnReload(t *testing.T, f *tokenEnv) {
	svc := f.start(t)
	hour := f.now.Add(time.Hour)
	err := f.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		return tx.Put("revoked_jti", "earlier", binary.BigEndian.AppendUint64(nil, uint64(hour.Unix())))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.FollowSystem(t.Context(), store.SystemChange{Whole: true}); err != nil {
		t.Fatal(err)
	}
	if !svc.Revocations().Revoked("earlier", "account:mrossi", "lombardia", 0) {
		t.Fatal("the entry of the earlier version is not revoked after the reload")
	}
	if _, keys := revokedIDs(t, f.st); !slices.Equal(keys, []string{fmt.Sprintf("%016x/earlier", hour.Unix())}) {
		t.Errorf("expiry keys after the reload: %q, want the earlier version's entry's", keys)
	}

	f.now = f.now.Add(2 * time.Hour)
	logout(t, svc, "late", f.now.Add(time.Hour))
	if jtis, _ := revokedIDs(t, f.st); !slices.Equal(jtis, []string{"late"}) {
		t.Errorf("entries after a revocation two hours on: %q, want the earlier version's forgotten", jtis)
	}
}

// TestADeletedRevocationOfAServiceTokenRevivesNoToken: on bbolt and on
// etcd, the revocation entry of a service token that is deleted (a
// damaged one, deleted rather than restored, which the start asks for:
// it stops on the damage) revives neither the token revoked through
// RevokeServiceToken nor the one that logged itself out: the next start
// writes the entry again from the token's record, which says it was
// revoked, and a start after that still refuses it. The start took the
// entry missing for no revocation, and the token was valid again until
// it expired, up to a year on.
func TestADeletedRevocationOfAServiceTokenRevivesNoToken(t *testing.T) {
	t.Parallel()
	onEachBackend(t, func(t *testing.T, e *tokenEnv) {
		a := e.startVerifying(t)
		ctx := as(t.Context(), "lombardia")
		issue := func(system string) (name, token string) {
			t.Helper()
			res, err := a.svc.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: system})
			if err != nil {
				t.Fatal(err)
			}
			return res.GetServiceToken().GetName(), res.GetToken()
		}
		revokedName, revoked := issue("protocollo")
		loggedOut, loggedOutToken := issue("anagrafe")
		_, kept := issue("contabilita")
		if _, err := a.svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: revokedName}); err != nil {
			t.Fatal(err)
		}
		claims, err := a.verifier.Verify(loggedOutToken)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.Logout(principal.With(t.Context(), claims.Principal()), &famiv1.LogoutRequest{}); err != nil {
			t.Fatal(err)
		}
		err = e.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
			for _, name := range []string{revokedName, loggedOut} {
				if err := tx.Delete("revoked_jti", jtiOf(name)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(time.Minute)
		tokens := map[string]string{"the token revoked": revoked, "the token logged out": loggedOutToken}
		for _, when := range []string{"at the start after the deletion", "at the start after that"} {
			b := e.startVerifying(t)
			b.want(when, false, tokens)
			b.want(when, true, map[string]string{"the token never revoked": kept})
		}
	})
}
