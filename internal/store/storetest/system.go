package storetest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
)

// SystemStore is a store.System with the Close of the store that owns it:
// the suite closes it to check what a closed store answers.
type SystemStore interface {
	store.System
	Close() error
}

// RunSystem is the conformance suite of store.System: open must return a
// new, empty system store and arrange for it to be closed (Close may be
// called again).
func RunSystem(t *testing.T, open func(t *testing.T) SystemStore) {
	subtests[store.System]{
		{"GetPutDelete", systemGetPutDelete},
		{"FailedUpdate", systemFailedUpdate},
		{"Scan", systemScan},
		{"ScanSeesOwnWrites", systemScanSeesOwnWrites},
		{"RawValues", systemRawValues},
		{"ChangesNamed", systemChangesNamed},
	}.run(t, func(t *testing.T) store.System { return open(t) })
	t.Run("Closed", func(t *testing.T) { systemClosed(t, open(t)) })
}

// systemClosed is testClosed for the system records (accounts, service
// tokens, revocations): an update in flight while the store closes is
// either committed or answered SHUTTING_DOWN, and a read or an update
// arriving after Close is answered SHUTTING_DOWN without running fn, as
// the regions are, whatever the backend's connection still does. A shared
// store's following of the system changes (store.SharedSystem) ends at
// Close with SHUTTING_DOWN too, and one started after it answers so at
// once; it went on after Close until its caller's context ended.
func systemClosed(t *testing.T, s SystemStore) {
	following := followUntilClosed(t, s)
	writesRaceClose(t, s.Close, "a system update in flight while the store closes", func(w, i int) error {
		return s.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
			return tx.Put("accounts", fmt.Sprintf("w%d-%d", w, i), []byte("x"))
		})
	})

	ran := false
	err := s.SystemView(t.Context(), func(store.SystemTx) error { ran = true; return nil })
	wantShuttingDown(t, "SystemView after Close", err)
	err = s.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		ran = true
		return tx.Put("accounts", "after", []byte("x"))
	})
	wantShuttingDown(t, "SystemUpdate after Close", err)
	following()
	if shared, ok := s.(store.SharedSystem); ok {
		err = shared.SystemChanged(t.Context(), func(store.SystemChange) { ran = true })
		wantShuttingDown(t, "SystemChanged after Close", err)
	}
	if ran {
		t.Error("fn ran on a closed system store")
	}
}

