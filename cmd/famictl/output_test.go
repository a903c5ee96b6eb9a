package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestTableColumnsExist: a misspelt column would print an empty column
// forever; every path must name a field.
func TestTableColumnsExist(t *testing.T) {
	for msg, cols := range columns {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(msg)
		if err != nil {
			t.Errorf("%s: %v", msg, err)
			continue
		}
		for _, path := range cols {
			md := d.(protoreflect.MessageDescriptor)
			for _, name := range strings.Split(path, ".") {
				f := md.Fields().ByName(protoreflect.Name(name))
				if f == nil {
					t.Errorf("%s has no field %s", msg, path)
					break
				}
				md = f.Message()
			}
		}
	}
}

// TestTableHoldsNoJSON: -o table writes every answer of the API, whatever
// the command, field by field: a message with every field set (nested
// messages, repeated ones, an Any) prints no JSON, and each of its leaves
// on a line of its own. CreateServiceTokenResponse printed its token's
// fields as one JSON cell.
func TestTableHoldsNoJSON(t *testing.T) {
	n := 0
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		d := mt.Descriptor()
		if d.ParentFile().Package() != "fami.v1" || !strings.HasSuffix(string(d.Name()), "Response") && !isResource(d) {
			return true
		}
		n++
		m := mt.New()
		fill(m, 0)
		var b strings.Builder
		if err := writeTable(&b, m.Interface()); err != nil {
			t.Fatalf("%s: %v", d.FullName(), err)
		}
		if strings.ContainsAny(b.String(), "{}") {
			t.Errorf("%s -o table holds JSON:\n%s", d.FullName(), b.String())
		}
		return true
	})
	if n < 40 { // 49 responses and resources today
		t.Fatalf("checked %d messages; the API has more", n)
	}

	token := &famiv1.CreateServiceTokenResponse{Token: "eyJ.secret", ServiceToken: &famiv1.ServiceToken{
		Name: "regions/lombardia/serviceTokens/0f3c", Subject: "system:sirl:lombardia", DisplayName: "SIRL",
		State: famiv1.ServiceTokenState_SERVICE_TOKEN_STATE_ACTIVE}}
	var b strings.Builder
	if err := writeTable(&b, token); err != nil {
		t.Fatal(err)
	}
	for _, line := range [][]string{{"service_token.name", "regions/lombardia/serviceTokens/0f3c"}, {"service_token.subject", "system:sirl:lombardia"},
		{"service_token.display_name", "SIRL"}, {"service_token.state", "ACTIVE"}, {"token", "eyJ.secret"}} {
		if !regexpLine(b.String(), line...) {
			t.Errorf("service-token create -o table has no line %q:\n%s", line, b.String())
		}
	}

	meeting := &famiv1.Meeting{Title: "Tavolo", Attendance: []*famiv1.PartnerAttendance{{Partner: "regions/lombardia/partners/udp"}, {Partner: "regions/lombardia/partners/cpia"}}}
	b.Reset()
	if err := writeTable(&b, meeting); err != nil {
		t.Fatal(err)
	}
	if !regexpLine(b.String(), "attendance[1].partner", "regions/lombardia/partners/cpia") {
		t.Errorf("a repeated message is not written by index:\n%s", b.String())
	}
}

// isResource reports whether d is a resource of the API (it has a name
// and an etag, and is no request): what get, create and update commands
// print.
func isResource(d protoreflect.MessageDescriptor) bool {
	return d.Fields().ByName("name") != nil && d.Fields().ByName("etag") != nil && !strings.HasSuffix(string(d.Name()), "Request")
}

// fill sets every field of m, to depth 3: one element in lists and maps,
// the first value of enums, a Partner in an Any, and "x" in strings
// (which hold no brace, so a brace in the table is JSON).
func fill(m protoreflect.Message, depth int) {
	if a, ok := m.Interface().(*anypb.Any); ok {
		packed, _ := anypb.New(&famiv1.Partner{Name: "regions/lombardia/partners/x", DisplayName: "x"})
		proto.Merge(a, packed)
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		switch {
		case f.IsMap():
			m.Mutable(f).Map().Set(scalarOf(f.MapKey()).MapKey(), valueOf(m.Mutable(f).Map().NewValue(), f.MapValue(), depth))
		case f.IsList():
			l := m.Mutable(f).List()
			l.Append(valueOf(l.NewElement(), f, depth))
		case f.Message() != nil:
			if depth < 3 {
				fill(m.Mutable(f).Message(), depth+1)
			}
		default:
			m.Set(f, scalarOf(f))
		}
	}
}

// valueOf fills a new list element or map value v of field f.
func valueOf(v protoreflect.Value, f protoreflect.FieldDescriptor, depth int) protoreflect.Value {
	if f.Message() == nil {
		return scalarOf(f)
	}
	if depth < 3 {
		fill(v.Message(), depth+1)
	}
	return v
}

func scalarOf(f protoreflect.FieldDescriptor) protoreflect.Value {
	switch f.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("x")
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte("x"))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(f.Enum().Values().Get(f.Enum().Values().Len() - 1).Number())
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(1.5)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1.5)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(7)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	default:
		return protoreflect.ValueOfInt32(7)
	}
}

// TestOutputRefusedWhereItDoesNotApply: a command that writes something
// of its own (CSV, a token, a file) refuses an explicit --output rather
// than ignoring it, before doing anything; ownOutputArgs lists them all.
func TestOutputRefusedWhereItDoesNotApply(t *testing.T) {
	var annotated []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if _, ok := c.Annotations[ownOutput]; ok {
			annotated = append(annotated, strings.TrimPrefix(c.CommandPath(), "famictl "))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&app{}))
	slices.Sort(annotated)
	if want := slices.Sorted(maps.Keys(ownOutputArgs)); !slices.Equal(annotated, want) {
		t.Errorf("commands that write their own output: %q, want %q", annotated, want)
	}
	for path, args := range ownOutputArgs {
		for _, format := range []string{"table", "json"} {
			var out, errOut strings.Builder
			err := execute(append(append(strings.Fields(path), args...), "-o", format), strings.NewReader(""), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), "--output does not apply to it") || out.Len() > 0 {
				t.Errorf("%s -o %s: err = %v, printed %q; want --output refused", path, format, err, out.String())
			}
		}
	}
}

// ownOutputArgs are the commands that print no answer of the server, with
// the arguments they need.
var ownOutputArgs = map[string][]string{
	"token create":     nil,
	"key rotate":       nil,
	"backup":           nil,
	"restore":          nil,
	"mirror":           nil,
	"logout":           nil,
	"protocol hash":    {"protocol.json"},
	"hours export":     nil,
	"meeting calendar": nil,
}
