package bolt_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// oldSystem is a system file as famid wrote it before system values were
// framed: bare values, protobuf or not, some of them beginning with 0xFF
// (a frame's mark) as a big-endian counter or a key file may.
var oldSystem = map[string]map[string][]byte{
	"accounts":           {"lombardia/mrossi": {0x0a, 0x03, 'a', 'b', 'c'}},
	"passwords":          {"lombardia/mrossi": []byte("$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA")},
	"subject_generation": {"account:mrossi@lombardia": binary.BigEndian.AppendUint64(nil, 0xFF00_0000_0000_0002)},
	"signing_keys":       {"k.pem": {0xFF, 0, 0, 0, 0, 'k'}, "empty.pem": {}},
}

// writeRaw writes buckets into the bbolt file at path, bypassing the
// store, in one transaction.
func writeRaw(t *testing.T, path string, buckets map[string]map[string][]byte) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		for name, kvs := range buckets {
			b, err := tx.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			for k, v := range kvs {
				if err := b.Put([]byte(k), v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readRaw returns every value of the bbolt file at path by bucket and key.
func readRaw(t *testing.T, path string) map[string]map[string][]byte {
	t.Helper()
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]map[string][]byte{}
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			kvs := map[string][]byte{}
			out[string(name)] = kvs
			return b.ForEach(func(k, v []byte) error {
				kvs[string(k)] = bytes.Clone(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSystemFileWrittenBeforeFraming: a data dir whose system file holds
// bare values opens with no manual step; every value reads back as it was
// written, and is stored framed from then on. A second open changes
// nothing more.
func TestSystemFileWrittenBeforeFraming(t *testing.T) {
	dir := t.TempDir()
	writeRaw(t, bolt.SystemFile(dir), oldSystem)
	s := bolttest.Open(t, dir, bolt.Options{})
	err := s.SystemView(t.Context(), func(tx store.SystemTx) error {
		for bucket, kvs := range oldSystem {
			storetest.WantSystemValues(t, "written before framing", tx, bucket, kvs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	framed := readRaw(t, bolt.SystemFile(dir))
	for bucket, kvs := range oldSystem {
		for k, want := range kvs {
			got, ok := store.OpenFrame(framed[bucket][k])
			if !ok || !bytes.Equal(got, want) {
				t.Errorf("stored %s/%s: %x (a frame: %v), want the frame of %x", bucket, k, framed[bucket][k], ok, want)
			}
		}
	}
	bolttest.Open(t, dir, bolt.Options{}).Close()
	if again := readRaw(t, bolt.SystemFile(dir)); !equalRaw(again, framed) {
		t.Errorf("a second open changed the system file:\n got %x\nwant %x", again, framed)
	}
}

func equalRaw(a, b map[string]map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for name, kvs := range a {
		if len(kvs) != len(b[name]) {
			return false
		}
		for k, v := range kvs {
			if w, ok := b[name][k]; !ok || !bytes.Equal(v, w) {
				return false
			}
		}
	}
	return true
}

// TestSystemFramingIsAllOrNothing: when the framing of an old system file
// fails part-way (here on a bucket nested where none belongs), the open
// fails naming the file and nothing of it was changed: no value is left
// framed next to bare ones.
func TestSystemFramingIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	writeRaw(t, bolt.SystemFile(dir), oldSystem)
	db, err := bbolt.Open(bolt.SystemFile(dir), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.Bucket([]byte("signing_keys")).CreateBucket([]byte("nested"))
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := readRaw(t, bolt.SystemFile(dir))

	if s, err := bolt.Open(dir, bolt.Options{}); err == nil || !strings.Contains(err.Error(), bolt.SystemFile(dir)) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("open of a system file that cannot be framed: got %v, want an error naming the file", err)
	}
	if after := readRaw(t, bolt.SystemFile(dir)); !equalRaw(after, before) {
		t.Errorf("a failed framing changed the system file:\n got %x\nwant %x", after, before)
	}
}

// TestDamagedSystemRecord: a bit flipped in a system value on disk is
// DATA_LOSS naming the record from Get and for Scan's fn, never the value
// nor "not found"; so is a value whose frame mark itself was hit, which a
// framed system file never holds. The other records still read.
func TestDamagedSystemRecord(t *testing.T) {
	dir := t.TempDir()
	s := bolttest.Open(t, dir, bolt.Options{})
	err := s.SystemUpdate(t.Context(), func(tx store.SystemTx) error {
		if err := tx.Put("accounts", "lombardia/a", []byte("role ADMIN MARKER-a")); err != nil {
			return err
		}
		return tx.Put("accounts", "lombardia/b", []byte("role VIEWER"))
	})
	if err != nil {
		t.Fatal(err)
	}
	bolttest.DamageSystem(t, dir, "MARKER-a")
	checkDamaged(t, s, "lombardia/a", "lombardia/b")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The mark's own bit flipped: 0xFE where the frame begins.
	bolttest.DamageSystemValue(t, dir, "accounts", "lombardia/b")
	s = bolttest.Open(t, dir, bolt.Options{})
	checkDamaged(t, s, "lombardia/b", "")
}

// checkDamaged checks that the account record damaged fails its checksum
// and intact, when set, still reads.
func checkDamaged(t *testing.T, s *bolt.Store, damaged, intact string) {
	t.Helper()
	record := "accounts/" + damaged + " in system.db"
	err := s.SystemView(t.Context(), func(tx store.SystemTx) error {
		v, err := tx.Get("accounts", damaged)
		wantCorrupt(t, "Get "+damaged, record, err)
		if v != nil {
			t.Errorf("Get %s served %q", damaged, v)
		}
		seen := false
		tx.Scan("accounts", "", "", func(k string, v []byte, err error) bool {
			switch k {
			case damaged:
				seen = true
				wantCorrupt(t, "Scan "+damaged, record, err)
				if v != nil {
					t.Errorf("Scan %s served %q", damaged, v)
				}
			case intact:
				if err != nil || v == nil {
					t.Errorf("Scan %s next to a damaged record: %q, %v", k, v, err)
				}
			}
			return true
		})
		if !seen {
			t.Errorf("Scan skipped the damaged record %s", damaged)
		}
		if intact != "" {
			if v, err := tx.Get("accounts", intact); err != nil || v == nil {
				t.Errorf("Get %s next to a damaged record: %q, %v", intact, v, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func wantCorrupt(t *testing.T, what, record string, err error) {
	t.Helper()
	bolttest.WantRecordCorrupt(t, what, err)
	if e := errs.As(err); e != nil && e.Metadata["record"] != record {
		t.Errorf("%s: the error names %q, want %q", what, e.Metadata["record"], record)
	}
}
