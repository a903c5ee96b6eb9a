package support

import (
	"math/rand/v2"
	"testing"
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
