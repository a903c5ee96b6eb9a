package check_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

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
		"field mask":                 &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: "n"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: slices.Repeat([]string{"display_name"}, check.MaxRepeated+1)}},
		"field mask within":          &famiv1.UpdateNetworkRequest{Network: &famiv1.Network{Name: "n"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "members"}}},
	} {
		for _, enc := range encodings {
			t.Run(enc.name+"/"+name, func(t *testing.T) {
				b, err := enc.marshal(msg)
				if err != nil {
					t.Fatal(err)
				}
				got := msg.ProtoReflect().New().Interface()
				if err := enc.unmarshal(b, got); err != nil {
					t.Fatalf("unmarshal: %v", err)
				}
				checkDecoded(t, msg, got)
			})
		}
	}
}

// encodings are the two decoders with their encoders.
var encodings = []struct {
	name      string
	marshal   func(proto.Message) ([]byte, error)
	unmarshal func([]byte, proto.Message) error
}{
	{"wire", proto.Marshal, check.Unmarshal},
	{"json", protojson.Marshal, func(b []byte, m proto.Message) error { return check.UnmarshalJSON(b, m, protojson.UnmarshalOptions{}) }},
}

// checkDecoded compares what was decoded, got, with what was sent.
func checkDecoded(t *testing.T, msg, got proto.Message) {
	t.Helper()
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
}

// TestUnmarshalRefusesGarbage: an encoding proto.Unmarshal or protojson
// refuses is refused too.
func TestUnmarshalRefusesGarbage(t *testing.T) {
	if err := check.Unmarshal([]byte{0x0a, 0xff}, &famiv1.CreateNetworkRequest{}); err == nil {
		t.Error("got no error for a truncated encoding")
	}
	for _, body := range []string{`{"names": [`, `{"names": ["a",]}`, `{"names" ["a"]}`, `{"names": ["a"]`, `{"nope": 1}`, `[1]`} {
		if err := check.UnmarshalJSON([]byte(body), &famiv1.BatchApproveSupportEntriesRequest{}, protojson.UnmarshalOptions{}); err == nil {
			t.Errorf("%s: got no error", body)
		}
	}
}

// TestUnmarshalJSONKeys: a field is found by its JSON name, its proto name
// or an escaped spelling of either, as protojson finds it.
func TestUnmarshalJSONKeys(t *testing.T) {
	many := `["x"` + strings.Repeat(`,"x"`, check.MaxRepeated) + `]`
	for _, key := range []string{`"names"`, `"names"`, `"network.members"`} {
		body := `{"parent": "regions/lombardia", ` + key + `: ` + many + `}`
		got := &famiv1.BatchApproveSupportEntriesRequest{}
		err := check.UnmarshalJSON([]byte(body), got, protojson.UnmarshalOptions{})
		if key == `"network.members"` {
			if err == nil {
				t.Errorf("%s: got no error for an unknown field", key)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if len(got.GetNames()) != 0 || !slices.Equal(violations(t, check.Bounds(got)), []string{"names"}) {
			t.Errorf("%s: decoded %d names, violations %v; want none decoded and names refused", key, len(got.GetNames()), check.Bounds(got))
		}
	}
	nested := `{"network": {"displayName": "x", "members": [{}` + strings.Repeat(`,{}`, check.MaxRepeated) + `]}}`
	// The gateway decodes a body into the request's field it maps to.
	got := &famiv1.CreateNetworkRequest{Network: &famiv1.Network{}}
	if err := check.UnmarshalJSON([]byte(nested)[len(`{"network": `):len(nested)-1], got.Network, protojson.UnmarshalOptions{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(violations(t, check.Bounds(got)), []string{"network.members"}) {
		t.Errorf("a REST body decoded into a field of the request: got %v, want network.members refused", check.Bounds(got))
	}
}

// FuzzUnmarshal: on any input, check.Unmarshal and check.UnmarshalJSON
// agree with proto.Unmarshal and protojson on what is within its limits,
// and what they decode is never within its limits when the plain decoder's
// result is not.
func FuzzUnmarshal(f *testing.F) {
	seed := &famiv1.CreateNetworkRequest{Parent: "regions/lombardia", NetworkId: "n", Network: &famiv1.Network{
		DisplayName: "Rete", Members: []*famiv1.Member{{Partner: "regions/lombardia/partners/p"}}, Municipalities: []string{"015146"}}}
	b, _ := proto.Marshal(seed)
	j, _ := protojson.Marshal(seed)
	f.Add(b, false)
	f.Add(j, true)
	f.Add([]byte(`{"network": {"members": [{}, {}, {"partner": "\u0070"}], "municipalities": []}, "parent": null}`), true)
	f.Add([]byte(`{"network": {"members": [{}, {} {}]}}`), true)
	f.Add([]byte{0x0a, 0x02, 0x08, 0x01, 0x1a, 0x00}, false)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		got, plain := &famiv1.CreateNetworkRequest{}, &famiv1.CreateNetworkRequest{}
		var err, plainErr error
		if isJSON {
			err, plainErr = check.UnmarshalJSON(data, got, protojson.UnmarshalOptions{}), protojson.Unmarshal(data, plain)
		} else {
			err, plainErr = check.Unmarshal(data, got), proto.Unmarshal(data, plain)
		}
		switch {
		case plainErr == nil && check.Bounds(plain) == nil:
			if err != nil || !proto.Equal(got, plain) {
				t.Errorf("within its limits: got %v, %v; want what the plain decoder gives", got, err)
			}
		case plainErr == nil:
			if err == nil && check.Bounds(got) == nil {
				t.Errorf("over its limits, but what was decoded passes Bounds")
			}
		case err == nil && check.Bounds(got) == nil:
			t.Errorf("the plain decoder refuses it (%v), but what was decoded passes Bounds", plainErr)
		}
	})
}
