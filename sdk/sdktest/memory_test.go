package sdktest_test

import (
	"slices"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/sdktest"
)

// TestMemoryDeleteTakesWhatIsNestedInIt: a deleted resource's nested
// resources go with it, and those of a resource whose id starts as its
// does stay. They stayed behind.
func TestMemoryDeleteTakesWhatIsNestedInIt(t *testing.T) {
	var m sdktest.Memory
	ctx := t.Context()
	m.Reset(ctx)
	for _, r := range []sdk.Resource{
		&famiv1.Project{Name: "regions/lombardia/projects/gone"},
		&famiv1.MonitoringReport{Name: "regions/lombardia/projects/gone/monitoringReports/2025-q1"},
		&famiv1.Project{Name: "regions/lombardia/projects/gone-too"},
		&famiv1.MonitoringReport{Name: "regions/lombardia/projects/gone-too/monitoringReports/2025-q1"},
	} {
		m.Put(ctx, r)
	}
	m.Delete(ctx, "regions/lombardia/projects/gone")
	items, _, _ := m.State()
	var left []string
	for name := range items {
		left = append(left, name)
	}
	slices.Sort(left)
	want := []string{"regions/lombardia/projects/gone-too", "regions/lombardia/projects/gone-too/monitoringReports/2025-q1"}
	if !slices.Equal(left, want) {
		t.Errorf("after the delete, the mirror holds %v, want %v", left, want)
	}
}
