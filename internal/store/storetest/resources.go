package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

func testPut(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateThenUpdate", func(t *testing.T) {
		s := open(t)
		in := newPartner(lombardia, "comune-milano")
		created, createNow := put(t, s, alice, proto.Clone(in).(*famiv1.Partner))

		if created.GetEtag() == "" {
			t.Errorf("etag after create: got empty, want one set by the store")
		}
		wantTime(t, "create_time after create", created.GetCreateTime(), createNow)
		wantTime(t, "update_time after create", created.GetUpdateTime(), createNow)
		// Apart from the fields the store owns, what is stored is what was put.
		content := proto.Clone(created).(*famiv1.Partner)
		content.Etag, content.CreateTime, content.UpdateTime = "", nil, nil
		wantProto(t, "content after create", content, in)
		wantProto(t, "Get after create", getPartner(t, s, in.GetName()), created)

		// The caller's values of the store-owned fields are ignored.
		upd := proto.Clone(created).(*famiv1.Partner)
		upd.DisplayName = "Comune di Milano"
		upd.Municipalities = append(upd.Municipalities, "015999")
		upd.Etag = "caller-etag"
		upd.CreateTime = timestamppb.New(createNow.AddDate(-1, 0, 0))
		upd.UpdateTime = nil
		updated, updateNow := put(t, s, alice, upd)

		if updated.GetEtag() == "" || updated.GetEtag() == created.GetEtag() || updated.GetEtag() == "caller-etag" {
			t.Errorf("etag after update: got %q, want a new store etag (create had %q)", updated.GetEtag(), created.GetEtag())
		}
		wantProto(t, "create_time after update", updated.GetCreateTime(), created.GetCreateTime())
		wantTime(t, "update_time after update", updated.GetUpdateTime(), updateNow)
		if updateNow.After(createNow) && !updated.GetUpdateTime().AsTime().After(created.GetUpdateTime().AsTime()) {
			t.Errorf("update_time after update: got %v, want after %v", updated.GetUpdateTime().AsTime(), created.GetUpdateTime().AsTime())
		}
		if updated.GetDisplayName() != "Comune di Milano" {
			t.Errorf("display_name after update: got %q, want %q", updated.GetDisplayName(), "Comune di Milano")
		}
		wantProto(t, "Get after update", getPartner(t, s, in.GetName()), updated)
	})

	t.Run("SetsEtagOnArgument", func(t *testing.T) {
		s := open(t)
		p := newPartner(lombardia, "p1")
		var afterPut *famiv1.Partner
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			if err := tx.Put(p); err != nil {
				return nil, err
			}
			afterPut = proto.Clone(p).(*famiv1.Partner)
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if afterPut.GetEtag() == "" || afterPut.GetCreateTime() == nil || afterPut.GetUpdateTime() == nil {
			t.Errorf("argument after Put: got %v, want etag, create_time and update_time set", afterPut)
		}
		wantProto(t, "Get", getPartner(t, s, p.GetName()), afterPut)
	})

	t.Run("StoresACopy", func(t *testing.T) {
		s := open(t)
		p, _ := put(t, s, alice, newPartner(lombardia, "p1"))
		want := proto.Clone(p)
		p.DisplayName = "changed after the mutation"
		p.Municipalities[0] = "000000"
		wantProto(t, "Get after changing the put message", getPartner(t, s, p.GetName()), want)
	})

	t.Run("SeveralTypes", func(t *testing.T) {
		s := open(t)
		p, _ := put(t, s, alice, newPartner(lombardia, "p1"))
		n, _ := put(t, s, alice, newNetwork(lombardia, "networks", "n1"))
		gotN := new(famiv1.Network)
		if err := getErr(t, s, n.GetName(), gotN); err != nil {
			t.Fatalf("Get(%s): %v", n.GetName(), err)
		}
		wantProto(t, "Get network", gotN, n)
		wantProto(t, "Get partner", getPartner(t, s, p.GetName()), p)
	})

	t.Run("NameOutsideRegion", func(t *testing.T) {
		s := open(t)
		for _, name := range []string{
			partnerName(veneto, "p1"),
			"regions/lombardia-est/partners/p1",
			"regions/lombardia",
			"partners/p1",
			"regions/lombardia/partners/p1/notes",
			"regions/lombardia/partners//notes/n1",
		} {
			_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
				p := newPartner(lombardia, "p1")
				p.Name = name
				return p, tx.Put(p)
			})
			wantCode(t, "Put("+name+") in lombardia", err, errs.Invalid)
		}
		wantRevision(t, s, lombardia, 0, "lombardia revision")
		wantRevision(t, s, veneto, 0, "veneto revision")
	})
}

