package errs_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/raccordo/raccordo/internal/errs"
)

// FuzzClip: what Clip echoes of a client's value is a prefix of it, at most
// the limit's bytes plus the "..." mark, and valid UTF-8 whenever the value
// was: a message (gRPC status, problem+json, a log line) must never carry a
// rune cut in half because the limit fell inside it.
func FuzzClip(f *testing.F) {
	for _, s := range []string{"", "short", strings.Repeat("a", 81), strings.Repeat("à", 41), "x" + strings.Repeat("€", 30), "\xff\xfe", strings.Repeat("🇮🇹", 12)} {
		f.Add(s, uint8(errs.MaxEcho))
		f.Add(s, uint8(40))
	}
	f.Fuzz(func(t *testing.T, s string, limit uint8) {
		n := int(limit)
		got := errs.Clip(s, n)
		body, clipped := strings.CutSuffix(got, "...")
		if len(s) <= n {
			if got != s {
				t.Fatalf("Clip(%q, %d) = %q, want it whole", s, n, got)
			}
			return
		}
		if !clipped || !strings.HasPrefix(s, body) || len(body) > n {
			t.Fatalf("Clip(%q, %d) = %q, want a prefix of at most %d bytes and \"...\"", s, n, got, n)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q cuts a rune", s, n, got)
		}
		if utf8.ValidString(s) && n >= utf8.UTFMax && len(body) <= n-utf8.UTFMax {
			t.Fatalf("Clip(%q, %d) = %q drops more than the rune the limit falls in", s, n, got)
		}
	})
}
