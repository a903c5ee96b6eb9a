// Package bolttest opens real bbolt stores for the tests of the packages
// above the store.
package bolttest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// CopyRegion copies region's file of the closed data dir dir to a new file,
// as a backup taken with famid stopped (and as famictl backup writes it);
// it returns the copy's path and size.
func CopyRegion(t testing.TB, dir, region string) (string, int64) {
	t.Helper()
	data, err := os.ReadFile(bolt.RegionFile(dir, region))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), region+".db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, int64(len(data))
}

// Open opens a store in data dir dir with opts, and closes it when the
// test ends; it stops the test if the store does not open.
func Open(t testing.TB, dir string, opts bolt.Options) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(dir, opts)
	if err != nil {
		t.Fatalf("open the store in %s: %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Put stores r in region of s as it is, with none of the services'
// checks, as a famid of an earlier version (or an import) would have left
// it: the tests of records stored under older rules plant them with it.
func Put(t testing.TB, s *bolt.Store, region string, r store.Resource) {
	t.Helper()
	_, err := s.Update(t.Context(), region, store.Mutation{Principal: "test:stored-directly"}, func(tx store.WriteTx) (proto.Message, error) {
		return r, tx.Put(r)
	})
	if err != nil {
		t.Fatalf("store %s: %v", r.GetName(), err)
	}
}

// Check runs bbolt's consistency check on the file at path, opened
// read-only, and stops the test on any problem.
func Check(t testing.TB, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s read-only: %v", path, err)
	}
	defer db.Close()
	var problems []error
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("check %s: %v", path, err)
	}
	if len(problems) > 0 {
		t.Fatalf("bbolt check of %s: got %d problems %v, want none", path, len(problems), problems)
	}
}

// Damage flips one bit (the lowest of its last byte) of every copy of
// marker in the file of region in data dir dir, as a failing disk would,
// so that the records holding marker fail their checksum. marker must be
// a text of the records' values (a display name), never of a key, which
// would break bbolt's own structure rather than a record. The bytes are
// written in place, so the store may be open: bbolt reads through a
// shared memory map, which sees the write at once. It stops the test when
// marker is not in the file.
func Damage(t testing.TB, dir, region, marker string) {
	t.Helper()
	damageFile(t, bolt.RegionFile(dir, region), marker)
}

// DamageSystem is Damage on the system file of data dir dir (accounts,
// service tokens).
func DamageSystem(t testing.TB, dir, marker string) {
	t.Helper()
	damageFile(t, bolt.SystemFile(dir), marker)
}

// DamageSystemValue flips one bit (the lowest of its first byte: the
// frame's mark) of the stored value of key in bucket of the system file of
// data dir dir, for values with no text to find (counters, hashes). The
// store must be closed: the file is changed through bbolt.
func DamageSystemValue(t testing.TB, dir, bucket, key string) {
	t.Helper()
	db, err := bbolt.Open(bolt.SystemFile(dir), 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil || len(b.Get([]byte(key))) == 0 {
			return fmt.Errorf("no value of %s/%s to damage", bucket, key)
		}
		v := bytes.Clone(b.Get([]byte(key)))
		v[0] ^= 1
		return b.Put([]byte(key), v)
	})
	if err != nil {
		t.Fatalf("damage %s: %v", bolt.SystemFile(dir), err)
	}
}

func damageFile(t testing.TB, path, marker string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := []byte(marker)
	if !bytes.Contains(b, m) {
		t.Fatalf("damage %s: %q is not in the file", path, marker)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for at := 0; ; {
		i := bytes.Index(b[at:], m)
		if i < 0 {
			break
		}
		last := at + i + len(m) - 1
		if _, err := f.WriteAt([]byte{b[last] ^ 1}, int64(last)); err != nil {
			t.Fatalf("damage %s: %v", path, err)
		}
		at = last + 1
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// WantRecordCorrupt checks that err, the answer to what, is the DATA_LOSS
// of a record that failed its checksum (reason RECORD_CORRUPT).
func WantRecordCorrupt(t testing.TB, what string, err error) {
	t.Helper()
	if e := errs.As(err); e == nil || e.Code != errs.DataLoss || e.Reason != errs.RecordCorrupt {
		t.Errorf("%s: got %v, want DATA_LOSS RECORD_CORRUPT", what, err)
	}
}

// bucketFileMeta is where every bbolt file of a data dir keeps its format
// marker (bolt's bucketFileMeta), under store.FormatKey.
var bucketFileMeta = []byte("\x00meta")

// SetFormat sets the format marker of the bbolt file at path (a region
// file or a system file; no store holds it open) to format, as a famid of
// another version would have left it, or removes it when format is nil,
// as a famid from before the marker did.
func SetFormat(t testing.TB, path string, format []byte) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(bucketFileMeta)
		if err != nil {
			return err
		}
		if format == nil {
			return m.Delete([]byte(store.FormatKey))
		}
		return m.Put([]byte(store.FormatKey), format)
	})
	if err != nil {
		t.Fatalf("set the format of %s: %v", path, err)
	}
}

// Format returns the format marker of the bbolt file at path (no store
// holds it open), nil when it has none.
func Format(t testing.TB, path string) []byte {
	t.Helper()
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var format []byte
	db.View(func(tx *bbolt.Tx) error {
		if m := tx.Bucket(bucketFileMeta); m != nil {
			format = bytes.Clone(m.Get([]byte(store.FormatKey)))
		}
		return nil
	})
	return format
}
