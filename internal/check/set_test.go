package check_test

import (
	"testing"

	"github.com/raccordo/raccordo/internal/check"
)

func TestSetAgain(t *testing.T) {
	s := check.Set[string]{"pre": true}
	for _, c := range []struct {
		k    string
		want bool
	}{{"a", false}, {"b", false}, {"a", true}, {"pre", true}, {"b", true}} {
		if got := s.Again(c.k); got != c.want {
			t.Errorf("Again(%q) = %v, want %v", c.k, got, c.want)
		}
	}
	if len(s) != 3 {
		t.Errorf("the set holds %v, want pre, a and b", s)
	}
}
