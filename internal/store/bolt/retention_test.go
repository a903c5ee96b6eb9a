package bolt_test

import (
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// TestRequestRetention: a request_id is remembered for the retention, then
// forgotten by later writes, after which the same id runs again.
func TestRequestRetention(t *testing.T) {
	storetest.Retention(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := bolt.Open(t.TempDir(), bolt.Options{Regions: []string{"lombardia"}, Now: now, RequestRetention: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSystemConformance(t *testing.T) {
	storetest.RunSystem(t, func(t *testing.T) store.System {
		s := mustOpen(t, t.TempDir(), fixedClock)
		t.Cleanup(func() { mustClose(t, s) })
		return s
	})
}
