package support

import (
	"math/rand/v2"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestCellAgainstModel adds and removes random figures on random days of
// one cell and checks every range read against a plain per-day model.
func TestCellAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var model [32]figures
	type added struct {
		day int
		f   figures
	}
	var live []added
	v := ""
	for step := 0; step < 3000; step++ {
		if len(live) == 0 || rng.IntN(3) > 0 {
			a := added{day: 1 + rng.IntN(31), f: figures{entries: 1, minutes: int64(15 * (1 + rng.IntN(8)))}}
			a.f.ops[rng.IntN(numRoles)] = int64(rng.IntN(4))
			next, n, err := updateCell(v, a.day, &a.f, 1)
			if err != nil || n <= 0 {
				t.Fatalf("step %d: add: %v (%d entries)", step, err, n)
			}
			v = next
			model[a.day].add(&a.f, 1)
			live = append(live, a)
		} else {
			i := rng.IntN(len(live))
			a := live[i]
			live = append(live[:i], live[i+1:]...)
			next, n, err := updateCell(v, a.day, &a.f, -1)
			if err != nil || n != int64(len(live)) {
				t.Fatalf("step %d: remove: %v (%d entries, want %d)", step, err, n, len(live))
			}
			v = next
			model[a.day].add(&a.f, -1)
			if n == 0 {
				v = "" // the cell is deleted
			}
		}
		first := 1 + rng.IntN(31)
		last := first + rng.IntN(32-first)
		if rng.IntN(4) == 0 {
			first, last = 1, 31
		}
		var want figures
		for d := first; d <= last; d++ {
			want.add(&model[d], 1)
		}
		got, err := readCell(v, first, last)
		if v == "" {
			got, err = figures{}, nil
		}
		if err != nil || got != want {
			t.Fatalf("step %d: days %d-%d: got %+v, %v; want %+v", step, first, last, got, err, want)
		}
	}
	if _, _, err := updateCell("", 3, &figures{entries: 1}, -1); err == nil {
		t.Error("removing from an empty cell: no error")
	}
	if _, err := readCell("\xff", 1, 31); err == nil {
		t.Error("reading a corrupt cell: no error")
	}
}

// TestIndexKeyBytes pins the keys and values support writes in its
// indexes to the bytes already on disk (parts joined by NUL, a consultant
// escaped): a change here needs a migration.
func TestIndexKeyBytes(t *testing.T) {
	e := &famiv1.SupportEntry{
		Name:       "regions/lombardia/supportEntries/e1",
		Consultant: "acct:lombardia:a%b\x00c",
		Date:       "2026-03-09",
		State:      famiv1.SupportEntryState(2),
		Activity:   famiv1.SupportActivity(3),
		Network:    "regions/lombardia/networks/rete-1",
		Contacts:   []string{"regions/lombardia/contacts/op-1"},
	}
	const consultant = "acct:lombardia:a%25b%00c"
	ct := contributionOf(e)
	var cells []string
	for _, u := range cellKeys(ct) {
		cells = append(cells, u.key)
	}
	for _, c := range []struct{ what, got, want string }{
		{"dayKey", dayKey(e), consultant + "\x002026-03-09"},
		{"attrs", attrs(e), "2\x003\x00rete-1\x00" + consultant},
		{"cellPrefix", cellPrefix(kindTotal, "2026-03", scopeRegion, dimActivity, "2"), "t2026-03\x00*\x00a\x002\x00"},
		{"cellKeys", strings.Join(cells, "|"), strings.Join([]string{
			"2026-03\x00*\x00a\x002\x003\x00rete-1",
			"2026-03\x00*\x00c\x002\x00" + consultant + "\x00rete-1",
			"2026-03\x00c:" + consultant + "\x00a\x002\x003\x00rete-1",
			"2026-03\x00*\x00e\x002\x00n\x00rete-1",
			"2026-03\x00*\x00k\x002\x00op-1\x00rete-1",
			"2026-03\x00c:" + consultant + "\x00e\x002\x00n\x00rete-1",
			"2026-03\x00c:" + consultant + "\x00k\x002\x00op-1\x00rete-1",
		}, "|")},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
		}
	}
}
