package check_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
)

// violations lists the fields of Bounds' violations.
func violations(t *testing.T, err error) []string {
	t.Helper()
	var fields []string
	if e := errs.As(err); e != nil {
		for _, v := range e.Violations {
			fields = append(fields, v.Field)
		}
	} else if err != nil {
		t.Fatalf("got %v, want an *errs.Error", err)
	}
	return fields
}

// TestUnmarshalBounds: what check.Unmarshal decodes, Bounds refuses exactly
// as it refuses the message that was sent, naming the same field and
// count (without decoding the oversized field); a message within its limits decodes as proto.Unmarshal decodes it;
// the other top-level fields of a refused one are still decoded (the
// policy reads its parent).
func TestUnmarshalBounds(t *testing.T) {
	members := func(n int) []*famiv1.Member {
		m := make([]*famiv1.Member, n)
		for i := range m {
			m[i] = &famiv1.Member{}
		}
		return m
	}
	att := func(roles int) *famiv1.PartnerAttendance {
		r := make([]*famiv1.AttendeeCount, roles)
		for i := range r {
			r[i] = &famiv1.AttendeeCount{}
		}
		return &famiv1.PartnerAttendance{Partner: "p", Roles: r}
	}
	for name, msg := range map[string]proto.Message{
		"within limits":              &famiv1.BatchApproveSupportEntriesRequest{Parent: "regions/lombardia", Names: make([]string, check.MaxRepeated)},
		"top-level list":             &famiv1.BatchApproveSupportEntriesRequest{Parent: "regions/lombardia", Names: make([]string, check.MaxRepeated+1)},
		"nested list":                &famiv1.CreateNetworkRequest{Parent: "regions/lombardia", Network: &famiv1.Network{DisplayName: "x", Members: members(60000)}},
		"override above the default": &famiv1.CreateNetworkRequest{Parent: "regions/lombardia", Network: &famiv1.Network{Municipalities: make([]string, 1500)}},
		"list inside a list":         &famiv1.RecordAttendanceRequest{Name: "regions/lombardia/meetings/m", Attendance: []*famiv1.PartnerAttendance{att(1), att(21)}},
		"packed scalars":             &famiv1.QuestionResult{Question: "q", ScoreCounts: make([]int64, 1500)},
		"packed scalars within":      &famiv1.QuestionResult{Question: "q", ScoreCounts: []int64{1, 300, 5, 0, 1 << 40}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := proto.Marshal(msg)
			if err != nil {
				t.Fatal(err)
			}
			got := msg.ProtoReflect().New().Interface()
			if err := check.Unmarshal(b, got); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			sent, decoded := check.Bounds(msg), check.Bounds(got)
			if want, got := violations(t, sent), violations(t, decoded); !slices.Equal(got, want) {
				t.Fatalf("violations of the decoded message: got %q, want %q", got, want)
			}
			if sent == nil {
				if !proto.Equal(got, msg) {
					t.Errorf("a message within its limits decoded differently from proto.Unmarshal")
				}
				return
			}
			if got, want := decoded.Error(), sent.Error(); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			// Without the refusal, nothing decoded is over its limit: the
			// oversized field was never decoded.
			got.ProtoReflect().SetUnknown(nil)
			if err := check.Bounds(got); err != nil {
				t.Errorf("the oversized field was decoded: %v", err)
			}
			first := msg.ProtoReflect().Descriptor().Fields().Get(0)
			if g, w := got.ProtoReflect().Get(first), msg.ProtoReflect().Get(first); !g.Equal(w) {
				t.Errorf("field %s of a refused message: got %v, want %v", first.Name(), g, w)
			}
		})
	}
}

// TestUnmarshalRefusesGarbage: an encoding proto.Unmarshal refuses is
// refused too.
func TestUnmarshalRefusesGarbage(t *testing.T) {
	if err := check.Unmarshal([]byte{0x0a, 0xff}, &famiv1.CreateNetworkRequest{}); err == nil {
		t.Error("got no error for a truncated encoding")
	}
}
