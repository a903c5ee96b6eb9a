package web

import (
	"cmp"
	"slices"

	"github.com/raccordo/raccordo/internal/namekey"
)

// enumOptions lists an enum's values but the zero one, labelled from the
// catalogue, in declaration order.
func enumOptions(names map[int32]string, name func(int32) string) []option {
	var nums []int32
	for n := range names {
		if n != 0 {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	out := make([]option, 0, len(nums))
	for _, n := range nums {
		out = append(out, option{Value: name(n), Label: msg("enum." + name(n))})
	}
	return out
}

// sortedOptions lists name -> label pairs sorted by label as names
// compare (namekey.Of: "Città" beside "Citta", not after "Cz"), then by
// name, so that the order never depends on the map's.
func sortedOptions(m map[string]string) []option {
	out := make([]option, 0, len(m))
	for v, l := range m {
		out = append(out, option{Value: v, Label: l})
	}
	slices.SortFunc(out, func(a, b option) int {
		return cmp.Or(cmp.Compare(namekey.Of(a.Label), namekey.Of(b.Label)), cmp.Compare(a.Value, b.Value))
	})
	return out
}
