package aip_test

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

func TestApplyMask(t *testing.T) {
	mutable := []string{"display_name", "kind", "archived"}
	cur := &famiv1.Partner{Name: "regions/lombardia/partners/p", DisplayName: "Old", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL, Etag: "7"}
	in := &famiv1.Partner{Name: "regions/lombardia/partners/other", DisplayName: "New", Etag: "1", Archived: true}
	for _, tc := range []struct {
		name  string
		paths []string
		want  *famiv1.Partner
		field string // the violation, when refused
	}{
		{"proto name", []string{"display_name"}, &famiv1.Partner{Name: cur.Name, DisplayName: "New", Kind: cur.Kind, Etag: "7"}, ""},
		{"JSON name", []string{"displayName"}, &famiv1.Partner{Name: cur.Name, DisplayName: "New", Kind: cur.Kind, Etag: "7"}, ""},
		{"unset field clears", []string{"kind"}, &famiv1.Partner{Name: cur.Name, DisplayName: "Old", Etag: "7"}, ""},
		{"output-only fields are ignored", []string{"archived", "etag", "name", "update_time"}, &famiv1.Partner{Name: cur.Name, DisplayName: "Old", Kind: cur.Kind, Etag: "7", Archived: true}, ""},
		{"empty mask means every mutable field", nil, &famiv1.Partner{Name: cur.Name, DisplayName: "New", Etag: "7", Archived: true}, ""},
		{"unknown field", []string{"nope"}, nil, "update_mask"},
		{"immutable field", []string{"fiscal_code"}, nil, "update_mask"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := proto.CloneOf(cur)
			err := aip.ApplyMask(dst, in, &fieldmaskpb.FieldMask{Paths: tc.paths}, mutable)
			if tc.field != "" {
				e := errs.As(err)
				if e == nil || e.Code != errs.Invalid || e.Violations[0].Field != tc.field {
					t.Fatalf("err = %v, want INVALID naming %s", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(dst, tc.want) {
				t.Fatalf("got %v, want %v", dst, tc.want)
			}
		})
	}
}

// TestApplyMaskIgnoresOwnOutputOnly: a resource's own output-only fields
// (outputOnly) are ignored like the standard ones, whatever else the mask
// names; a mask naming only them is *aip.Unchanged, never the empty mask
// (which means every mutable field).
func TestApplyMaskIgnoresOwnOutputOnly(t *testing.T) {
	mutable := []string{"title", "signatures"}
	outputOnly := []string{"state", "content_hash"}
	cur := &famiv1.Protocol{Name: "regions/lombardia/protocols/p", Title: "Old", Etag: "7", State: famiv1.ProtocolState_PROTOCOL_STATE_DRAFT}
	in := &famiv1.Protocol{Title: "New", Signatures: []*famiv1.Signature{{Party: "x"}}, State: famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE, ContentHash: "f00d"}
	for _, tc := range []struct {
		paths, want []string // want: the fields applied
		noop        bool
		refused     bool
	}{
		{nil, []string{"title", "signatures"}, false, false},
		{[]string{"title", "state", "signatures"}, []string{"title", "signatures"}, false, false},
		{[]string{"title", "contentHash"}, []string{"title"}, false, false}, // JSON name
		{[]string{"state"}, nil, true, false},
		{[]string{"etag", "state"}, nil, true, false}, // the standard ones too
		{[]string{"unknown_field", "state"}, nil, false, true},
	} {
		dst := proto.CloneOf(cur)
		err := aip.ApplyMask(dst, in, &fieldmaskpb.FieldMask{Paths: tc.paths}, mutable, outputOnly...)
		var u *aip.Unchanged
		switch {
		case tc.refused:
			if e := errs.As(err); e == nil || errors.As(err, &u) || e.Violations[0].Field != "update_mask" {
				t.Errorf("%v: err %v, want INVALID naming update_mask", tc.paths, err)
			}
			continue
		case tc.noop:
			if !errors.As(err, &u) || !proto.Equal(dst, cur) {
				t.Errorf("%v: err %v, dst %v; want *aip.Unchanged holding dst unchanged", tc.paths, err, dst)
			}
			continue
		case err != nil:
			t.Errorf("%v: %v", tc.paths, err)
			continue
		}
		want := proto.CloneOf(cur)
		if slices.Contains(tc.want, "title") {
			want.Title = in.Title
		}
		if slices.Contains(tc.want, "signatures") {
			want.Signatures = in.Signatures
		}
		if !proto.Equal(dst, want) {
			t.Errorf("%v: got %v, want %v (applied %v)", tc.paths, dst, want, tc.want)
		}
	}
}

// TestApplyMaskNamingOnlyOutputOnly: a mask naming fields, none of them
// one to change (a PATCH body holding only the etag), is *aip.Unchanged
// with dst as it was, refused as INVALID naming update_mask where it is
// not answered as a no-op.
func TestApplyMaskNamingOnlyOutputOnly(t *testing.T) {
	cur := &famiv1.Partner{Name: "regions/lombardia/partners/p", DisplayName: "Old", Etag: "7"}
	for _, paths := range [][]string{{"etag"}, {"name", "etag", "create_time"}, {"updateTime"}} {
		dst := proto.CloneOf(cur)
		err := aip.ApplyMask(dst, &famiv1.Partner{DisplayName: "New"}, &fieldmaskpb.FieldMask{Paths: paths}, []string{"display_name"})
		var u *aip.Unchanged
		if !errors.As(err, &u) || u.Resource != dst || !proto.Equal(dst, cur) {
			t.Errorf("%v: err %v, dst %v; want *aip.Unchanged holding dst unchanged", paths, err, dst)
		}
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || e.Violations[0].Field != "update_mask" {
			t.Errorf("%v: err %v, want INVALID naming update_mask", paths, err)
		}
	}
}

// TestApplyMaskNestedPaths: a path inside a mutable message field
// ("programme.measure", as grpc-gateway derives from a body's nested
// object) copies that field alone; one inside an output-only field is
// ignored like the field; one inside a repeated field, a scalar or an
// unknown field is refused naming update_mask.
func TestApplyMaskNestedPaths(t *testing.T) {
	mutable := []string{"title", "programme", "actions"}
	outputOnly := []string{"extensions"}
	cur := &famiv1.Project{Title: "Old", Programme: &famiv1.ProgrammeCodes{SpecificObjective: "OS2", Measure: "1a", Action: "e"}, Etag: "7"}
	in := &famiv1.Project{Title: "New", Programme: &famiv1.ProgrammeCodes{Measure: "2c"},
		Extensions: []*famiv1.Extension{{Reason: "forged"}}}
	for _, tc := range []struct {
		paths   []string
		want    *famiv1.ProgrammeCodes
		refused bool
	}{
		{[]string{"programme.measure"}, &famiv1.ProgrammeCodes{SpecificObjective: "OS2", Measure: "2c", Action: "e"}, false},
		{[]string{"programme.action", "etag"}, &famiv1.ProgrammeCodes{SpecificObjective: "OS2", Measure: "1a"}, false}, // unset in the body: cleared
		{[]string{"programme.specificObjective", "programme.measure"}, &famiv1.ProgrammeCodes{Measure: "2c", Action: "e"}, false},
		{[]string{"programme.nope"}, nil, true},
		{[]string{"title.x"}, nil, true},
		{[]string{"actions.code"}, nil, true},
		{[]string{"extensions.reason", "programme.measure"}, &famiv1.ProgrammeCodes{SpecificObjective: "OS2", Measure: "2c", Action: "e"}, false},
	} {
		dst := proto.CloneOf(cur)
		err := aip.ApplyMask(dst, in, &fieldmaskpb.FieldMask{Paths: tc.paths}, mutable, outputOnly...)
		if tc.refused {
			if e := errs.As(err); e == nil || e.Code != errs.Invalid || e.Violations[0].Field != "update_mask" {
				t.Errorf("%v: err %v, want INVALID naming update_mask", tc.paths, err)
			}
			continue
		}
		want := proto.CloneOf(cur)
		want.Programme = tc.want
		if err != nil || !proto.Equal(dst, want) {
			t.Errorf("%v: got %v, %v; want %v", tc.paths, dst, err, want)
		}
	}

	// A field inside an unset message: set, the message is made to hold
	// it; cleared, no empty message is left behind.
	bare := &famiv1.Project{Title: "Old"}
	dst := proto.CloneOf(bare)
	if err := aip.ApplyMask(dst, &famiv1.Project{}, &fieldmaskpb.FieldMask{Paths: []string{"programme.measure"}}, mutable); err != nil || dst.Programme != nil {
		t.Errorf("clearing inside an unset message: got %v, %v; want no programme", dst, err)
	}
	if err := aip.ApplyMask(dst, in, &fieldmaskpb.FieldMask{Paths: []string{"programme.measure"}}, mutable); err != nil || dst.GetProgramme().GetMeasure() != "2c" {
		t.Errorf("setting inside an unset message: got %v, %v; want measure 2c", dst, err)
	}

	// Inside an output-only field only: nothing to change.
	entry := &famiv1.SupportEntry{Notes: "Old"}
	dstEntry := proto.CloneOf(entry)
	err := aip.ApplyMask(dstEntry, &famiv1.SupportEntry{Review: &famiv1.SupportReview{Reviewer: "forged"}},
		&fieldmaskpb.FieldMask{Paths: []string{"review.reviewer", "review.time"}}, []string{"notes"}, "review")
	var u *aip.Unchanged
	if !errors.As(err, &u) || !proto.Equal(dstEntry, entry) {
		t.Errorf("paths inside an output-only field: err %v, dst %v; want *aip.Unchanged holding dst unchanged", err, dstEntry)
	}
}
