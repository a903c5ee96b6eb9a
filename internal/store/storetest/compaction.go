package storetest

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// testCompact covers Compact and Compacted: the log up to the revision is
// dropped (and reported), reading from before it fails with
// REVISION_COMPACTED, resources and the revision counter are untouched,
// and a compaction beyond the revision is refused.
func testCompact(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	for i := range 5 {
		put(t, s, alice, newPartner("lombardia", "p"+string(rune('a'+i))))
	}
	removed, err := s.Compact(t.Context(), "lombardia", 3)
	if err != nil || removed != 3 {
		t.Fatalf("Compact(3) = %d, %v; want 3 removed", removed, err)
	}
	if removed, err := s.Compact(t.Context(), "lombardia", 2); err != nil || removed != 0 {
		t.Fatalf("Compact(2) after Compact(3) = %d, %v; want nothing removed", removed, err)
	}
	if _, err := s.Compact(t.Context(), "lombardia", 6); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("Compact beyond the revision: err = %v, want INVALID", err)
	}
	if _, err := s.Compact(t.Context(), "nowhere", 1); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("Compact of an unknown region: err = %v, want NOT_FOUND", err)
	}
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		if got := tx.Compacted(); got != 3 {
			t.Errorf("Compacted() = %d, want 3", got)
		}
		if got := tx.Revision(); got != 5 {
			t.Errorf("Revision() = %d after compaction, want 5", got)
		}
		err := tx.Changes(2, func(*famiv1.Change) bool { return true })
		if e := errs.As(err); e == nil || e.Code != errs.FailedPrecondition || e.Reason != "REVISION_COMPACTED" {
			t.Errorf("Changes(2) = %v, want FAILED_PRECONDITION REVISION_COMPACTED", err)
		}
		var revs []int64
		if err := tx.Changes(3, func(ch *famiv1.Change) bool { revs = append(revs, ch.GetRevision()); return true }); err != nil {
			return err
		}
		if len(revs) != 2 || revs[0] != 4 || revs[1] != 5 {
			t.Errorf("Changes(3) = %v, want [4 5]", revs)
		}
		return tx.Get(partnerName("lombardia", "pa"), &famiv1.Partner{})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The next write continues the sequence.
	put(t, s, alice, newPartner("lombardia", "pz"))
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		n := 0
		err := tx.Changes(3, func(ch *famiv1.Change) bool { n++; return ch.GetRevision() != 6 })
		if n != 3 {
			t.Errorf("after one more write the log from 3 has %d changes, want 3", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testChanged covers Changed: the channel closes at the region's next
// commit, not at another region's, and not for a failed update.
func testChanged(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ch := s.Changed("lombardia")
	if ch == nil {
		t.Fatal("Changed(lombardia) is nil")
	}
	_, err := s.Update(t.Context(), "lombardia", alice, func(tx store.WriteTx) (proto.Message, error) {
		if err := tx.Put(newPartner("lombardia", "rolled-back")); err != nil {
			return nil, err
		}
		return nil, errs.Invalid.New("refused")
	})
	if err == nil {
		t.Fatal("the failing update succeeded")
	}
	select {
	case <-ch:
		t.Fatal("a failed update signalled a change")
	default:
	}
	put(t, s, alice, newPartner("veneto", "elsewhere"))
	select {
	case <-ch:
		t.Fatal("a commit in veneto signalled lombardia")
	default:
	}
	put(t, s, alice, newPartner("lombardia", "here"))
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("a commit in lombardia did not signal Changed(lombardia)")
	}
	next := s.Changed("lombardia")
	select {
	case <-next:
		t.Fatal("the channel taken after the commit is already closed")
	default:
	}
}
