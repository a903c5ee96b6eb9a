package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
)

type revokedSet map[string]bool

func (r revokedSet) Revoked(jti, subject, _ string, _ int64) bool { return r[jti] || r[subject] }

func mustKeys(t *testing.T) (*auth.KeySet, string) {
	t.Helper()
	dir := t.TempDir()
	ks, err := auth.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ks, dir
}

var admin = auth.TokenSpec{Subject: "cli:admin", Role: principal.RegionAdmin, Region: "lombardia", TTL: time.Hour}

func TestSignAndVerify(t *testing.T) {
	ks, _ := mustKeys(t)
	tok, claims, err := ks.Sign(admin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	v := auth.NewVerifier(ks, revokedSet{}, nil)
	got, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.ID != claims.ID || got.Principal().Region != "lombardia" || got.Principal().Role != principal.RegionAdmin {
		t.Fatalf("claims = %+v, want those signed (%+v)", got, claims)
	}
	// A second verification comes from the cache and still sees
	// revocation.
	if _, err := auth.NewVerifier(ks, revokedSet{claims.ID: true}, nil).Verify(tok); errs.CodeOf(err) != errs.Unauthenticated {
		t.Fatalf("revoked token: err = %v, want UNAUTHENTICATED", err)
	}
}

// TestRecheck checks that a principal verified once is refused by Recheck
// as soon as its token is revoked, by its id or its subject's generation.
func TestRecheck(t *testing.T) {
	ks, _ := mustKeys(t)
	tok, _, err := ks.Sign(admin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	revoked := revokedSet{}
	v := auth.NewVerifier(ks, revoked, nil)
	claims, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	who := claims.Principal()
	if err := v.Recheck(who); err != nil {
		t.Fatalf("Recheck before revocation: %v", err)
	}
	for _, key := range []string{claims.ID, claims.Subject} {
		clear(revoked)
		revoked[key] = true
		if err := v.Recheck(who); errs.CodeOf(err) != errs.Unauthenticated {
			t.Errorf("Recheck revoked by %q: err = %v, want UNAUTHENTICATED", key, err)
		}
	}
}

func TestRotationKeepsOldTokens(t *testing.T) {
	ks, dir := mustKeys(t)
	old, _, err := ks.Sign(admin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.RotateKey(dir, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	rotated, err := auth.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _, err := rotated.Sign(admin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	header := func(tok string) string { h, _, _ := strings.Cut(tok, "."); return h }
	if header(old) == header(fresh) {
		t.Fatal("the rotated key signs with the same kid")
	}
	v := auth.NewVerifier(rotated, nil, nil)
	for name, tok := range map[string]string{"old key": old, "new key": fresh} {
		if _, err := v.Verify(tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := strings.Count(string(rotated.JWKS()), `"kid"`); n != 2 {
		t.Errorf("JWKS has %d keys, want 2", n)
	}
}

// TestVerifyRejects is the token attack suite at the unit level; the server
// tests run it again through every surface.
func TestVerifyRejects(t *testing.T) {
	ks, _ := mustKeys(t)
	now := time.Now()
	valid, claims, err := ks.Sign(admin, now)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	kid := auth.JWTHeader(t, valid)["kid"].(string)
	sign := func(method jwt.SigningMethod, key any, c jwt.Claims) string {
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// mod forges claims with a jti of their own: the one they copy is
	// revoked below, which would refuse every case whatever its claims.
	mod := func(f func(c *auth.Claims)) *auth.Claims {
		c := *claims
		c.ID = "forged"
		f(&c)
		return &c
	}
	// Control: the forging path itself yields a valid token when nothing is
	// changed, so each case below fails for its own reason.
	if _, err := auth.NewVerifier(ks, nil, nil).Verify(ks.SignClaims(t, mod(func(*auth.Claims) {}))); err != nil {
		t.Fatalf("unmodified forged token refused: %v", err)
	}
	pub := []byte(strings.Split(string(ks.JWKS()), `"x":"`)[1][:43])
	parts := strings.Split(valid, ".")
	for name, tok := range map[string]string{
		"alg none":                       sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims),
		"HS256 public key":               sign(jwt.SigningMethodHS256, pub, claims),
		"another key":                    sign(jwt.SigningMethodEdDSA, otherPriv, claims),
		"expired":                        ks.MustSign(t, admin, now.Add(-3*time.Hour)),
		"not yet valid":                  ks.MustSign(t, admin, now.Add(time.Hour)),
		"wrong issuer":                   ks.SignClaims(t, mod(func(c *auth.Claims) { c.Issuer = "evil" })),
		"valid but revoked":              valid,
		"no jti":                         ks.SignClaims(t, mod(func(c *auth.Claims) { c.ID = "" })),
		"network member without partner": ks.SignClaims(t, mod(func(c *auth.Claims) { c.Role = principal.NetworkMember })),
		"tampered payload":               parts[0] + "." + auth.JWTEncode(t, mod(func(c *auth.Claims) { c.Region = "veneto" })) + "." + parts[2],
		"many dots":                      strings.Repeat(".", 5000),
		"1 MB":                           strings.Repeat("a", 1<<20),
		"garbage":                        "not-a-token",
		"truncated":                      valid[:len(valid)-4],
		"no expiry":                      ks.SignClaims(t, mod(func(c *auth.Claims) { c.ExpiresAt = nil })),
		"unknown role":                   ks.SignClaims(t, mod(func(c *auth.Claims) { c.Role = "root" })),
		// An account: subject is an account of the token's region.
		"ministry of an account subject": ks.SignClaims(t, mod(func(c *auth.Claims) {
			c.Subject, c.Role, c.Region = "account:mrossi", principal.Ministry, ""
		})),
		"system of an account subject": ks.SignClaims(t, mod(func(c *auth.Claims) { c.Subject, c.Role = "account:mrossi", principal.RegionalSystem })),
		"unknown region":               ks.SignClaims(t, mod(func(c *auth.Claims) { c.Region = "atlantide" })),
		"wrong audience":               ks.SignClaims(t, mod(func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"other"} })),
		"empty":                        "",
		"header only valid":            parts[0] + "..",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := auth.NewVerifier(ks, revokedSet{claims.ID: true}, nil).Verify(tok)
			if got := errs.CodeOf(err); got != errs.Unauthenticated {
				t.Fatalf("code = %v (%v), want UNAUTHENTICATED", got, err)
			}
		})
	}
}
