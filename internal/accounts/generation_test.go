package accounts_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
)

// started is an accounts service over a store, its clock and the
// verifier of its tokens.
type started struct {
	t        *testing.T
	svc      *accounts.Service
	verifier *auth.Verifier
}

// startVerifying starts a service on e's store (start), with the
// verifier of its tokens.
func (e *tokenEnv) startVerifying(t *testing.T) *started {
	t.Helper()
	svc := e.start(t)
	return &started{t, svc, auth.NewVerifier(e.keys, svc.Revocations(), func() time.Time { return e.now })}
}

// createAccount creates the region admin id of lombardia, with password.
func (s *started) createAccount(id string) {
	s.t.Helper()
	_, err := s.svc.CreateAccount(as(s.t.Context(), "lombardia"), &famiv1.CreateAccountRequest{Parent: "regions/lombardia", AccountId: id, Account: account(famiv1.Role_ROLE_REGION_ADMIN, ""), Password: password})
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *started) login(pw string) string {
	s.t.Helper()
	res, err := s.svc.Login(principal.WithClientAddr(s.t.Context(), "192.0.2.1"), &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: pw})
	if err != nil {
		s.t.Fatal(err)
	}
	return res.GetToken()
}

func (s *started) setPassword(pw string) {
	s.t.Helper()
	_, err := s.svc.SetAccountPassword(as(s.t.Context(), "lombardia"), &famiv1.SetAccountPasswordRequest{Name: "regions/lombardia/accounts/mrossi", Password: pw})
	if err != nil {
		s.t.Fatal(err)
	}
}

// want checks which of tokens verify.
func (s *started) want(when string, accepted bool, tokens map[string]string) {
	s.t.Helper()
	for name, token := range tokens {
		if _, err := s.verifier.Verify(token); (err == nil) != accepted {
			s.t.Errorf("%s: %s verifies %v, want %v", when, name, err == nil, accepted)
		}
	}
}

const credential = "account:mrossi@lombardia"

// putEarlierAccount writes mrossi@lombardia's account and password as a
// famid of an earlier version did, with no generation record of its own,
// and, in the same transaction, what also writes.
func (e *tokenEnv) putEarlierAccount(t *testing.T, also func(store.SystemTx) error) {
	t.Helper()
	hash, err := auth.TestPasswordCost.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := proto.Marshal(&famiv1.Account{Name: "regions/lombardia/accounts/mrossi", DisplayName: "Maria Rossi", Role: famiv1.Role_ROLE_REGION_ADMIN})
	if err != nil {
		t.Fatal(err)
	}
	err = e.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		if err := tx.Put("accounts", "lombardia/mrossi", acc); err != nil {
			return err
		}
		if err := tx.Put("passwords", "lombardia/mrossi", []byte(hash)); err != nil {
			return err
		}
		return also(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func deleteGeneration(t *testing.T, sys store.System, key string) {
	t.Helper()
	err := sys.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Delete("subject_generation", key) })
	if err != nil {
		t.Fatal(err)
	}
}

// TestADeletedGenerationRevivesNoToken: on bbolt and on etcd, a credential
// generation record deleted (a damaged one, deleted rather than restored)
// revives none of the tokens it had revoked at the next start, and
// accepts none it had let through either: the account had its record
// from its creation, so every token issued to it names a generation, and
// a record missing for it is a loss. The account still logs in, and a
// new password then ends every token before it. The start read no
// generation there and took it for 0: every token of the account, those
// revoked by its password changes included, was valid again.
func TestADeletedGenerationRevivesNoToken(t *testing.T) {
	t.Parallel()
	onEachBackend(t, func(t *testing.T, e *tokenEnv) {
		a := e.startVerifying(t)
		a.createAccount("mrossi")
		first := a.login(password)
		a.setPassword("a second long password")
		second := a.login("a second long password")
		a.want("before the deletion", false, map[string]string{"the session of the first password": first})
		a.want("before the deletion", true, map[string]string{"the session of the second password": second})

		deleteGeneration(t, e.st, credential)
		e.now = e.now.Add(time.Minute)
		b := e.startVerifying(t)
		before := map[string]string{"the revoked session of the first password": first, "the session of the second password": second}
		b.want("restarted after the deletion", false, before)

		third := b.login("a second long password")
		b.want("restarted after the deletion", true, map[string]string{"a session opened after it": third})
		b.setPassword("a third long password")
		before["the session opened after the deletion"] = third
		b.want("after a new password", false, before)
		b.want("after a new password", true, map[string]string{"its session": b.login("a third long password")})
	})
}

