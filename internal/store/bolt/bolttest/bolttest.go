// Package bolttest opens real bbolt stores for the tests of the packages
// above the store.
package bolttest

import (
	"testing"

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