func testGet(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	p, _ := put(t, s, alice, newPartner(lombardia, "p1"))

	t.Run("Missing", func(t *testing.T) {
		for _, name := range []string{partnerName(lombardia, "p2"), partnerName(lombardia, "p"), partnerName(lombardia, "p10"), "regions/lombardia/networks/p1"} {
			wantCode(t, "Get("+name+")", getErr(t, s, name, new(famiv1.Partner)), errs.NotFound)
		}
	})

	t.Run("OtherRegion", func(t *testing.T) {
		// The name is checked against the transaction's region, even when
		// the other region has no such resource.
		var err error
		view(t, s, lombardia, func(tx store.ReadTx) error {
			err = tx.Get(partnerName(veneto, "p1"), new(famiv1.Partner))
			return nil
		})
		wantCode(t, "Get(regions/veneto/...) in lombardia", err, errs.Invalid)
		view(t, s, veneto, func(tx store.ReadTx) error {
			err = tx.Get(p.GetName(), new(famiv1.Partner))
			return nil
		})
		wantCode(t, "Get(regions/lombardia/...) in veneto", err, errs.Invalid)
	})

	t.Run("ReplacesTarget", func(t *testing.T) {
		// Get reads the stored state, it does not merge into into.
		into := &famiv1.Partner{Description: "left over", Archived: true, Municipalities: []string{"x"}}
		if err := getErr(t, s, p.GetName(), into); err != nil {
			t.Fatalf("Get: %v", err)
		}
		wantProto(t, "Get into a used message", into, p)
	})

	t.Run("Exists", func(t *testing.T) { testGetExists(t, s, p) })

	t.Run("Find", func(t *testing.T) { testGetFind(t, s, p) })

	t.Run("ExistsThenPut", func(t *testing.T) { testGetExistsThenPut(t, s, p) })

	t.Run("InsideUpdate", func(t *testing.T) {
		// A write transaction reads its own writes.
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			q := newPartner(lombardia, "q1")
			if err := tx.Put(q); err != nil {
				return nil, err
			}
			got := new(famiv1.Partner)
			if err := tx.Get(q.GetName(), got); err != nil {
				t.Errorf("Get of a resource put in the same Update: %v", err)
			}
			wantProto(t, "Get in the same Update", got, q)
			return q, nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	})
}

