package main

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/raccordo/raccordo/gen/fami/v1"
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
