package resource_test

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
)

// TestReadVarints reads a stored summary's two amounts as proto.Unmarshal
// does: nested and repeated fields stepped over, the last value of a field
// repeated in the encoding winning, an absent field left as it was, and a
// truncated encoding an error.
func TestReadVarints(t *testing.T) {
	m := &famiv1.MonitoringSummary{QuarterCommittedCents: 7, QuarterPaidCents: 5, Period: "2021-q1",
		Indicators: []*famiv1.IndicatorProgress{{Code: "OUT-01", Achieved: 3}}}
	raw, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	fields := (&famiv1.MonitoringSummary{}).ProtoReflect().Descriptor().Fields()
	committed, paid := fields.ByName("quarter_committed_cents").Number(), fields.ByName("quarter_paid_cents").Number()
	raw = protowire.AppendVarint(protowire.AppendTag(raw, paid, protowire.VarintType), 9) // a later value of paid
	c, p, absent := uint64(0), uint64(0), uint64(42)
	if err := resource.ReadVarints(raw, resource.Varint{Num: committed, Value: &c}, resource.Varint{Num: paid, Value: &p}, resource.Varint{Num: 999, Value: &absent}); err != nil {
		t.Fatal(err)
	}
	if c != 7 || p != 9 || absent != 42 {
		t.Errorf("committed %d, paid %d, absent %d; want 7, 9 (the last), 42 (untouched)", c, p, absent)
	}
	if err := resource.ReadVarints(raw[:len(raw)-1], resource.Varint{Num: paid, Value: &p}); err == nil {
		t.Error("a truncated encoding read without an error")
	}
}