func testGetExists(t *testing.T, s store.Store, p *famiv1.Partner) {
	view(t, s, lombardia, func(tx store.ReadTx) error {
		for name, want := range map[string]bool{p.GetName(): true, partnerName(lombardia, "p2"): false, "regions/lombardia/networks/p1": false} {
			if got, err := tx.Exists(name); got != want || err != nil {
				t.Errorf("Exists(%s): got %v, %v, want %v", name, got, err, want)
			}
		}
		_, err := tx.Exists(partnerName(veneto, "p1"))
		wantCode(t, "Exists(regions/veneto/...) in lombardia", err, errs.Invalid)
		return nil
	})
	// A write transaction sees its own puts and deletes.
	_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
		q := newPartner(lombardia, "e1")
		if err := tx.Put(q); err != nil {
			return nil, err
		}
		if ok, err := tx.Exists(q.GetName()); !ok || err != nil {
			t.Errorf("Exists of a resource put in the same Update: got %v, %v", ok, err)
		}
		if err := tx.Delete(q.GetName()); err != nil {
			return nil, err
		}
		if ok, err := tx.Exists(q.GetName()); ok || err != nil {
			t.Errorf("Exists of a resource deleted in the same Update: got %v, %v", ok, err)
		}
		return q, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func testGetFind(t *testing.T, s store.Store, p *famiv1.Partner) {
	// store.Find: found, missing (no error), and a name Get refuses
	// (its error, not "missing").
	view(t, s, lombardia, func(tx store.ReadTx) error {
		got := new(famiv1.Partner)
		if found, err := store.Find(tx, p.GetName(), got); !found || err != nil {
			t.Errorf("Find(%s): got %v, %v, want found", p.GetName(), found, err)
		}
		wantProto(t, "Find", got, p)
		if found, err := store.Find(tx, partnerName(lombardia, "p2"), new(famiv1.Partner)); found || err != nil {
			t.Errorf("Find of a missing partner: got %v, %v, want not found and no error", found, err)
		}
		_, err := store.Find(tx, partnerName(veneto, "p1"), new(famiv1.Partner))
		wantCode(t, "Find(regions/veneto/...) in lombardia", err, errs.Invalid)
		return nil
	})
}

func testGetExistsThenPut(t *testing.T, s store.Store, p *famiv1.Partner) {
	// A Create looks its name up (resource.Absent) before its Put:
	// whatever the store keeps of that lookup, a Put of a name found
	// is an UPDATE that keeps its create_time, even while another
	// name's lookup is kept; the Put of the free name a CREATE; and
	// the next Put of it an UPDATE.
	var rev int64
	view(t, s, lombardia, func(tx store.ReadTx) error { rev = tx.Revision(); return nil })
	fresh, taken := newPartner(lombardia, "x1"), proto.CloneOf(p)
	taken.Description = "changed after its lookup"
	_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
		for _, r := range []*famiv1.Partner{taken, fresh} {
			if _, err := tx.Exists(r.GetName()); err != nil {
				return nil, err
			}
		}
		for _, r := range []store.Resource{taken, fresh, proto.CloneOf(fresh)} {
			if err := tx.Put(r); err != nil {
				return nil, err
			}
		}
		return fresh, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	var ops []string
	for _, ch := range changes(t, s, lombardia, rev) {
		ops = append(ops, ch.GetOperation().String()+" "+ch.GetResourceName())
	}
	want := []string{"CHANGE_OPERATION_UPDATE " + taken.GetName(), "CHANGE_OPERATION_CREATE " + fresh.GetName(), "CHANGE_OPERATION_UPDATE " + fresh.GetName()}
	if !slices.Equal(ops, want) {
		t.Errorf("changes: got %q, want %q", ops, want)
	}
	got := new(famiv1.Partner)
	view(t, s, lombardia, func(tx store.ReadTx) error { return tx.Get(taken.GetName(), got) })
	if !got.GetCreateTime().AsTime().Equal(p.GetCreateTime().AsTime()) {
		t.Errorf("create_time of the put after a lookup that found it: got %v, want %v", got.GetCreateTime().AsTime(), p.GetCreateTime().AsTime())
	}
	view(t, s, lombardia, func(tx store.ReadTx) error { return tx.Get(fresh.GetName(), got) })
	if got.GetCreateTime() == nil || !got.GetCreateTime().AsTime().Equal(got.GetUpdateTime().AsTime()) {
		t.Errorf("the created then updated resource: create_time %v, update_time %v, want both the mutation's time", got.GetCreateTime(), got.GetUpdateTime())
	}
}

func testList(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	for _, id := range []string{"c", "a", "d", "b", "bb"} {
		put(t, s, alice, newPartner(lombardia, id))
	}
	// Collections whose names share a prefix: "net-old/" sorts before
	// "net/", "networks/" after it.
	for _, c := range []struct{ collection, id string }{
		{"net", "b"}, {"networks", "a"}, {"net-old", "z"}, {"networks", "c"}, {"net", "a"}, {"net-old", "a"},
	} {
		put(t, s, alice, newNetwork(lombardia, c.collection, c.id))
	}
	put(t, s, alice, newPartner(veneto, "a0"))
	// Nested resources: children of partners b and bb, which listing the
	// partners must skip.
	for _, name := range []string{"b/notes/y", "b/notes/x", "bb/notes/a", "b/notes/x/parts/1"} {
		put(t, s, alice, newPartner(lombardia, name))
	}

	tests := []struct {
		collection, after string
		want              []string
	}{
		{"partners", "", []string{"a", "b", "bb", "c", "d"}},
		{"partners", "a", []string{"b", "bb", "c", "d"}},
		{"partners", "b", []string{"bb", "c", "d"}},
		{"partners", "ba", []string{"bb", "c", "d"}},
		{"partners", "d", []string{}},
		{"partners", "zzz", []string{}},
		{"net", "", []string{"a", "b"}},
		{"net", "a", []string{"b"}},
		{"networks", "", []string{"a", "c"}},
		{"net-old", "", []string{"a", "z"}},
		{"netw", "", []string{}},
		{"network", "", []string{}},
		{"projects", "", []string{}},
		{"partners/b/notes", "", []string{"x", "y"}},
		{"partners/b/notes", "x", []string{"y"}},
		{"partners/bb/notes", "", []string{"a"}},
		{"partners/b/notes/x/parts", "", []string{"1"}},
		{"partners/c/notes", "", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.collection+"/after="+tt.after, func(t *testing.T) {
			if got := listIDs(t, s, lombardia, tt.collection, tt.after); !slices.Equal(got, tt.want) {
				t.Errorf("List(%q, %q): got %q, want %q", tt.collection, tt.after, got, tt.want)
			}
		})
	}

	t.Run("OnlyThisRegion", func(t *testing.T) {
		if got, want := listIDs(t, s, veneto, "partners", ""), []string{"a0"}; !slices.Equal(got, want) {
			t.Errorf("List(partners) in veneto: got %q, want %q", got, want)
		}
	})

	t.Run("Stop", func(t *testing.T) {
		var got []string
		view(t, s, lombardia, func(tx store.ReadTx) error {
			return tx.List("partners", "", func(id string, _ []byte) (bool, error) {
				got = append(got, id)
				return len(got) < 2, nil
			})
		})
		if want := []string{"a", "b"}; !slices.Equal(got, want) {
			t.Errorf("List stopping after two: got %q, want %q", got, want)
		}
	})

	t.Run("Error", func(t *testing.T) {
		calls := 0
		err := s.View(t.Context(), lombardia, func(tx store.ReadTx) error {
			return tx.List("partners", "", func(string, []byte) (bool, error) {
				calls++
				return true, errBoom
			})
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("List with a failing fn: got %v, want %v", err, errBoom)
		}
		if calls != 1 {
			t.Errorf("fn calls after an error: got %d, want 1", calls)
		}
	})

	t.Run("ManyWithChildren", func(t *testing.T) { listManyWithChildren(t, s) })

	t.Run("Raw", func(t *testing.T) {
		// raw is the stored resource.
		view(t, s, lombardia, func(tx store.ReadTx) error {
			return tx.List("partners", "", func(id string, raw []byte) (bool, error) {
				got := new(famiv1.Partner)
				if err := proto.Unmarshal(raw, got); err != nil {
					t.Errorf("decode %s: %v", id, err)
					return true, nil
				}
				want := new(famiv1.Partner)
				if err := tx.Get(partnerName(lombardia, id), want); err != nil {
					t.Errorf("Get(%s): %v", id, err)
				}
				wantProto(t, "List raw of "+id, got, want)
				return true, nil
			})
		})
	})

	t.Run("Count", func(t *testing.T) {
		for _, tt := range tests {
			if tt.after != "" {
				continue
			}
			view(t, s, lombardia, func(tx store.ReadTx) error {
				if got, err := tx.Count(tt.collection); err != nil || got != len(tt.want) {
					t.Errorf("Count(%q): got %d, %v; want %d (the listing's)", tt.collection, got, err, len(tt.want))
				}
				return nil
			})
		}
		// Last: it writes.
		testCountWrites(t, s)
	})
}

// testCountWrites checks that a count in an Update counts the update's
// own puts and deletes as its listing does, and that a count in another
// region counts that region's resources only. s holds testList's
// resources.

// listManyWithChildren: 300 resources, each followed by a child and a
// grandchild, are listed in order, from the start and from a position:
// more than one of a backend's read pages, and runs of listed keys broken
// by the children on every key.
func listManyWithChildren(t *testing.T, s store.Store) {
	want := make([]string, 300)
	for i := range want {
		want[i] = fmt.Sprintf("p%03d", i)
	}
	for ids := range slices.Chunk(want, 10) {
		write(t, s, lombardia, func(tx store.WriteTx) error {
			for _, id := range ids {
				for _, name := range []string{id, id + "/reports/q1", id + "/reports/q1/notes/n"} {
					if err := tx.Put(newNetwork(lombardia, "surveys", name)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	if got := listIDs(t, s, lombardia, "surveys", ""); !slices.Equal(got, want) {
		t.Errorf("List(surveys): got %d ids, want the %d in order", len(got), len(want))
	}
	if got := listIDs(t, s, lombardia, "surveys", "p149"); !slices.Equal(got, want[150:]) {
		t.Errorf("List(surveys, p149): got %d ids, want the %d after it", len(got), len(want)-150)
	}
	if got := listIDs(t, s, lombardia, "surveys/p007/reports", ""); !slices.Equal(got, []string{"q1"}) {
		t.Errorf("List(surveys/p007/reports): got %q, want [q1]", got)
	}
}

func testCountWrites(t *testing.T, s store.Store) {
	count := func(tx store.ReadTx, what string) {
		var listed int
		if err := tx.List("partners", "", func(string, []byte) (bool, error) {
			listed++
			return true, nil
		}); err != nil {
			t.Fatalf("List(partners) %s: %v", what, err)
		}
		if got, err := tx.Count("partners"); err != nil || got != listed {
			t.Errorf("Count(partners) %s: got %d, %v; want %d (the listing's)", what, got, err, listed)
		}
	}
	_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
		count(tx, "before the update's writes")
		if err := tx.Put(newPartner(lombardia, "e")); err != nil {
			return nil, err
		}
		if err := tx.Put(newPartner(lombardia, "e/notes/z")); err != nil {
			return nil, err
		}
		if err := tx.Delete(partnerName(lombardia, "a")); err != nil {
			return nil, err
		}
		count(tx, "after a put, a child's put and a delete")
		return &emptypb.Empty{}, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	view(t, s, lombardia, func(tx store.ReadTx) error {
		count(tx, "after the update")
		return nil
	})
	view(t, s, veneto, func(tx store.ReadTx) error {
		if got, err := tx.Count("partners"); err != nil || got != 1 {
			t.Errorf("Count(partners) in veneto: got %d, %v; want 1", got, err)
		}
		return nil
	})
}

func testDelete(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		put(t, s, alice, newPartner(lombardia, "p1"))
		for _, name := range []string{partnerName(lombardia, "p2"), partnerName(lombardia, "p"), "regions/lombardia/networks/p1"} {
			_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
				return &emptypb.Empty{}, tx.Delete(name)
			})
			wantCode(t, "Delete("+name+")", err, errs.NotFound)
		}
		wantRevision(t, s, lombardia, 1, "revision after failed deletes")
	})

	t.Run("OtherRegion", func(t *testing.T) {
		s := open(t)
		put(t, s, alice, newPartner(veneto, "p1"))
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			return &emptypb.Empty{}, tx.Delete(partnerName(veneto, "p1"))
		})
		wantCode(t, "Delete(regions/veneto/...) in lombardia", err, errs.Invalid)
		getPartner(t, s, partnerName(veneto, "p1"))
	})

	t.Run("ThenRecreate", func(t *testing.T) {
		s := open(t)
		first, _ := put(t, s, alice, newPartner(lombardia, "p1"))
		other, _ := put(t, s, alice, newPartner(lombardia, "p2"))
		del(t, s, bob, first.GetName())

		wantCode(t, "Get after Delete", getErr(t, s, first.GetName(), new(famiv1.Partner)), errs.NotFound)
		if got, want := listIDs(t, s, lombardia, "partners", ""), []string{"p2"}; !slices.Equal(got, want) {
			t.Errorf("List after Delete: got %q, want %q", got, want)
		}
		wantProto(t, "Get of another partner after Delete", getPartner(t, s, other.GetName()), other)
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			return &emptypb.Empty{}, tx.Delete(first.GetName())
		})
		wantCode(t, "second Delete", err, errs.NotFound)

		again, againNow := put(t, s, alice, newPartner(lombardia, "p1"))
		wantTime(t, "create_time after re-create", again.GetCreateTime(), againNow)
		if again.GetEtag() == first.GetEtag() || again.GetEtag() == other.GetEtag() {
			t.Errorf("etag after re-create: got %q, want one unlike the earlier %q and %q", again.GetEtag(), first.GetEtag(), other.GetEtag())
		}
		wantProto(t, "Get after re-create", getPartner(t, s, again.GetName()), again)
		chs := changes(t, s, lombardia, 0)
		var ops []famiv1.ChangeOperation
		for _, ch := range chs {
			ops = append(ops, ch.GetOperation())
		}
		wantOps := []famiv1.ChangeOperation{
			famiv1.ChangeOperation_CHANGE_OPERATION_CREATE,
			famiv1.ChangeOperation_CHANGE_OPERATION_CREATE,
			famiv1.ChangeOperation_CHANGE_OPERATION_DELETE,
			famiv1.ChangeOperation_CHANGE_OPERATION_CREATE,
		}
		if !slices.Equal(ops, wantOps) {
			t.Errorf("change operations: got %v, want %v", ops, wantOps)
		}
	})

	t.Run("InSameUpdateAsPut", func(t *testing.T) {
		s := open(t)
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			p := newPartner(lombardia, "temp")
			if err := tx.Put(p); err != nil {
				return nil, err
			}
			return &emptypb.Empty{}, tx.Delete(p.GetName())
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		wantCode(t, "Get", getErr(t, s, partnerName(lombardia, "temp"), new(famiv1.Partner)), errs.NotFound)
		if got, want := revision(t, s, lombardia), int64(2); got != want {
			t.Errorf("revision: got %d, want %d", got, want)
		}
	})
}
