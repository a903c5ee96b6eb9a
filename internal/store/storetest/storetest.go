// Package storetest is the conformance suite of store.Store: every
// implementation runs it from its own tests, so they all keep the same
// contract (errors, revisions, change log, indexes, idempotency, isolation).
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
package storetest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// The regions every store under test must have. The suite uses no others.
const (
	lombardia = "lombardia"
	veneto    = "veneto"
)

// Principals recorded in the change log.
var (
	alice = store.Mutation{Principal: "users/alice"}
	bob   = store.Mutation{Principal: "users/bob"}
)

// Run runs the conformance suite against the implementation that open
// creates. open must return a new, empty store with at least the regions
// "lombardia" and "veneto", and arrange for it to be closed (t.Cleanup).
// Stores whose clock advances between mutations get the strictest checks of
// update_time; a fixed clock is allowed.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Put", func(t *testing.T) { testPut(t, open) })
	t.Run("Get", func(t *testing.T) { testGet(t, open) })
	t.Run("List", func(t *testing.T) { testList(t, open) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open) })
	t.Run("Revision", func(t *testing.T) { testRevision(t, open) })
	t.Run("FailedUpdate", func(t *testing.T) { testFailedUpdate(t, open) })
	t.Run("ChangeLog", func(t *testing.T) { testChangeLog(t, open) })
	t.Run("Index", func(t *testing.T) { testIndex(t, open) })
	t.Run("RequestID", func(t *testing.T) { testRequestID(t, open) })
	t.Run("CheckEtag", func(t *testing.T) { testCheckEtag(t, open) })
	t.Run("Regions", func(t *testing.T) { testRegions(t, open) })
	t.Run("Context", func(t *testing.T) { testContext(t, open) })
	t.Run("ContextMidScan", func(t *testing.T) { testContextMidScan(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("Compact", func(t *testing.T) { testCompact(t, open) })
	t.Run("Changed", func(t *testing.T) { testChanged(t, open) })
	t.Run("Closed", func(t *testing.T) { testClosed(t, open) })
	t.Run("ChangedAtClose", func(t *testing.T) { testChangedAtClose(t, open) })
}

// partnerName is the resource name of partner id in region.
func partnerName(region, id string) string {
	return "regions/" + region + "/partners/" + id
}

// newPartner returns a partner with every kind of field set, so that a
// round trip through the store exercises strings, enums, repeated fields and
// booleans.
func newPartner(region, id string) *famiv1.Partner {
	return &famiv1.Partner{
		Name:           partnerName(region, id),
		DisplayName:    "Partner " + id,
		Kind:           famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY,
		FiscalCode:     "01199250158",
		IstatCode:      "015146",
		Municipalities: []string{"015146", "015077"},
		CertifiedEmail: id + "@pec.example.it",
		Description:    "Conformance suite partner " + id,
	}
}

// newNetwork returns a network called regions/{region}/{collection}/{id}.
func newNetwork(region, collection, id string) *famiv1.Network {
	return &famiv1.Network{
		Name:        "regions/" + region + "/" + collection + "/" + id,
		DisplayName: "Network " + id,
		LeadPartner: partnerName(region, "lead"),
		Members: []*famiv1.Member{
			{Partner: partnerName(region, "lead"), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD, Since: "2026-01-01"},
		},
		State: famiv1.NetworkState_NETWORK_STATE_ACTIVE,
	}
}

// regionOf returns the region of a resource name "regions/{region}/...".
func regionOf(t testing.TB, name string) string {
	t.Helper()
	parts := strings.Split(name, "/")
	if len(parts) < 2 || parts[0] != "regions" {
		t.Fatalf("regionOf(%q): not a regional resource name", name)
	}
	return parts[1]
}

// put stores r in a mutation of its own and returns it as stored, with the
// mutation's time.
func put[R store.Resource](t testing.TB, s store.Store, m store.Mutation, r R) (R, time.Time) {
	t.Helper()
	var now time.Time
	got, err := store.Mutate(t.Context(), s, regionOf(t, r.GetName()), m, func(tx store.WriteTx) (R, error) {
		now = tx.Now()
		if err := tx.Put(r); err != nil {
			var zero R
			return zero, err
		}
		return r, nil
	})
	if err != nil {
		t.Fatalf("Put(%s): %v", r.GetName(), err)
	}
	return got, now
}

// del deletes name in a mutation of its own and returns the mutation's time.
func del(t testing.TB, s store.Store, m store.Mutation, name string) time.Time {
	t.Helper()
	var now time.Time
	_, err := s.Update(t.Context(), regionOf(t, name), m, func(tx store.WriteTx) (proto.Message, error) {
		now = tx.Now()
		return &emptypb.Empty{}, tx.Delete(name)
	})
	if err != nil {
		t.Fatalf("Delete(%s): %v", name, err)
	}
	return now
}

// view runs fn in a View of region and fails the test on error.
func view(t testing.TB, s store.Store, region string, fn func(store.ReadTx) error) {
	t.Helper()
	if err := s.View(t.Context(), region, fn); err != nil {
		t.Fatalf("View(%s): %v", region, err)
	}
}

// getPartner reads a partner that must exist.
func getPartner(t testing.TB, s store.Store, name string) *famiv1.Partner {
	t.Helper()
	p := new(famiv1.Partner)
	if err := getErr(t, s, name, p); err != nil {
		t.Fatalf("Get(%s): %v", name, err)
	}
	return p
}

// getErr reads name into into and returns Get's error.
func getErr(t testing.TB, s store.Store, name string, into store.Resource) error {
	t.Helper()
	var err error
	view(t, s, regionOf(t, name), func(tx store.ReadTx) error {
		err = tx.Get(name, into)
		return nil
	})
	return err
}

// revision returns region's current revision.
func revision(t testing.TB, s store.Store, region string) int64 {
	t.Helper()
	var rev int64
	view(t, s, region, func(tx store.ReadTx) error {
		rev = tx.Revision()
		return nil
	})
	return rev
}

// wantRevision reports, as what, a region whose revision is not want.
func wantRevision(t testing.TB, s store.Store, region string, want int64, what string) {
	t.Helper()
	if got := revision(t, s, region); got != want {
		t.Errorf("%s: got %d, want %d", what, got, want)
	}
}

// changes returns every change of region after revision after.
func changes(t testing.TB, s store.Store, region string, after int64) []*famiv1.Change {
	t.Helper()
	var out []*famiv1.Change
	view(t, s, region, func(tx store.ReadTx) error {
		return tx.Changes(after, func(ch *famiv1.Change) bool {
			out = append(out, ch)
			return true
		})
	})
	return out
}

// listIDs returns the ids List reports for collection after after.
func listIDs(t testing.TB, s store.Store, region, collection, after string) []string {
	t.Helper()
	ids := []string{}
	view(t, s, region, func(tx store.ReadTx) error {
		return tx.List(collection, after, func(id string, _ []byte) (bool, error) {
			ids = append(ids, id)
			return true, nil
		})
	})
	return ids
}

// entry is one key/value pair of an index.
type entry struct{ Key, Value string }

// scan returns the entries IndexScan reports for prefix.
func scan(t testing.TB, tx store.ReadTx, index, prefix string) []entry {
	t.Helper()
	out := []entry{}
	tx.IndexScan(index, prefix, func(k, v string) bool {
		out = append(out, entry{k, v})
		return true
	})
	return out
}

// wantCode fails the test unless err carries code.
func wantCode(t testing.TB, what string, err error, want errs.Code) {
	t.Helper()
	if got := errs.CodeOf(err); err == nil || got != want {
		t.Errorf("%s: got error %v (code %v), want code %v", what, err, got, want)
	}
}

// wantProto fails the test unless got and want are proto.Equal.
func wantProto(t testing.TB, what string, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// wantTime fails the test unless ts is the timestamp of want.
func wantTime(t testing.TB, what string, ts *timestamppb.Timestamp, want time.Time) {
	t.Helper()
	if !proto.Equal(ts, timestamppb.New(want)) {
		t.Errorf("%s: got %v, want %v", what, ts.AsTime(), want)
	}
}

// state is everything a region holds, for checks that a mutation wrote
// nothing.
type state struct {
	revision  int64
	resources map[string][]byte
	changes   []*famiv1.Change
	indexes   map[string][]entry
}

// snapshot reads region's resources of collections, its change log and the
// entries of indexes, all in one View.
func snapshot(t testing.TB, s store.Store, region string, collections, indexes []string) state {
	t.Helper()
	st := state{resources: map[string][]byte{}, indexes: map[string][]entry{}}
	view(t, s, region, func(tx store.ReadTx) error {
		st.revision = tx.Revision()
		for _, c := range collections {
			err := tx.List(c, "", func(id string, raw []byte) (bool, error) {
				st.resources[c+"/"+id] = bytes.Clone(raw)
				return true, nil
			})
			if err != nil {
				return err
			}
		}
		for _, ix := range indexes {
			st.indexes[ix] = scan(t, tx, ix, "")
		}
		return tx.Changes(0, func(ch *famiv1.Change) bool {
			st.changes = append(st.changes, ch)
			return true
		})
	})
	return st
}

// wantState fails the test unless got and want hold the same data.
func wantState(t testing.TB, got, want state) {
	t.Helper()
	if got.revision != want.revision {
		t.Errorf("revision: got %d, want %d", got.revision, want.revision)
	}
	for k, v := range want.resources {
		if g, ok := got.resources[k]; !ok {
			t.Errorf("resource %s: gone", k)
		} else if !bytes.Equal(g, v) {
			t.Errorf("resource %s: changed", k)
		}
	}
	for k := range got.resources {
		if _, ok := want.resources[k]; !ok {
			t.Errorf("resource %s: appeared", k)
		}
	}
	if !slices.EqualFunc(got.changes, want.changes, func(a, b *famiv1.Change) bool { return proto.Equal(a, b) }) {
		t.Errorf("change log: got %d changes %v, want %d changes %v", len(got.changes), got.changes, len(want.changes), want.changes)
	}
	for ix, w := range want.indexes {
		if g := got.indexes[ix]; !slices.Equal(g, w) {
			t.Errorf("index %s: got %v, want %v", ix, g, w)
		}
	}
}

// revisions returns the revisions of a list of changes.
func revisions(chs []*famiv1.Change) []int64 {
	out := make([]int64, len(chs))
	for i, ch := range chs {
		out[i] = ch.GetRevision()
	}
	return out
}

// seq returns the integers from..to.
func seq(from, to int64) []int64 {
	out := []int64{}
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// errBoom is what a failing mutation returns.
var errBoom = errors.New("storetest: mutation failed on purpose")

// subtests are the named tests of a part of the suite, each run on a store
// of its own.
type subtests[S any] []struct {
	name string
	test func(t *testing.T, s S)
}

// run runs each test as a subtest of t, on a new store from open.
func (st subtests[S]) run(t *testing.T, open func(t *testing.T) S) {
	for _, c := range st {
		t.Run(c.name, func(t *testing.T) { c.test(t, open(t)) })
	}
}