// followUntilClosed starts following s's system changes when s is a
// shared store, and writes until the following reports a write: it is
// under way. The function it returns fails the test unless the following
// ends, SHUTTING_DOWN, within ten seconds of the store's Close.
func followUntilClosed(t *testing.T, s SystemStore) func() {
	shared, ok := s.(store.SharedSystem)
	if !ok {
		return func() {}
	}
	changed := make(chan struct{}, 1)
	ended := make(chan error, 1)
	go func() {
		ended <- shared.SystemChanged(t.Context(), func(store.SystemChange) {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	}()
	deadline := time.After(10 * time.Second)
	for following := false; !following; {
		sysUpdate(t, s, func(tx store.SystemTx) error { return tx.Put("accounts", "following", []byte("x")) })
		select {
		case <-changed:
			following = true
		case err := <-ended:
			t.Fatalf("SystemChanged ended before Close: %v", err)
		case <-deadline:
			t.Fatal("SystemChanged reported none of ten seconds' writes")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return func() {
		select {
		case err := <-ended:
			wantShuttingDown(t, "SystemChanged while the store closes", err)
		case <-time.After(10 * time.Second):
			t.Error("SystemChanged still following ten seconds after Close")
		}
	}
}

// systemChangesNamed: a shared store (store.SharedSystem) reports first
// a Whole change, then each update's change as the keys it wrote and
// deleted, bucket and key, and no others: a follower reads those alone.
// A store of one process is not shared, and reports nothing.
func systemChangesNamed(t *testing.T, s store.System) {
	shared, ok := s.(store.SharedSystem)
	if !ok {
		return
	}
	notices := FollowChanges(t, shared)
	if first := NextChange(t, notices, AnyChange, "the first change"); !first.Whole || len(first.Keys) != 0 {
		t.Fatalf("first change: %+v, want Whole and no keys", first)
	}
	sysUpdate(t, s, func(tx store.SystemTx) error {
		return errors.Join(tx.Put("accounts", "alice", []byte("a")), tx.Put("tokens", "lombardia/t1", []byte("t")))
	})
	wantChangedKeys(t, notices, store.SystemKey{Bucket: "accounts", Key: "alice"}, store.SystemKey{Bucket: "tokens", Key: "lombardia/t1"})
	sysUpdate(t, s, func(tx store.SystemTx) error { return tx.Delete("accounts", "alice") })
	wantChangedKeys(t, notices, store.SystemKey{Bucket: "accounts", Key: "alice"})
}

// FollowChanges follows shared's system changes until the test ends, and
// hands them on, in the order reported, through the channel it returns.
func FollowChanges(t testing.TB, shared store.SharedSystem) <-chan store.SystemChange {
	ctx, cancel := context.WithCancel(t.Context())
	changes := make(chan store.SystemChange, 64)
	ended := make(chan struct{})
	t.Cleanup(func() { cancel(); <-ended })
	go func() {
		defer close(ended)
		_ = shared.SystemChanged(ctx, func(c store.SystemChange) {
			select {
			case changes <- c:
			case <-ctx.Done():
			}
		})
	}()
	return changes
}

// NextChange is the next change of changes (FollowChanges) that want
// accepts, passing over the others; it fails the test, saying what,
// unless one comes within ten seconds.
func NextChange(t testing.TB, changes <-chan store.SystemChange, want func(store.SystemChange) bool, what string) store.SystemChange {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case c := <-changes:
			if want(c) {
				return c
			}
		case <-deadline:
			t.Fatalf("%s: not reported within ten seconds", what)
		}
	}
}

// AnyChange is NextChange's want that accepts every change.
func AnyChange(store.SystemChange) bool { return true }

// WholeChange is NextChange's want of a Whole change.
func WholeChange(c store.SystemChange) bool { return c.Whole }

// Naming is NextChange's want of a change that names key of bucket.
func Naming(bucket, key string) func(store.SystemChange) bool {
	return func(c store.SystemChange) bool { return slices.Contains(c.KeysOf(bucket), key) }
}

// wantChangedKeys fails unless the next changes notices reports name
// want, in any order and in one notice or several, and nothing else.
func wantChangedKeys(t *testing.T, notices <-chan store.SystemChange, want ...store.SystemKey) {
	t.Helper()
	var got []store.SystemKey
	for len(got) < len(want) {
		c := NextChange(t, notices, AnyChange, "a change")
		if c.Whole {
			t.Fatalf("a Whole change, want the keys %v", want)
		}
		got = append(got, c.Keys...)
	}
	order := func(a, b store.SystemKey) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Key, b.Key))
	}
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if !slices.Equal(got, want) {
		t.Errorf("changed keys: %v, want %v", got, want)
	}
}

func systemGetPutDelete(t *testing.T, s store.System) {
	sysUpdate(t, s, func(tx store.SystemTx) error {
		if v := sysGet(t, tx, "accounts", "alice"); v != nil {
			t.Errorf("Get of a missing key: got %q, want nil", v)
		}
		if err := tx.Put("accounts", "alice", []byte("a1")); err != nil {
			return err
		}
		if v := sysGet(t, tx, "accounts", "alice"); string(v) != "a1" {
			t.Errorf("Get after Put in the same transaction: got %q, want a1", v)
		}
		return tx.Delete("nowhere", "nobody")
	})
	sysView(t, s, func(tx store.SystemTx) {
		if v := sysGet(t, tx, "accounts", "alice"); string(v) != "a1" {
			t.Errorf("Get after the commit: got %q, want a1", v)
		}
		if v := sysGet(t, tx, "passwords", "alice"); v != nil {
			t.Errorf("Get in another bucket: got %q, want nil", v)
		}
	})
	sysUpdate(t, s, func(tx store.SystemTx) error { return tx.Delete("accounts", "alice") })
	sysView(t, s, func(tx store.SystemTx) {
		if v := sysGet(t, tx, "accounts", "alice"); v != nil {
			t.Errorf("Get after Delete: got %q, want nil", v)
		}
	})
}

