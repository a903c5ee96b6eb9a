package aip_test

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

func TestReadMask(t *testing.T) {
	whole := &famiv1.Network{
		Name: "regions/lombardia/networks/n", DisplayName: "Rete", LeadPartner: "regions/lombardia/partners/p",
		Members:    []*famiv1.Member{{Partner: "regions/lombardia/partners/p", Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}},
		Ats:        "ATS Bergamo",
		CreateTime: &timestamppb.Timestamp{Seconds: 7, Nanos: 9},
		Etag:       "3",
	}
	for _, tc := range []struct {
		name  string
		paths []string
		want  *famiv1.Network
	}{
		{"unset is whole", nil, whole},
		{"star is whole", []string{"*"}, whole},
		{"proto and JSON names", []string{"name", "displayName"}, &famiv1.Network{Name: whole.Name, DisplayName: "Rete"}},
		{"a repeated field whole", []string{"members"}, &famiv1.Network{Members: whole.Members}},
		{"inside a message", []string{"create_time.seconds"}, &famiv1.Network{CreateTime: &timestamppb.Timestamp{Seconds: 7}}},
		{"whole wins over a path inside", []string{"create_time.nanos", "create_time", "createTime.seconds"}, &famiv1.Network{CreateTime: whole.CreateTime}},
		{"a field unset stays unset", []string{"description", "etag"}, &famiv1.Network{Etag: "3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mask, err := aip.ParseReadMask(whole.ProtoReflect().Descriptor(), &fieldmaskpb.FieldMask{Paths: tc.paths})
			if err != nil {
				t.Fatal(err)
			}
			got := proto.CloneOf(whole)
			mask.Apply(got)
			if !proto.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReadMaskAnswers: a field is answered when a path names it or a
// field inside it, and every field is by no mask.
func TestReadMaskAnswers(t *testing.T) {
	md := (&famiv1.Network{}).ProtoReflect().Descriptor()
	for _, tc := range []struct {
		paths []string
		field protoreflect.Name
		want  bool
	}{
		{nil, "etag", true},
		{[]string{"*"}, "etag", true},
		{[]string{"name", "etag"}, "etag", true},
		{[]string{"createTime.seconds"}, "create_time", true},
		{[]string{"name"}, "etag", false},
		{[]string{"create_time.seconds"}, "update_time", false},
	} {
		mask, err := aip.ParseReadMask(md, &fieldmaskpb.FieldMask{Paths: tc.paths})
		if err != nil {
			t.Fatal(err)
		}
		if got := mask.Answers(md.Fields().ByName(tc.field)); got != tc.want {
			t.Errorf("mask %q answers %s: %v, want %v", tc.paths, tc.field, got, tc.want)
		}
	}
}

func TestReadMaskRefusesPathsNamingNoField(t *testing.T) {
	md := (&famiv1.Network{}).ProtoReflect().Descriptor()
	for _, paths := range [][]string{
		{"name", "nope"},
		{""},
		{"*", "name"}, // "*" only alone
		{"members.partner"},
		{"display_name.x"},
		{"create_time.nope"},
	} {
		mask, err := aip.ParseReadMask(md, &fieldmaskpb.FieldMask{Paths: paths})
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "read_mask" || mask != nil {
			t.Errorf("%q: got %v, %v, want INVALID naming read_mask", paths, mask, err)
		}
	}
}

// TestReadMaskDropsUnknownFields: a record of a newer format carries
// fields this server does not know; a mask answers the fields it names,
// not those.
func TestReadMaskDropsUnknownFields(t *testing.T) {
	p := &famiv1.Partner{Name: "regions/lombardia/partners/p", DisplayName: "P", Description: "long"}
	p.ProtoReflect().SetUnknown(protoreflect.RawFields(protowireField(99, "future")))
	mask, err := aip.ParseReadMask(p.ProtoReflect().Descriptor(), &fieldmaskpb.FieldMask{Paths: []string{"name"}})
	if err != nil {
		t.Fatal(err)
	}
	mask.Apply(p)
	if want := (&famiv1.Partner{Name: p.Name}); !proto.Equal(p, want) || len(p.ProtoReflect().GetUnknown()) != 0 {
		t.Fatalf("got %v (unknown %x), want %v", p, p.ProtoReflect().GetUnknown(), want)
	}
}

// protowireField encodes field number n as a length-delimited v.
func protowireField(n protowire.Number, v string) []byte {
	return protowire.AppendString(protowire.AppendTag(nil, n, protowire.BytesType), v)
}
