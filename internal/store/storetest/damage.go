package storetest

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// Damage flips one bit of every value the store under test holds for
// region that contains the text marker, behind the store's back, as a
// disk or a cluster member might (ADR 12).
type Damage func(t *testing.T, region, marker string)

// RecordChecksum checks that a record damaged in storage is answered
// DATA_LOSS (reason RECORD_CORRUPT) naming the record on every read path
// (Get, List, Count, Changes, and the read of a Put or Delete, which never
// write over it), never served as data nor counted, while the region's other records are
// served. open returns a new, empty store, as for Run, and how to damage
// it.
func RecordChecksum(t *testing.T, open func(t *testing.T) (store.Store, Damage)) {
	s, damage := open(t)
	const marker = "DAMAGED-BY-THE-TEST"
	hit := newPartner(lombardia, "hit")
	hit.Description = marker
	put(t, s, alice, hit)                                // revision 1: the record and its change hold the marker
	put(t, s, alice, newPartner(lombardia, "whole"))     // revision 2
	put(t, s, alice, newPartner(veneto, "other-region")) // another region is not touched
	damage(t, lombardia, marker)

	name := partnerName(lombardia, "hit")
	wantCorrupt := func(what, record string, err error) {
		t.Helper()
		e := errs.As(err)
		if e == nil || e.Code != errs.DataLoss || e.Reason != errs.RecordCorrupt {
			t.Errorf("%s: got %v, want DATA_LOSS RECORD_CORRUPT", what, err)
			return
		}
		if e.Metadata["record"] != record {
			t.Errorf("%s: the error names record %q, want %q", what, e.Metadata["record"], record)
		}
	}
	view(t, s, lombardia, func(tx store.ReadTx) error {
		wantCorrupt("Get", name, tx.Get(name, new(famiv1.Partner)))
		wantCorrupt("List", name, tx.List("partners", "", func(id string, _ []byte) (bool, error) {
			if id == "hit" {
				t.Error("List served the damaged record")
			}
			return true, nil
		}))
		n, err := tx.Count("partners")
		wantCorrupt("Count", name, err)
		if n > 1 {
			t.Errorf("Count counted %d partners, the damaged one among them", n)
		}
		wantCorrupt("Changes", "change 1 of region lombardia", tx.Changes(0, func(ch *famiv1.Change) bool {
			if ch.Revision == 1 {
				t.Error("Changes served the damaged change")
			}
			return true
		}))
		// Past the damage, the region is served.
		if err := tx.List("partners", "hit", func(string, []byte) (bool, error) { return true, nil }); err != nil {
			t.Errorf("List after the damaged record: %v", err)
		}
		if err := tx.Changes(1, func(*famiv1.Change) bool { return true }); err != nil {
			t.Errorf("Changes after the damaged change: %v", err)
		}
		return nil
	})
	getPartner(t, s, partnerName(lombardia, "whole"))
	getPartner(t, s, partnerName(veneto, "other-region"))

	_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
		p := newPartner(lombardia, "hit")
		return p, tx.Put(p)
	})
	wantCorrupt("Put over the damaged record", name, err)
	_, err = s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
		return &emptypb.Empty{}, tx.Delete(name)
	})
	wantCorrupt("Delete of the damaged record", name, err)
	wantRevision(t, s, lombardia, 2, "revision after the refused writes")
}

// WantFormatUnknown checks that err, the answer to what, refuses data in
// the format found (one this famid does not know) with UNAVAILABLE
// DATA_FORMAT_UNKNOWN, naming where it lies, the format found, the formats
// known and what to do.
func WantFormatUnknown(t testing.TB, what string, err error, where, found string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Code != errs.Unavailable || e.Reason != errs.DataFormatUnknown {
		t.Fatalf("%s: got %v, want UNAVAILABLE DATA_FORMAT_UNKNOWN", what, err)
	}
	for _, want := range []string{where, `"` + found + `"`, fmt.Sprintf("the newest it reads is format %d", store.DataFormat), "upgrade famid", "copies taken before"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("%s: message %q does not say %q", what, e.Message, want)
		}
	}
	if e.Metadata["format"] != found {
		t.Errorf("%s: metadata %v, want format %q", what, e.Metadata, found)
	}
}
