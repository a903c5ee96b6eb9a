package web

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzRenumberRows feeds any form, as a hostile client may post it, to
// renumberRows. A form it accepts keeps every field and value it was
// sent, each group's rows now numbered 0 to n-1 in the order of their old
// numbers, and every other field as it was; one it refuses is left as
// sent, and the refusal names a field or a group.
func FuzzRenumberRows(f *testing.F) {
	for _, s := range []string{"", "member.0.partner=a&member.1.partner=b", "member.0.partner=a&member.2.partner=c&member.2.role=LEAD",
		"member.4000000000000000000.partner=x", "member.x.partner=y", "member.01.partner=y", "member.-1.partner=y", "member.1",
		"party.3.commitments=z&action.7.code=01&action.7.title=T&dev.9.cause=c&ppl.2.count=3&ai.5.owner=o", "att.regions/x/partners/p=3",
		"member..partner=a", "member.0=a&member.0.=b", "membership.1.x=y", "member.99999999999999999999.partner=a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		sent := cloneValues(v)
		if refusal := renumberRows(v); refusal != "" {
			if !maps.EqualFunc(v, sent, slices.Equal) {
				t.Fatalf("refused %q (%s) and changed it to %v", query, refusal, v)
			}
			return
		}
		if len(v) != len(sent) {
			t.Fatalf("%q renumbered has %d fields, want %d", query, len(v), len(sent))
		}
		for name, values := range sent {
			group, row, isRow, _ := rowKey(name)
			if !isRow {
				if !slices.Equal(v[name], values) {
					t.Fatalf("%q: %s changed to %v", query, name, v[name])
				}
				continue
			}
			// The row's new number is how many distinct rows of its group
			// came before it.
			before := map[int]bool{}
			for other := range sent {
				if g, r, ok, _ := rowKey(other); ok && g == group && r < row {
					before[r] = true
				}
			}
			_, field, _ := strings.Cut(strings.TrimPrefix(name, group+"."), ".")
			moved := group + "." + strconv.Itoa(len(before)) + "." + field
			if !slices.Equal(v[moved], values) {
				t.Fatalf("%q: %s is %v as %s, want %v", query, name, v[moved], moved, values)
			}
		}
	})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
