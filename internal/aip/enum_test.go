package aip

import (
	"strings"
	"testing"
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestEnumName checks every value of every enum of the API against the
// prefix its type's name gives (SupportOperatorRole: SUPPORT_OPERATOR_ROLE_),
// and a number no enum defines.
func TestEnumName(t *testing.T) {
	enums := 0
	protoregistry.GlobalFiles.RangeFilesByPackage(famiv1.File_fami_v1_protocol_proto.Package(), func(f protoreflect.FileDescriptor) bool {
		for i := 0; i < f.Enums().Len(); i++ {
			ed := f.Enums().Get(i)
			et, err := protoregistry.GlobalTypes.FindEnumByName(ed.FullName())
			if err != nil {
				t.Fatal(err)
			}
			prefix := upperSnake(string(ed.Name())) + "_"
			for j := 0; j < ed.Values().Len(); j++ {
				v := ed.Values().Get(j)
				want := strings.TrimPrefix(string(v.Name()), prefix)
				if got := EnumName(et.New(v.Number())); got != want {
					t.Errorf("EnumName(%s) = %q, want %q", v.Name(), got, want)
				}
			}
			enums++
		}
		return true
	})
	if enums < 10 {
		t.Fatalf("checked %d enums: the API's files were not found", enums)
	}
	if got := EnumName(famiv1.SupportEntryState(99)); got != "99" {
		t.Errorf("EnumName(99) = %q, want the number", got)
	}
}

// upperSnake spells a type name as buf's enum value prefixes do:
// SupportOperatorRole is SUPPORT_OPERATOR_ROLE.
func upperSnake(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
