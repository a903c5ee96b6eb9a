package aip_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

// TestEachRegion: a region whose read fails with DATA_LOSS is passed over
// and named unreachable when several regions are read, but fails a read of
// that region alone; any other error stops the loop.
func TestEachRegion(t *testing.T) {
	damaged := errs.RecordCorrupt.New("the stored record of regions/lombardia/partners/p1 is damaged")
	readFailing := func(bad string, err error, read *[]string) func(string) error {
		return func(region string) error {
			*read = append(*read, region)
			if region == bad {
				return err
			}
			return nil
		}
	}
	regions := []string{"abruzzo", "lombardia", "veneto"}

	var read []string
	unreachable, err := aip.EachRegion(context.Background(), regions, readFailing("lombardia", damaged, &read))
	if err != nil || !slices.Equal(unreachable, []string{"regions/lombardia"}) || !slices.Equal(read, regions) {
		t.Errorf("three regions, lombardia damaged: unreachable %q, %v, read %q; want regions/lombardia, nil and all three", unreachable, err, read)
	}

	read = nil
	if _, err := aip.EachRegion(context.Background(), []string{"lombardia"}, readFailing("lombardia", damaged, &read)); !errors.Is(err, damaged) {
		t.Errorf("lombardia alone, damaged: %v; want its error", err)
	}

	read = nil
	invalid := errs.InvalidField("period", "bad")
	if _, err := aip.EachRegion(context.Background(), regions, readFailing("lombardia", invalid, &read)); !errors.Is(err, invalid) || !slices.Equal(read, regions[:2]) {
		t.Errorf("an invalid request: %v after reading %q; want its error after abruzzo and lombardia", err, read)
	}
}
