package bolt_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

var twoRegions = bolt.Options{Regions: []string{"lombardia", "veneto"}}

// seed writes partners into both regions of a fresh data dir and closes it.
func seed(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := bolt.Open(dir, twoRegions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, region := range twoRegions.Regions {
		for i := range n {
			_, err := s.Update(t.Context(), region, store.Mutation{Principal: "alice"}, func(tx store.WriteTx) (proto.Message, error) {
				p := &famiv1.Partner{Name: "regions/" + region + "/partners/p" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), DisplayName: "MARKER-" + region, Description: strings.Repeat("d", 2000)}
				return p, tx.Put(p)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// wantDamaged checks that lombardia answers DATA_LOSS naming its file and
// the restore command, and that veneto is still served.
func wantDamaged(t *testing.T, s *bolt.Store, dir string) {
	t.Helper()
	err := s.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil })
	e := errs.As(err)
	if e == nil || e.Code != errs.DataLoss || e.Reason != "REGION_FILE_DAMAGED" {
		t.Fatalf("damaged region: got %v, want DATA_LOSS REGION_FILE_DAMAGED", err)
	}
	file := filepath.Join(dir, "regions", "lombardia.db")
	if !strings.Contains(e.Message, file) || !strings.Contains(e.Message, "famictl restore") {
		t.Errorf("message %q does not name the file and the restore command", e.Message)
	}
	if _, ok := s.Damaged()["lombardia"]; !ok {
		t.Errorf("Damaged() does not list lombardia")
	}
	if err := s.View(t.Context(), "veneto", func(tx store.ReadTx) error {
		if tx.Revision() == 0 {
			t.Errorf("veneto lost its data")
		}
		return nil
	}); err != nil {
		t.Errorf("the healthy region is not served: %v", err)
	}
}

// TestDamagedRegionFile: a region file that is empty, truncated, or
// another region's is refused with DATA_LOSS naming the file and how to restore it; the other
// regions are served. An empty file used to start as an empty region
// (revision 0, data silently gone), a truncated one crashed the process
// with SIGBUS.
func TestDamagedRegionFile(t *testing.T) {
	for name, damage := range map[string]func(path string) error{
		"empty":     func(path string) error { return os.Truncate(path, 0) },
		"truncated": func(path string) error { fi, _ := os.Stat(path); return os.Truncate(path, fi.Size()/2) },
		"garbage":   func(path string) error { return os.WriteFile(path, bytes.Repeat([]byte("not bbolt "), 2000), 0o600) },
		// Veneto's file copied as Lombardia's: its data would be served
		// as Lombardia's.
		"another region's": func(path string) error {
			data, err := os.ReadFile(filepath.Join(filepath.Dir(path), "veneto.db"))
			if err != nil {
				return err
			}
			return os.WriteFile(path, data, 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			seed(t, dir, 200)
			if err := damage(filepath.Join(dir, "regions", "lombardia.db")); err != nil {
				t.Fatal(err)
			}
			s, err := bolt.Open(dir, twoRegions)
			if err != nil {
				t.Fatalf("Open: %v, want the store open with the damaged region refused", err)
			}
			defer s.Close()
			wantDamaged(t, s, dir)
		})
	}
}

// TestRecordChecksum: a flipped byte inside a stored record is answered
// DATA_LOSS for that record (on Get, List and Changes), never served.
func TestRecordChecksum(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 1)
	// The marker is in the resource and in its change: both are damaged.
	bolttest.Damage(t, dir, "lombardia", "MARKER-lombardia")
	s, err := bolt.Open(dir, twoRegions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		bolttest.WantRecordCorrupt(t, "Get", tx.Get("regions/lombardia/partners/pa", &famiv1.Partner{}))
		bolttest.WantRecordCorrupt(t, "List", tx.List("partners", "", func(string, []byte) (bool, error) {
			t.Error("List served a damaged record")
			return true, nil
		}))
		bolttest.WantRecordCorrupt(t, "Changes", tx.Changes(0, func(*famiv1.Change) bool {
			t.Error("Changes served a damaged change")
			return true
		}))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUnframedRecordsStillRead: records written before checksums existed
// (bare protobuf) are read as before, so existing data dirs need no
// migration.
func TestUnframedRecordsStillRead(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 0)
	old := &famiv1.Partner{Name: "regions/lombardia/partners/old", DisplayName: "Written by an older famid"}
	raw, err := proto.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(filepath.Join(dir, "regions", "lombardia.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("resources")).Put([]byte("partners/old"), raw) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := bolt.Open(dir, twoRegions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := &famiv1.Partner{}
	if err := s.View(t.Context(), "lombardia", func(tx store.ReadTx) error { return tx.Get(old.GetName(), got) }); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, old) {
		t.Errorf("got %v, want %v", got, old)
	}
}

// TestDiskFullIsRetryable: a write that fails because the disk is full
// (bbolt returns the write's ENOSPC, wrapped) is answered UNAVAILABLE with a
// Retry-After, a code clients retry, instead of an internal error (500).
func TestDiskFullIsRetryable(t *testing.T) {
	for _, cause := range []error{syscall.ENOSPC, syscall.EDQUOT} {
		err := bolt.StorageErr(fmt.Errorf("write at offset 4096: %w", &os.PathError{Op: "write", Path: "lombardia.db", Err: cause}))
		e := errs.As(err)
		if e == nil || e.Code != errs.Unavailable || e.Reason != "STORAGE_FULL" || e.RetryAfter <= 0 {
			t.Errorf("%v: got %v, want UNAVAILABLE STORAGE_FULL with a Retry-After", cause, err)
		}
	}
}