func systemFailedUpdate(t *testing.T, s store.System) {
	errFail := errors.New("refused")
	err := s.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		if err := tx.Put("accounts", "bob", []byte("b")); err != nil {
			return err
		}
		return errFail
	})
	if !errors.Is(err, errFail) {
		t.Errorf("SystemUpdate: got %v, want fn's error", err)
	}
	sysView(t, s, func(tx store.SystemTx) {
		if v := sysGet(t, tx, "accounts", "bob"); v != nil {
			t.Errorf("a failed update wrote %q", v)
		}
	})
}

func systemScan(t *testing.T, s store.System) {
	sysUpdate(t, s, func(tx store.SystemTx) error {
		for _, k := range []string{"lombardia/b", "lombardia/a", "lombardia/c", "lombardiax", "veneto/a", "l"} {
			if err := tx.Put("tokens", k, []byte("v-"+k)); err != nil {
				return err
			}
		}
		return tx.Put("tokensx", "lombardia/z", []byte("other bucket"))
	})
	for _, c := range []struct {
		prefix, after string
		want          []string
	}{
		{"", "", []string{"l", "lombardia/a", "lombardia/b", "lombardia/c", "lombardiax", "veneto/a"}},
		{"lombardia/", "", []string{"lombardia/a", "lombardia/b", "lombardia/c"}},
		{"lombardia/", "lombardia/a", []string{"lombardia/b", "lombardia/c"}},
		{"lombardia/", "lombardia/c", []string{}},
		{"lombardia/", "a", []string{"lombardia/a", "lombardia/b", "lombardia/c"}},
		{"veneto/", "", []string{"veneto/a"}},
		{"sicilia/", "", []string{}},
	} {
		sysView(t, s, func(tx store.SystemTx) {
			got := []string{}
			tx.Scan("tokens", c.prefix, c.after, func(k string, v []byte, err error) bool {
				if err != nil || string(v) != "v-"+k {
					t.Errorf("Scan value of %s: got %q, %v", k, v, err)
				}
				got = append(got, k)
				return true
			})
			if !slices.Equal(got, c.want) {
				t.Errorf("Scan(prefix %q, after %q): got %q, want %q", c.prefix, c.after, got, c.want)
			}
		})
	}
	sysView(t, s, func(tx store.SystemTx) {
		n := 0
		tx.Scan("tokens", "", "", func(string, []byte, error) bool { n++; return n < 2 })
		if n != 2 {
			t.Errorf("Scan went on after fn returned false: %d calls, want 2", n)
		}
	})
}

