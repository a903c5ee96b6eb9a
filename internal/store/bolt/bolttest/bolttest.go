// Package bolttest opens real bbolt stores for the tests of the packages
// above the store.
package bolttest

import (
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/raccordo/raccordo/internal/store/bolt"
)

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
