package splitmix_test

import (
	"testing"

	"github.com/raccordo/raccordo/internal/splitmix"
)

// The reference values of splitmix64 seeded with 0 (its first outputs are
// Mix of 0, 1*gamma, 2*gamma... with the gamma added inside Mix).
func TestMixMatchesTheReference(t *testing.T) {
	const gamma = 0x9e3779b97f4a7c15
	for i, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := splitmix.Mix(uint64(i) * gamma); got != want {
			t.Errorf("Mix(%d*gamma) = %#x, want %#x", i, got, want)
		}
	}
}
