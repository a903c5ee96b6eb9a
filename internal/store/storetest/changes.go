package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

func testRevision(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("StartsAtZero", func(t *testing.T) {
		s := open(t)
		for _, r := range []string{lombardia, veneto} {
			wantRevision(t, s, r, 0, "of a new store")
			if got := changes(t, s, r, 0); len(got) != 0 {
				t.Errorf("%s change log of a new store: got %v, want none", r, got)
			}
		}
	})

	t.Run("OnePerWrite", func(t *testing.T) {
		s := open(t)
		var inTx []int64
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			inTx = append(inTx, tx.Revision())
			for _, id := range []string{"p1", "p2"} {
				if err := tx.Put(newPartner(lombardia, id)); err != nil {
					return nil, err
				}
				inTx = append(inTx, tx.Revision())
			}
			if err := tx.Put(newPartner(lombardia, "p1")); err != nil {
				return nil, err
			}
			inTx = append(inTx, tx.Revision())
			if err := tx.Delete(partnerName(lombardia, "p2")); err != nil {
				return nil, err
			}
			inTx = append(inTx, tx.Revision())
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if want := seq(0, 4); !slices.Equal(inTx, want) {
			t.Errorf("Revision after each write in one Update: got %v, want %v", inTx, want)
		}
		wantRevision(t, s, lombardia, 4, "revision after the Update")

		p, _ := put(t, s, alice, newPartner(lombardia, "p3"))
		wantRevision(t, s, lombardia, 5, "revision after one more Put")
		del(t, s, alice, p.GetName())
		wantRevision(t, s, lombardia, 6, "revision after one more Delete")
	})

	t.Run("OnlyResourceWrites", func(t *testing.T) {
		// Reads and index writes are not changes.
		s := open(t)
		put(t, s, alice, newPartner(lombardia, "p1"))
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			if err := tx.Get(partnerName(lombardia, "p1"), new(famiv1.Partner)); err != nil {
				return nil, err
			}
			if err := tx.IndexPut("by_code", "01199250158", partnerName(lombardia, "p1")); err != nil {
				return nil, err
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		wantRevision(t, s, lombardia, 1, "revision after an Update without Put or Delete")
	})
}

func testFailedUpdate(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	p1, _ := put(t, s, alice, newPartner(lombardia, "p1"))
	put(t, s, alice, newPartner(lombardia, "p2"))
	put(t, s, alice, newNetwork(lombardia, "networks", "n1"))
	_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
		for _, kv := range []entry{{"code/01199250158", "p1"}, {"code/80002210158", "p2"}} {
			if err := tx.IndexPut("by_code", kv.Key, kv.Value); err != nil {
				return nil, err
			}
		}
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatalf("index setup: %v", err)
	}
	collections := []string{"partners", "networks"}
	indexes := []string{"by_code", "by_email"}
	before := snapshot(t, s, lombardia, collections, indexes)
	etagBefore := p1.GetEtag()

	failures := []struct {
		name    string
		fn      func(t *testing.T, tx store.WriteTx) error
		wantErr func(t *testing.T, err error)
	}{
		{
			name: "FnError",
			fn: func(t *testing.T, tx store.WriteTx) error {
				if err := tx.Put(newPartner(lombardia, "p3")); err != nil {
					return err
				}
				upd := getPartnerTx(t, tx, p1.GetName())
				upd.DisplayName = "changed"
				if err := tx.Put(upd); err != nil {
					return err
				}
				if err := tx.Delete(partnerName(lombardia, "p2")); err != nil {
					return err
				}
				if err := tx.Delete("regions/lombardia/networks/n1"); err != nil {
					return err
				}
				if err := tx.IndexPut("by_code", "code/00000000000", "p3"); err != nil {
					return err
				}
				if err := tx.IndexPut("by_code", "code/01199250158", "p3"); err != nil {
					return err
				}
				if err := tx.IndexDelete("by_code", "code/80002210158"); err != nil {
					return err
				}
				if err := tx.IndexPut("by_email", "p3@example.it", "p3"); err != nil {
					return err
				}
				return errBoom
			},
			wantErr: func(t *testing.T, err error) {
				if !errors.Is(err, errBoom) {
					t.Errorf("Update error: got %v, want %v", err, errBoom)
				}
			},
		},
		{
			name: "StoreError",
			fn: func(t *testing.T, tx store.WriteTx) error {
				if err := tx.Put(newPartner(lombardia, "p4")); err != nil {
					return err
				}
				if err := tx.IndexPut("by_email", "p4@example.it", "p4"); err != nil {
					return err
				}
				return tx.Delete(partnerName(lombardia, "missing"))
			},
			wantErr: func(t *testing.T, err error) { wantCode(t, "Update error", err, errs.NotFound) },
		},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			res, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
				return &emptypb.Empty{}, f.fn(t, tx)
			})
			f.wantErr(t, err)
			if res != nil {
				t.Errorf("Update result: got %v, want nil", res)
			}
			wantState(t, snapshot(t, s, lombardia, collections, indexes), before)
		})
	}

	t.Run("NextWriteHasNoGap", func(t *testing.T) {
		p, _ := put(t, s, alice, newPartner(lombardia, "p5"))
		if got, want := revision(t, s, lombardia), before.revision+1; got != want {
			t.Errorf("revision: got %d, want %d", got, want)
		}
		if got, want := revisions(changes(t, s, lombardia, 0)), seq(1, before.revision+1); !slices.Equal(got, want) {
			t.Errorf("change revisions: got %v, want %v", got, want)
		}
		if p.GetEtag() == etagBefore {
			t.Errorf("etag of a new resource: got %q, the etag of an existing one", p.GetEtag())
		}
	})
}

