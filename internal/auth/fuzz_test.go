package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

// FuzzVerify gives the verifier any string as a bearer token: it never
// panics, and whatever is not a token the server signed is refused as
// UNAUTHENTICATED.
func FuzzVerify(f *testing.F) {
	keys, err := auth.LoadOrCreateKeys(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	good, _, err := keys.Sign(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia", TTL: time.Hour}, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	for _, s := range []string{"", ".", "..", good, parts[0] + ".." + parts[2], parts[0] + "." + parts[1] + ".", "eyJhbGciOiJub25lIn0.e30.", strings.Repeat("a", 9000)} {
		f.Add(s)
	}
	v := auth.NewVerifier(keys, nil, nil)
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		if err == nil {
			if token != good {
				t.Errorf("a token the server did not sign verified: %q (%+v)", token, c)
			}
			return
		}
		if errs.CodeOf(err) != errs.Unauthenticated {
			t.Errorf("refused %q with %v, want UNAUTHENTICATED", token, err)
		}
	})
}
