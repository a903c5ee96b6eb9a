package auth

import (
	"encoding/base64"
	"encoding/json"
	"github.com/golang-jwt/jwt/v5"
	"strings"
	"testing"
	"time"
)

// MustSign signs spec as if it were now.
func (ks *KeySet) MustSign(t *testing.T, spec TokenSpec, now time.Time) string {
	t.Helper()
	s, _, err := ks.Sign(spec, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func JWTHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func JWTEncode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// SignClaims signs arbitrary claims with the current key, so tests can
// forge tokens that only the claim checks can catch.
func (ks *KeySet) SignClaims(t *testing.T, c jwt.Claims) string {
	t.Helper()
	kid, key := ks.signer()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
