package accounts_test

import (
	"encoding/binary"
	"testing"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/etcd"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestGlobalUsernamesMoveToTheirRegion: a system store written when
// usernames were global (accounts keyed by username alone) is moved on
// start: the account is found under its region, its owner logs in as
// username@region with the same password, and the tokens issued before
// are as valid or void as they were.
// Both system stores are moved alike.
func TestGlobalUsernamesMoveToTheirRegion(t *testing.T) {
	t.Parallel()
	t.Run("bolt", func(t *testing.T) {
		st, err := bolt.Open(t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		testGlobalUsernamesMove(t, st)
	})
	t.Run("etcd", func(t *testing.T) {
		c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
		st, err := etcd.Open(t.Context(), etcd.Options{Client: c.Client(t), Regions: []string{"lombardia"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		testGlobalUsernamesMove(t, st)
	})
}

// stores is what accounts.New needs of a store.
type stores interface {
	store.System
	store.Store
}

// oldAccount is the consultant mrossi of Lombardia as an older famid
// stored it: the account record, called displayName, and its password's
// hash, the values the tests write under the keys of their time.
func oldAccount(t *testing.T, displayName string) (acc, hash []byte) {
	t.Helper()
	h, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	acc, err = proto.Marshal(&famiv1.Account{Name: "regions/lombardia/accounts/mrossi", DisplayName: displayName, Role: famiv1.Role_ROLE_CONSULTANT})
	if err != nil {
		t.Fatal(err)
	}
	return acc, []byte(h)
}

func testGlobalUsernamesMove(t *testing.T, st stores) {
	keys, err := auth.LoadOrCreateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	acc, hash := oldAccount(t, "Mario Rossi")
	err = st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		if err := tx.Put("accounts", "mrossi", acc); err != nil {
			return err
		}
		// An account deleted before the move: its tokens (generation 0)
		// were void and must stay so.
		if err := tx.Put("subject_generation", "account:gone", binary.BigEndian.AppendUint64(nil, 1)); err != nil {
			return err
		}
		return tx.Put("passwords", "mrossi", hash)
	})
	if err != nil {
		t.Fatal(err)
	}

	// Twice: the second start finds nothing left to move.
	for range 2 {
		s, err := openService(t.Context(), st, st, keys, accounts.Options{})
		if err != nil {
			t.Fatalf("start on a store with global usernames: %v", err)
		}
		got, err := s.GetAccount(t.Context(), &famiv1.GetAccountRequest{Name: "regions/lombardia/accounts/mrossi"})
		if err != nil || got.GetDisplayName() != "Mario Rossi" {
			t.Fatalf("get the moved account: got %v, %v; want Mario Rossi", got, err)
		}
		if err := login(s, "198.51.100.20", "mrossi@lombardia", password); err != nil {
			t.Errorf("login as mrossi@lombardia after the move: %v, want a token", err)
		}
		if err := login(s, "198.51.100.20", "mrossi", password); errs.CodeOf(err) != errs.Unauthenticated {
			t.Errorf("login by the bare username after the move: got %v, want UNAUTHENTICATED", err)
		}
		if s.Revocations().Revoked("jti", "account:mrossi", "lombardia", 0) {
			t.Error("a token of mrossi issued before the move is void, want it valid")
		}
		if !s.Revocations().Revoked("jti", "account:gone", "lombardia", 0) {
			t.Error("a token of an account deleted before the move passes, want it void")
		}
	}
	err = st.SystemView(t.Context(), func(tx store.SystemTx) error {
		for _, bucket := range []string{"accounts", "passwords"} {
			if v, err := tx.Get(bucket, "mrossi"); err != nil || v != nil {
				t.Errorf("%s record under the global username: got %q, %v, want none", bucket, v, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSystemFileBeforeChecksums: a data dir whose system.db was written
// before system records were checksummed (bare values, as famid wrote
// them) starts with no manual step: its account logs in with its password
// and is read as it was, and its records are checksummed from then on (a
// damaged one is refused, where before it was served).
func TestSystemFileBeforeChecksums(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	acc, hash := oldAccount(t, "MARKER-old")
	db, err := bbolt.Open(bolt.SystemFile(dir), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for bucket, v := range map[string][]byte{"accounts": acc, "passwords": hash} {
			b, err := tx.CreateBucket([]byte(bucket))
			if err != nil {
				return err
			}
			if err := b.Put([]byte("lombardia/mrossi"), v); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}

	s, err := startOn(t, dir, accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := login(s, "198.51.100.30", "mrossi@lombardia", password); err != nil {
		t.Errorf("login to an account written before checksums: %v", err)
	}
	ctx := principal.With(t.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	got, err := s.GetAccount(ctx, &famiv1.GetAccountRequest{Name: "regions/lombardia/accounts/mrossi"})
	if err != nil || got.GetDisplayName() != "MARKER-old" {
		t.Errorf("GetAccount of an account written before checksums: %v, %v", got, err)
	}
	bolttest.DamageSystem(t, dir, "MARKER-old")
	_, err = s.GetAccount(ctx, &famiv1.GetAccountRequest{Name: "regions/lombardia/accounts/mrossi"})
	bolttest.WantRecordCorrupt(t, "GetAccount of a damaged account written before checksums", err)
}
