package sdk_test

import (
	"context"
	"reflect"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
)

// TestClientForEveryService: NewClient gives a client of every service of
// the API (docs/sdk.md promises one), each one set, and the two read-only
// services last added answer through it.
func TestClientForEveryService(t *testing.T) {
	c := sdk.NewClient(nil, serverURL, token)
	fields := map[string]reflect.Value{}
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		fields[v.Field(i).Type().Name()] = v.Field(i)
	}
	services := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("fami.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			services++
			name := string(fd.Services().Get(i).Name()) + "Client"
			if f, ok := fields[name]; !ok {
				t.Errorf("sdk.Client has no %s", name)
			} else if f.IsNil() {
				t.Errorf("NewClient leaves its %s nil", name)
			}
		}
		return true
	})
	if services < 16 {
		t.Fatalf("found %d services of fami.v1: the generated descriptors are not registered", services)
	}

	ctx := context.Background()
	if _, err := c.Overlaps.ListOverlaps(ctx, &famiv1.ListOverlapsRequest{Parent: "regions/lombardia"}); err != nil {
		t.Errorf("Overlaps.ListOverlaps: %v", err)
	}
	if _, err := c.Dashboard.SummarizeRegions(ctx, &famiv1.SummarizeRegionsRequest{Name: "regions/lombardia"}); err != nil {
		t.Errorf("Dashboard.SummarizeRegions: %v", err)
	}
}
