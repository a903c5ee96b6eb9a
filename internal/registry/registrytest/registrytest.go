// Package registrytest is the world of a capability's package tests when
// the capability builds on the registry (meetings, protocols): a fresh
// bbolt store of Lombardy and Veneto, the registry on it, a clock the
// capability reads, and the names and callers the tests use there.
package registrytest

import (
	"context"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/fakeclock"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// Region is the region the tests work in; Parent is its name.
const (
	Region = "lombardia"
	Parent = "regions/" + Region
)

// PartnerName is the name of partner id of Region.
func PartnerName(id string) string { return Parent + "/partners/" + id }

// NetworkName is the name of network id of Region.
func NetworkName(id string) string { return Parent + "/networks/" + id }

// Env is one test's world. The capability under test takes Clock.Now as
// its clock; the clock stands at the zero time until the test sets it.
type Env struct {
	T     *testing.T
	Dir   string // the store's data dir
	Store *bolt.Store
	Reg   *registry.Registry
	Clock *fakeclock.Clock
}

// New opens a fresh store of Region and veneto in the test's temporary
// directory, closed when the test ends, with the registry on it.
func New(t *testing.T) *Env {
	t.Helper()
	dir := t.TempDir()
	st := bolttest.Open(t, dir, bolt.Options{Regions: []string{Region, "veneto"}, LockTimeout: 100 * time.Millisecond})
	return &Env{T: t, Dir: dir, Store: st, Reg: registry.New(st, nil), Clock: &fakeclock.Clock{}}
}

// As is the test's context with the caller p.
func (e *Env) As(p principal.Principal) context.Context { return principal.With(e.T.Context(), p) }

// Member is the context of a network member working for partner id of
// Region.
func (e *Env) Member(id string) context.Context {
	return e.As(principal.Principal{Subject: "test:staff:" + id, Role: principal.NetworkMember, Region: Region,
		Partner: PartnerName(id), DisplayName: "Staff of " + id})
}

// Names lists the resources' names.
func Names[T interface{ GetName() string }](items []T) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.GetName())
	}
	return out
}