// TestADeletedAccountsLostRecordRevivesNoToken: on bbolt and on etcd,
// the tokens of a deleted account stay refused after its generation
// record is lost too (a damaged one deleted), at every start after: the
// account had a first generation above 0 from its creation, and a token
// naming one where its credential has no record is refused. It was
// created with generation 0, and a token of generation 0 with no record
// is accepted (a token signed with none for a subject that has no
// account): the deleted account's sessions, and its calendar feed
// addresses for up to two years, were valid again.
func TestADeletedAccountsLostRecordRevivesNoToken(t *testing.T) {
	t.Parallel()
	onEachBackend(t, func(t *testing.T, e *tokenEnv) {
		a := e.startVerifying(t)
		a.createAccount("mrossi")
		session := map[string]string{"the session of the deleted account": a.login(password)}
		if _, err := a.svc.DeleteAccount(as(t.Context(), "lombardia"), &famiv1.DeleteAccountRequest{Name: "regions/lombardia/accounts/mrossi"}); err != nil {
			t.Fatal(err)
		}
		a.want("after the deletion", false, session)
		deleteGeneration(t, e.st, credential)
		for _, when := range []string{"at the start after the record's loss", "at the start after that"} {
			e.now = e.now.Add(time.Minute)
			e.startVerifying(t).want(when, false, session)
		}
	})
}