// getPartnerTx reads a partner that must exist within tx.
func getPartnerTx(t testing.TB, tx store.ReadTx, name string) *famiv1.Partner {
	t.Helper()
	p := new(famiv1.Partner)
	if err := tx.Get(name, p); err != nil {
		t.Errorf("Get(%s): %v", name, err)
	}
	return p
}

func testChangeLog(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	// bob and carol have names, which the log records beside their
	// subjects; alice has none.
	bob := store.Mutation{Principal: "users/bob", DisplayName: "Bob Verdi"}
	carol := store.Mutation{Principal: "users/carol", DisplayName: "Carol Bianchi"}

	p1, t1 := put(t, s, alice, newPartner(lombardia, "p1"))
	upd := proto.Clone(p1).(*famiv1.Partner)
	upd.Archived = true
	p1u, t2 := put(t, s, bob, upd)
	n1, t3 := put(t, s, alice, newNetwork(lombardia, "networks", "n1"))
	t4 := del(t, s, carol, p1.GetName())

	type want struct {
		op        famiv1.ChangeOperation
		name      string
		typ       string
		principal string
		author    string
		time      time.Time
		resource  proto.Message
	}
	wants := []want{
		{famiv1.ChangeOperation_CHANGE_OPERATION_CREATE, p1.GetName(), "fami.v1.Partner", "users/alice", "", t1, p1},
		{famiv1.ChangeOperation_CHANGE_OPERATION_UPDATE, p1.GetName(), "fami.v1.Partner", "users/bob", "Bob Verdi", t2, p1u},
		{famiv1.ChangeOperation_CHANGE_OPERATION_CREATE, n1.GetName(), "fami.v1.Network", "users/alice", "", t3, n1},
		{famiv1.ChangeOperation_CHANGE_OPERATION_DELETE, p1.GetName(), "fami.v1.Partner", "users/carol", "Carol Bianchi", t4, p1u},
	}

	t.Run("Entries", func(t *testing.T) {
		got := changes(t, s, lombardia, 0)
		if len(got) != len(wants) {
			t.Fatalf("changes: got %d %v, want %d", len(got), got, len(wants))
		}
		for i, w := range wants {
			ch := got[i]
			if ch.GetRevision() != int64(i+1) {
				t.Errorf("change %d revision: got %d, want %d", i, ch.GetRevision(), i+1)
			}
			if ch.GetOperation() != w.op {
				t.Errorf("change %d operation: got %v, want %v", i, ch.GetOperation(), w.op)
			}
			if ch.GetResourceName() != w.name {
				t.Errorf("change %d resource_name: got %q, want %q", i, ch.GetResourceName(), w.name)
			}
			if ch.GetResourceType() != w.typ {
				t.Errorf("change %d resource_type: got %q, want %q", i, ch.GetResourceType(), w.typ)
			}
			if got, want := [2]string{ch.GetPrincipal(), ch.GetPrincipalDisplayName()}, [2]string{w.principal, w.author}; got != want {
				t.Errorf("change %d principal and principal_display_name: got %q, want %q", i, got, want)
			}
			wantTime(t, "change time", ch.GetTime(), w.time)
			if got := string(ch.GetResource().MessageName()); got != w.typ {
				t.Errorf("change %d resource type URL: got %q, want type %q", i, ch.GetResource().GetTypeUrl(), w.typ)
			}
			res, err := ch.GetResource().UnmarshalNew()
			if err != nil {
				t.Errorf("change %d resource: %v", i, err)
				continue
			}
			wantProto(t, "change resource", res, w.resource)
		}
	})

	t.Run("After", func(t *testing.T) {
		for _, tt := range []struct {
			after int64
			want  []int64
		}{
			{0, seq(1, 4)},
			{1, seq(2, 4)},
			{3, seq(4, 4)},
			{4, seq(1, 0)},
			{100, seq(1, 0)},
		} {
			if got := revisions(changes(t, s, lombardia, tt.after)); !slices.Equal(got, tt.want) {
				t.Errorf("Changes(%d): got revisions %v, want %v", tt.after, got, tt.want)
			}
		}
	})

	t.Run("Stop", func(t *testing.T) {
		var got []int64
		view(t, s, lombardia, func(tx store.ReadTx) error {
			return tx.Changes(1, func(ch *famiv1.Change) bool {
				got = append(got, ch.GetRevision())
				return len(got) < 2
			})
		})
		if want := []int64{2, 3}; !slices.Equal(got, want) {
			t.Errorf("Changes(1) stopping after two: got %v, want %v", got, want)
		}
	})

	t.Run("SeveralWritesInOneUpdate", func(t *testing.T) {
		var now time.Time
		_, err := s.Update(t.Context(), lombardia, bob, func(tx store.WriteTx) (proto.Message, error) {
			now = tx.Now()
			for _, id := range []string{"p5", "p6"} {
				if err := tx.Put(newPartner(lombardia, id)); err != nil {
					return nil, err
				}
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		got := changes(t, s, lombardia, 4)
		if want := seq(5, 6); !slices.Equal(revisions(got), want) {
			t.Fatalf("Changes(4): got revisions %v, want %v", revisions(got), want)
		}
		for i, ch := range got {
			wantTime(t, "time of a change in a shared Update", ch.GetTime(), now)
			if ch.GetPrincipal() != "users/bob" {
				t.Errorf("change %d principal: got %q, want %q", i, ch.GetPrincipal(), "users/bob")
			}
			res, err := ch.GetResource().UnmarshalNew()
			if err != nil {
				t.Fatalf("change %d resource: %v", i, err)
			}
			wantProto(t, "change resource", res, getPartner(t, s, ch.GetResourceName()))
		}
	})
}
