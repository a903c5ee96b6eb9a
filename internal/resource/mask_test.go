package resource_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// TestApplyMaskRunsTheUpdateWhole: an Update whose mask changes nothing
// runs on past resource.ApplyMask, so its checks refuse it as they refuse
// a change; accepted, it writes nothing (no revision) and answers the
// resource as stored, which the update may show as its Get does. Outside
// an opening the no-op is still the refusal naming update_mask.
func TestApplyMaskRunsTheUpdateWhole(t *testing.T) {
	s, ctx := seeded(t, 1)
	name := aip.Name("lombardia", resource.Partners, "p01")
	revision := func() int64 {
		var rev int64
		if err := s.View(ctx, "lombardia", func(tx store.ReadTx) error { rev = tx.Revision(); return nil }); err != nil {
			t.Fatal(err)
		}
		return rev
	}
	stored, err := resource.Get[*famiv1.Partner](ctx, s, resource.Partners, name)
	if err != nil {
		t.Fatal(err)
	}
	in := &famiv1.Partner{Name: name, DisplayName: "Cambiato"}
	noop := &fieldmaskpb.FieldMask{Paths: []string{"etag"}}
	refused := errs.NotOwnEntry.New("not yours")
	update := func(mask *fieldmaskpb.FieldMask, check error) (*famiv1.Partner, error) {
		return resource.Update(ctx, s, &famiv1.UpdatePartnerRequest{Partner: in}, "partner", in, resource.Partners,
			func(tx store.WriteTx, cur *famiv1.Partner) (*famiv1.Partner, error) {
				next := proto.CloneOf(cur)
				unchanged, err := resource.ApplyMask(tx, next, in, mask, []string{"display_name"})
				if err != nil {
					return nil, err
				}
				if unchanged != nil {
					unchanged.Description = "as Get shows it"
				}
				if check != nil {
					return nil, check
				}
				return next, tx.Put(next)
			})
	}
	before := revision()
	if _, err := update(noop, refused); err != refused {
		t.Errorf("a no-op the update's check refuses: %v, want the check's refusal", err)
	}
	got, err := update(noop, nil)
	want := proto.CloneOf(stored)
	want.Description = "as Get shows it"
	if err != nil || !proto.Equal(got, want) {
		t.Errorf("a no-op: %v, %v; want the resource as stored, as shown: %v", got, err, want)
	}
	if after := revision(); after != before {
		t.Errorf("revision after the no-ops %d, want %d: nothing written", after, before)
	}
	if got, err := update(nil, nil); err != nil || got.GetDisplayName() != "Cambiato" || revision() != before+1 {
		t.Errorf("a change: %v, %v, revision %d; want it written at %d", got, err, revision(), before+1)
	}

	var u *aip.Unchanged
	if _, err := resource.ApplyMask[*famiv1.Partner](nil, proto.CloneOf(stored), in, noop, []string{"display_name"}); !errors.As(err, &u) {
		t.Errorf("a no-op outside an opening: %v, want *aip.Unchanged", err)
	}
}

// TestAbsentFor: a taken name is refused with the collection's read
// refusal to a caller who may not read the stored resource, and with
// ALREADY_EXISTS to one who may; a free name passes without a read.
func TestAbsentFor(t *testing.T) {
	s, ctx := seeded(t, 1)
	taken := &famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, "p01")}
	free := &famiv1.Partner{Name: aip.Name("lombardia", resource.Partners, "p02")}
	hidden := errs.NotOwnEntry.New("not yours")
	err := s.View(ctx, "lombardia", func(tx store.ReadTx) error {
		var read []string
		mayNot := func(p *famiv1.Partner) error { read = append(read, p.GetDisplayName()); return hidden }
		may := func(*famiv1.Partner) error { return nil }
		if err := resource.AbsentFor(tx, taken, "partner_id", mayNot); err != hidden {
			t.Errorf("a taken name the caller may not read: %v, want the read refusal", err)
		}
		if len(read) != 1 || read[0] != "Partner p01" {
			t.Errorf("mayRead saw %v, want the stored partner", read)
		}
		if err := resource.AbsentFor(tx, taken, "partner_id", may); errs.CodeOf(err) != errs.AlreadyExists {
			t.Errorf("a taken name the caller may read: %v, want ALREADY_EXISTS", err)
		}
		if err := resource.AbsentFor(tx, free, "partner_id", mayNot); err != nil || len(read) != 1 {
			t.Errorf("a free name: %v (mayRead called %d times), want nil without a read", err, len(read))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