func systemScanSeesOwnWrites(t *testing.T, s store.System) {
	sysUpdate(t, s, func(tx store.SystemTx) error {
		for _, k := range []string{"a", "b", "c"} {
			if err := tx.Put("jti", k, []byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	sysUpdate(t, s, func(tx store.SystemTx) error {
		if err := tx.Delete("jti", "b"); err != nil {
			return err
		}
		if err := tx.Put("jti", "bb", []byte("bb")); err != nil {
			return err
		}
		got := []string{}
		tx.Scan("jti", "", "", func(k string, _ []byte, err error) bool {
			if err != nil {
				t.Errorf("Scan of %s: %v", k, err)
			}
			got = append(got, k)
			return true
		})
		if want := []string{"a", "bb", "c"}; !slices.Equal(got, want) {
			t.Errorf("Scan inside the update: got %q, want %q", got, want)
		}
		return nil
	})
}

// systemRawValues: values are bytes, not only protobuf: password hashes,
// big-endian counters, anything a caller stores, a first byte 0xFF (a
// frame's mark on bbolt) and the empty value included. Each reads back
// exactly, by Get and by Scan, in the writing transaction and after it.
func systemRawValues(t *testing.T, s store.System) {
	values := map[string][]byte{
		"counter":  binary.BigEndian.AppendUint64(nil, math.MaxUint64),
		"ff":       {0xFF},
		"ff-frame": {0xFF, 0, 0, 0, 0, 'x'},
		"empty":    {},
		"hash":     []byte("$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"),
	}
	sysUpdate(t, s, func(tx store.SystemTx) error {
		for k, v := range values {
			if err := tx.Put("raw", k, v); err != nil {
				return err
			}
		}
		WantSystemValues(t, "in the writing transaction", tx, "raw", values)
		return nil
	})
	sysView(t, s, func(tx store.SystemTx) { WantSystemValues(t, "after the commit", tx, "raw", values) })
}

// WantSystemValues checks that bucket holds exactly want, read through tx
// by Get and by Scan: each value byte for byte (an empty one read as empty,
// not as absent), and no other. when names the moment in a failure.
func WantSystemValues(t *testing.T, when string, tx store.SystemTx, bucket string, want map[string][]byte) {
	t.Helper()
	for k, w := range want {
		if got := sysGet(t, tx, bucket, k); !bytes.Equal(got, w) || got == nil {
			t.Errorf("%s: Get of %s/%s: got %x, want %x", when, bucket, k, got, w)
		}
	}
	n := 0
	tx.Scan(bucket, "", "", func(k string, got []byte, err error) bool {
		n++
		if err != nil || !bytes.Equal(got, want[k]) {
			t.Errorf("%s: Scan value of %s/%s: got %x, %v, want %x", when, bucket, k, got, err, want[k])
		}
		return true
	})
	if n != len(want) {
		t.Errorf("%s: Scan of %s gave %d values, want %d", when, bucket, n, len(want))
	}
}

// sysGet returns tx.Get's value and fails the test on its error.
func sysGet(t *testing.T, tx store.SystemTx, bucket, key string) []byte {
	t.Helper()
	v, err := tx.Get(bucket, key)
	if err != nil {
		t.Errorf("Get(%s, %s): %v", bucket, key, err)
	}
	return v
}

func sysUpdate(t *testing.T, s store.System, fn func(store.SystemTx) error) {
	t.Helper()
	if err := s.SystemUpdate(t.Context(), fn); err != nil {
		t.Fatalf("SystemUpdate: %v", err)
	}
}

func sysView(t *testing.T, s store.System, fn func(store.SystemTx)) {
	t.Helper()
	err := s.SystemView(t.Context(), func(tx store.SystemTx) error { fn(tx); return nil })
	if err != nil {
		t.Fatalf("SystemView: %v", err)
	}
}

// Retention checks that a request_id is remembered for the retention,
// then forgotten by later writes, after which the same id runs again.
// open must return a new store with region "lombardia", the clock now and
// a request retention of one hour.
func Retention(t *testing.T, open func(t *testing.T, now func() time.Time) store.Store) {
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	s := open(t, now)
	runs := 0
	create := func(id, requestID string) {
		t.Helper()
		m := store.Mutation{Principal: "alice", RequestID: requestID, Fingerprint: []byte(id)}
		_, err := s.Update(t.Context(), "lombardia", m, func(tx store.WriteTx) (proto.Message, error) {
			if requestID != "" {
				runs++
			}
			p := &famiv1.Partner{Name: "regions/lombardia/partners/" + id, DisplayName: id}
			return p, tx.Put(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	create("p1", "req-1")
	advance(30 * time.Minute)
	create("p1", "req-1") // a retry within the retention replays
	if runs != 1 {
		t.Fatalf("a retry within the retention ran the mutation again (%d runs)", runs)
	}
	advance(31 * time.Minute)
	create("other", "") // any later write prunes what has expired
	create("p1", "req-1")
	if runs != 2 {
		t.Fatalf("after the retention the request_id was still remembered (%d runs, want 2)", runs)
	}
}