// TestALostMarkRevivesNoToken: on bbolt and on etcd, the upgrade's mark
// lost (accounts_migrations/generations, a damaged one deleted) with an
// account's generation record does not make the next start take itself
// for the upgrade and give the account generation 0: another account's
// generation, a time, tells the upgrade done, and the session its new
// password revoked stays refused; the mark is written again. The start
// wrote 0, below every generation the lost record held, and the revoked
// session was valid again.
func TestALostMarkRevivesNoToken(t *testing.T) {
	t.Parallel()
	onEachBackend(t, func(t *testing.T, e *tokenEnv) {
		a := e.startVerifying(t)
		a.createAccount("lbianchi")
		a.createAccount("mrossi")
		revoked := map[string]string{"the session of the first password": a.login(password)}
		a.setPassword("a second long password")
		a.want("after a new password", false, revoked)
		deleteGeneration(t, e.st, credential)
		err := e.st.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Delete("accounts_migrations", "generations") })
		if err != nil {
			t.Fatal(err)
		}
		for _, when := range []string{"at the start after the losses", "at the start after that"} {
			e.now = e.now.Add(time.Minute)
			e.startVerifying(t).want(when, false, revoked)
		}
		err = e.st.SystemView(t.Context(), func(tx store.SystemTx) error {
			if v, err := tx.Get("accounts_migrations", "generations"); v == nil || err != nil {
				t.Errorf("the mark after the start: %v, %v; want it written again", v, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestStartGivesAnAccountItsGeneration, on bbolt and on etcd: an
// account that a famid of an earlier version made has no generation
// record (it got one only when its password changed). The upgrade's
// start gives it generation 0, which keeps its sessions; a record lost
// after that (a password changed, the damaged record deleted) makes the
// next start give it a first generation above every other, which ends
// every session before: the one the new password had revoked (generation
// 0) was valid again at that start, read as having no record.
func TestStartGivesAnAccountItsGeneration(t *testing.T) {
	t.Parallel()
	onEachBackend(t, func(t *testing.T, e *tokenEnv) {
		// As an earlier famid wrote them, with no generation.
		e.putEarlierAccount(t, func(store.SystemTx) error { return nil })
		old, _, err := e.keys.Sign(auth.TokenSpec{Subject: "account:mrossi", Role: principal.RegionAdmin, Region: "lombardia", TTL: time.Hour}, e.now)
		if err != nil {
			t.Fatal(err)
		}

		upgraded := e.startVerifying(t)
		upgraded.want("after the upgrade", true, map[string]string{"a session an earlier famid opened": old})
		upgraded.setPassword("a second long password")
		tokens := map[string]string{"the session revoked by the new password": old, "the session of the new password": upgraded.login("a second long password")}
		upgraded.want("after a new password", false, map[string]string{"the session revoked by it": old})
		deleteGeneration(t, e.st, credential)

		e.now = e.now.Add(time.Minute)
		s := e.startVerifying(t)
		s.want("started after the deletion", false, tokens)
		s.want("started after the deletion", true, map[string]string{"a session opened after it": s.login("a second long password")})
	})
}

// TestALegacyGenerationIsNoRecord, on bbolt and on etcd: an account from
// before usernames were per region (ADR 14) has its generation under the
// subject alone, the legacy key, which counts still but is never written
// again. Its own record lost (its password changed since, the damaged
// record deleted) is a loss as for any account: the next start gives it a
// first generation above every other, and the legacy record, far below,
// revives none of the tokens the lost one had revoked. The legacy record
// was taken for the account's own: the start gave it none, and the
// session that the third password had revoked was valid again for good.
// The upgrade's start keeps the sessions under the legacy generation.
func TestALegacyGenerationIsNoRecord(t *testing.T) {
	t.Parallel()
	onEachBackend(t, func(t *testing.T, e *tokenEnv) {
		// As a famid of before ADR 14 left them: generation 1 under the
		// subject alone.
		e.putEarlierAccount(t, func(tx store.SystemTx) error {
			return tx.Put("subject_generation", "account:mrossi", []byte{0, 0, 0, 0, 0, 0, 0, 1})
		})
		old, _, err := e.keys.Sign(auth.TokenSpec{Subject: "account:mrossi", Role: principal.RegionAdmin, Region: "lombardia", TTL: time.Hour, Generation: 1}, e.now)
		if err != nil {
			t.Fatal(err)
		}

		upgraded := e.startVerifying(t)
		upgraded.want("after the upgrade", true, map[string]string{"a session of the legacy generation": old})
		upgraded.setPassword("a second long password")
		second := upgraded.login("a second long password")
		upgraded.setPassword("a third long password")
		upgraded.want("after two new passwords", false, map[string]string{"the session of the second password": second})
		deleteGeneration(t, e.st, credential)

		e.now = e.now.Add(time.Minute)
		s := e.startVerifying(t)
		s.want("started after the deletion", false, map[string]string{"the legacy session": old, "the session of the second password": second})
		s.want("started after the deletion", true, map[string]string{"a session opened after it": s.login("a third long password")})
	})
}

// TestStartGivesEveryAccountItsGenerationPastOneRecordedMeanwhile: an
// account given its record by another famid between the start's reading
// of the accounts and its write keeps it, and the accounts after it in
// the same batch still get theirs. The batch's transaction ended at the
// first such account: the accounts after it were left with no record,
// their sessions refused, until a later start ended them all.
func TestStartGivesEveryAccountItsGenerationPastOneRecordedMeanwhile(t *testing.T) {
	t.Parallel()
	onEachBackend(t, func(t *testing.T, e *tokenEnv) {
		// Two earlier accounts, abianchi's first in key order.
		e.putEarlierAccount(t, func(tx store.SystemTx) error {
			return tx.Put("accounts", "lombardia/abianchi", []byte{})
		})
		e.st = &recordedMeanwhile{systemStore: e.st, credential: "account:abianchi@lombardia"}
		e.start(t)
		err := e.st.SystemView(t.Context(), func(tx store.SystemTx) error {
			for _, key := range []string{"account:abianchi@lombardia", credential} {
				if v, err := tx.Get("subject_generation", key); err != nil || v == nil {
					t.Errorf("after the start, the generation record of %s: %v, %v; want one", key, v, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// recordedMeanwhile is a store on which another famid gives credential
// its generation record (0) just before a system update first reads it.
type recordedMeanwhile struct {
	systemStore
	credential string
	done       bool
}

func (s *recordedMeanwhile) SystemUpdate(ctx context.Context, fn func(store.SystemTx) error) error {
	return s.systemStore.SystemUpdate(ctx, func(tx store.SystemTx) error { return fn(recordingTx{tx, s}) })
}

type recordingTx struct {
	store.SystemTx
	s *recordedMeanwhile
}

func (tx recordingTx) Get(bucket, key string) ([]byte, error) {
	if bucket == "subject_generation" && key == tx.s.credential && !tx.s.done {
		tx.s.done = true
		if err := tx.SystemTx.Put(bucket, key, make([]byte, 8)); err != nil {
			return nil, err
		}
	}
	return tx.SystemTx.Get(bucket, key)
}
