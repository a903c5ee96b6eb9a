package disclosure

import "testing"

func TestWithheld(t *testing.T) {
	for n, want := range map[int64]bool{0: false, 1: true, 2: true, MinPersons: false, 40: false} {
		if got := Withheld(n); got != want {
			t.Errorf("Withheld(%d) = %v, want %v", n, got, want)
		}
	}
}
