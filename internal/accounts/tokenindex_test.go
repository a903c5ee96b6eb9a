package accounts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// systemStore is a store of system records and regions, as famid opens.
type systemStore interface {
	store.System
	store.Store
}

// tokenEnv is a service on one of the two backends, with its clock.
type tokenEnv struct {
	st   systemStore
	keys *auth.KeySet
	now  time.Time
}

// start starts a service on e's store, as famid does.
func (e *tokenEnv) start(t *testing.T) *accounts.Service {
	t.Helper()
	svc, err := openService(t.Context(), e.st, e.st, e.keys, accounts.Options{Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// onEachBackend runs test on a bbolt system store and on an etcd one: the
// token indexes are system records, written alike through store.SystemTx.
func onEachBackend(t *testing.T, test func(t *testing.T, e *tokenEnv)) {
	regions := []string{"lombardia", "veneto"}
	open := map[string]func(t *testing.T) systemStore{
		"bbolt": func(t *testing.T) systemStore { return bolttest.Open(t, t.TempDir(), bolt.Options{Regions: regions}) },
		"etcd": func(t *testing.T) systemStore {
			c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
			s, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Prefix: "/tokens/", Regions: regions})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for _, backend := range []string{"bbolt", "etcd"} {
		t.Run(backend, func(t *testing.T) {
			keys, err := auth.LoadOrCreateKeys(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			test(t, &tokenEnv{st: open[backend](t), keys: keys, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
		})
	}
}

// issueToken creates a service token of system in lombardia for ttl and
// returns its name, or the error.
func issueToken(ctx context.Context, svc *accounts.Service, system string, ttl time.Duration) (string, error) {
	res, err := svc.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: "regions/lombardia", SystemId: system, TtlSeconds: int64(ttl / time.Second)})
	return res.GetServiceToken().GetName(), err
}

// wantLimit fails unless system may create exactly room more tokens now,
// the next one refused with TOO_MANY_TOKENS. The tokens it creates stay.
func wantLimit(t *testing.T, ctx context.Context, svc *accounts.Service, system string, room int) (created []string) {
	t.Helper()
	for i := range room {
		name, err := issueToken(ctx, svc, system, time.Hour)
		if err != nil {
			t.Fatalf("token %d of the %d %s may still create: %v", i+1, room, system, err)
		}
		created = append(created, name)
	}
	if _, err := issueToken(ctx, svc, system, time.Hour); errs.As(err) == nil || errs.As(err).Reason != errs.TooManyTokens {
		t.Fatalf("a token of %s past its %d live ones: %v, want TOO_MANY_TOKENS", system, accounts.MaxLiveServiceTokens, err)
	}
	return created
}

// TestLiveTokensCountedByTheIndex: the limit of live service tokens counts
// a system's tokens neither revoked nor expired, in its region only: a
// revocation or an expiry frees a place, another system's or another
// region's tokens take none.
func TestLiveTokensCountedByTheIndex(t *testing.T) {
	t.Parallel()
	onEachBackend(t, liveTokensCountedByTheIndex)
}

func liveTokensCountedByTheIndex(t *testing.T, f *tokenEnv) {
	ctx := as(t.Context(), "lombardia")
	svc := f.start(t)
	// Two short tokens that will expire, one revoked, and the other
	// system's and the other region's, interleaved in key order.
	var short []string
	for range 2 {
		name, err := issueToken(ctx, svc, "protocollo", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		short = append(short, name)
	}
	if _, err := svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: short[1]}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := issueToken(ctx, svc, "contabilita", time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateServiceToken(as(t.Context(), "veneto"), &famiv1.CreateServiceTokenRequest{Parent: "regions/veneto", SystemId: "protocollo"}); err != nil {
			t.Fatal(err)
		}
	}
	// One live short token (the other revoked): room for the rest, long.
	for range accounts.MaxLiveServiceTokens - 1 {
		if _, err := issueToken(ctx, svc, "protocollo", 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	wantLimit(t, ctx, svc, "protocollo", 0)

	created := wantLimit(t, ctx, svc, "contabilita", accounts.MaxLiveServiceTokens-3)
	if _, err := svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: created[0]}); err != nil {
		t.Fatal(err)
	}
	wantLimit(t, ctx, svc, "contabilita", 1)

	// Two hours on, the short live token has expired.
	f.now = f.now.Add(2 * time.Hour)
	wantLimit(t, ctx, svc, "protocollo", 1)
}

// TestLiveTokensWrittenBeforeTheIndex: the records of a system store
// written before the indexes of live tokens and expiries (here: the
// indexes dropped) are counted against the limit and pruned as before,
// once a start built the indexes.
func TestLiveTokensWrittenBeforeTheIndex(t *testing.T) {
	t.Parallel()
	onEachBackend(t, liveTokensWrittenBeforeTheIndex)
}

func liveTokensWrittenBeforeTheIndex(t *testing.T, f *tokenEnv) {
	ctx := as(t.Context(), "lombardia")
	first := f.start(t)
	var revoked, expiring string
	for i := range accounts.MaxLiveServiceTokens + 1 {
		ttl := 30 * 24 * time.Hour
		if i == 0 {
			ttl = time.Hour
		}
		name, err := issueToken(ctx, first, "protocollo", ttl)
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 0:
			expiring = name
		case 1:
			revoked = name
			if _, err := first.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 20 live tokens of protocollo, one of them for an hour only.
	err := f.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		for _, bucket := range []string{"service_tokens_live", "service_tokens_expiry"} {
			var keys []string
			tx.Scan(bucket, "", "", func(k string, _ []byte, _ error) bool {
				keys = append(keys, k)
				return true
			})
			if len(keys) == 0 {
				t.Errorf("no key in %s to drop", bucket)
			}
			for _, k := range keys {
				if err := tx.Delete(bucket, k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := f.start(t)
	wantLimit(t, ctx, svc, "protocollo", 0)
	// A revocation of a token written before frees a place.
	live, err := svc.ListServiceTokens(ctx, &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia", PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	var longLived string
	for _, st := range live.GetServiceTokens() {
		if n := st.GetName(); n != revoked && n != expiring && longLived == "" {
			longLived = n
		}
	}
	if _, err := svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: longLived}); err != nil {
		t.Fatal(err)
	}
	wantLimit(t, ctx, svc, "protocollo", 1)

	// The record of the hour-long token, written before, is pruned past
	// the retention by a create.
	f.now = f.now.Add(2*time.Hour + accounts.DefaultServiceTokenRetention)
	if _, err := issueToken(ctx, svc, "altro", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: expiring}); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("the record of %s, expired past the retention, written before the index: %v, want NOT_FOUND", expiring, err)
	}
}

// TestLiveTokensRevokedByAnEarlierVersion: a token revoked by a famid of
// an earlier version (a shared etcd cluster in a rolling upgrade: its
// record marked, its live key left) does not count against the limit, nor
// does one whose record that famid pruned.
func TestLiveTokensRevokedByAnEarlierVersion(t *testing.T) {
	t.Parallel()
	onEachBackend(t, liveTokensRevokedByAnEarlierVersion)
}

func liveTokensRevokedByAnEarlierVersion(t *testing.T, f *tokenEnv) {
	ctx := as(t.Context(), "lombardia")
	svc := f.start(t)
	created := wantLimit(t, ctx, svc, "protocollo", accounts.MaxLiveServiceTokens)
	err := f.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		key := "lombardia/" + created[3][len("regions/lombardia/serviceTokens/"):]
		b, err := tx.Get("service_tokens", key)
		if err != nil || b == nil {
			return fmt.Errorf("the record %s: %v, %v", key, b, err)
		}
		st := &famiv1.ServiceToken{}
		if err := proto.Unmarshal(b, st); err != nil {
			return err
		}
		st.RevokeTime = timestamppb.New(f.now)
		if b, err = proto.Marshal(st); err != nil {
			return err
		}
		return tx.Put("service_tokens", key, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantLimit(t, ctx, svc, "protocollo", 1)
	err = f.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		return tx.Delete("service_tokens", "lombardia/"+created[7][len("regions/lombardia/serviceTokens/"):])
	})
	if err != nil {
		t.Fatal(err)
	}
	wantLimit(t, ctx, svc, "protocollo", 1)
}

// plantEarlierToken stores the record of a live token jti of protocollo
// in lombardia as a famid of an earlier version issues it: the record
// alone, without the keys of the token indexes.
func plantEarlierToken(t *testing.T, f *tokenEnv, jti string) string {
	t.Helper()
	name := "regions/lombardia/serviceTokens/" + jti
	b, err := proto.Marshal(&famiv1.ServiceToken{
		Name: name, Subject: "system:protocollo", CreateTime: timestamppb.New(f.now),
		ExpireTime: timestamppb.New(f.now.Add(time.Hour)), IssuedBy: "account:admin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Put("service_tokens", "lombardia/"+jti, b) }); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestTokensOfAnEarlierVersionWhileRunning: the tokens that a famid of an
// earlier version issues while this one runs (a shared etcd cluster in a
// rolling upgrade) have no index keys. They are listed and revoked from
// their records, and the revocation reaches every famid, index or not;
// once this famid follows the system change (IndexNewServiceTokens, as
// famid does on each), they count against the limit and are pruned, as
// its own are, without waiting for a restart.
func TestTokensOfAnEarlierVersionWhileRunning(t *testing.T) {
	t.Parallel()
	onEachBackend(t, tokensOfAnEarlierVersionWhileRunning)
}

func tokensOfAnEarlierVersionWhileRunning(t *testing.T, f *tokenEnv) {
	ctx := as(t.Context(), "lombardia")
	svc, other := f.start(t), f.start(t)
	revoked, live := plantEarlierToken(t, f, "earlier-revoked"), plantEarlierToken(t, f, "earlier-live")

	// In the window, before the change is followed: listed, and revoked
	// on every famid.
	list, err := svc.ListServiceTokens(ctx, &famiv1.ListServiceTokensRequest{Parent: "regions/lombardia"})
	if err != nil {
		t.Fatal(err)
	}
	if got := list.GetServiceTokens(); len(got) != 2 || got[0].GetState() != famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE {
		t.Fatalf("listed %v, want the two tokens of the earlier version, active", got)
	}
	st, err := svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: revoked})
	if err != nil || st.GetState() != famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_REVOKED {
		t.Fatalf("revoke %s: %v, %v", revoked, st.GetState(), err)
	}
	// other follows the revocation's change by the key it names, as famid
	// does, which leaves the token records unindexed for svc to follow.
	revocation := store.SystemChange{Keys: []store.SystemKey{{Bucket: "revoked_jti", Key: "earlier-revoked"}}}
	if err := other.FollowSystem(t.Context(), revocation); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*accounts.Service{svc, other} {
		if !s.Revocations().Revoked("earlier-revoked", "system:protocollo", "lombardia", 0) {
			t.Errorf("%s is not revoked on every famid", revoked)
		}
	}

	// Followed: the live one takes a place of protocollo's, and its
	// revocation frees it.
	if err := svc.IndexNewServiceTokens(t.Context()); err != nil {
		t.Fatal(err)
	}
	created := wantLimit(t, ctx, svc, "protocollo", accounts.MaxLiveServiceTokens-1)
	if _, err := svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: live}); err != nil {
		t.Fatal(err)
	}
	wantLimit(t, ctx, svc, "protocollo", 1)

	// Past the retention, creates prune their records, a few each.
	f.now = f.now.Add(2*time.Hour + accounts.DefaultServiceTokenRetention)
	for range 3 {
		if _, err := issueToken(ctx, svc, "altro", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range append([]string{revoked, live}, created[0]) {
		if _, err := svc.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: name}); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("the record of %s, expired past the retention: %v, want NOT_FOUND", name, err)
		}
	}
}
