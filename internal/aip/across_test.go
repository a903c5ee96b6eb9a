package aip_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

// regional is a region's list over items, paged by position as the
// regional lists are.
func regional(items map[string][]string) aip.ListFunc[string] {
	return func(region string, size int32, token string) ([]string, string, error) {
		all := items[region]
		from := 0
		if token != "" {
			from, _ = strconv.Atoi(token)
		}
		to := min(from+int(size), len(all))
		next := ""
		if to < len(all) {
			next = strconv.Itoa(to)
		}
		return all[from:to], next, nil
	}
}

func TestAcrossPagesConsistently(t *testing.T) {
	items := map[string][]string{
		"abruzzo":   {"a1", "a2", "a3"},
		"lombardia": {"l1"},
		"sicilia":   {"s1", "s2"},
		"veneto":    {"v1", "v2", "v3", "v4"},
	}
	var want []string
	for _, r := range aip.RegionIDs() {
		want = append(want, items[r]...)
	}
	for size := int32(1); size <= 12; size++ {
		var got []string
		token := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("size %d: does not end", size)
			}
			page, next, err := aip.Across(size, token, regional(items))
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if len(page) > int(size) {
				t.Errorf("size %d: a page of %d", size, len(page))
			}
			got = append(got, page...)
			if token = next; token == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("size %d: got %q, want %q", size, got, want)
		}
	}
}

func TestAcrossRefusesForeignTokens(t *testing.T) {
	for _, token := range []string{"x", aip.EncodeToken("a1"), "bnZlbmV0bw"} {
		_, _, err := aip.Across(10, token, regional(nil))
		if e := errs.As(err); e == nil || e.Code != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "page_token" {
			t.Errorf("token %q: got %v, want INVALID_ARGUMENT on page_token", token, err)
		}
	}
}
