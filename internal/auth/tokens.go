package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/territory"
)

// The issuer and audience every token carries and every verification pins.
const (
	Issuer   = "raccordo"
	Audience = "raccordo-api"
)

// MaxTokenBytes bounds a bearer token; anything longer is refused before
// parsing, so a hostile header costs nothing.
const MaxTokenBytes = 8 << 10

// leeway tolerates small clock differences between issuer and verifier.
const leeway = 30 * time.Second

// Expired reports whether a token that expires at exp is refused at now
// whatever else holds (its signature, its revocation): exp is past, the
// leeway included.
func Expired(exp, now time.Time) bool { return exp.Before(AcceptedSince(now)) }

// AcceptedSince is the earliest expiry a token may have and still be
// accepted at now: an index of tokens ordered by expiry finds the ones
// not Expired from it on.
func AcceptedSince(now time.Time) time.Time { return now.Add(-leeway) }

// Claims are a token's claims.
type Claims struct {
	jwt.RegisteredClaims
	Role    principal.Role `json:"role"`
	Region  string         `json:"region,omitempty"`
	Partner string         `json:"partner,omitempty"`
	Name    string         `json:"name,omitempty"`
	// Gen is the credential generation of the subject (an account's
	// password changes and deletions raise it); older generations are
	// revoked.
	Gen int64 `json:"gen,omitempty"`
}

// Principal returns the principal the claims describe.
func (c *Claims) Principal() principal.Principal {
	p := principal.Principal{Subject: c.Subject, Role: c.Role, Region: c.Region, Partner: c.Partner, DisplayName: c.Name, Generation: c.Gen, TokenID: c.ID}
	if c.ExpiresAt != nil {
		p.ExpiresAt = c.ExpiresAt.Time
	}
	return p
}

// TokenSpec is what a new token says.
type TokenSpec struct {
	Subject, Region, Partner, Name string
	Role                           principal.Role
	TTL                            time.Duration
	// Generation is the subject's credential generation (see Claims.Gen).
	Generation int64
}

// accountRole reports whether an account may have role r: the roles
// CreateAccount gives, each with a region.
func accountRole(r principal.Role) bool {
	return r == principal.RegionAdmin || r == principal.Consultant || r == principal.NetworkMember
}

// Validate checks that a spec describes a principal the rights table knows.
func (s TokenSpec) Validate() error {
	var v errs.Violations
	switch s.Role {
	case principal.Ministry:
		if s.Region != "" {
			v.Add("region", "must be empty for the ministry")
		}
	case principal.RegionAdmin, principal.Consultant, principal.RegionalSystem, principal.NetworkMember:
		if s.Region == "" {
			v.Add("region", "is required for role %s", s.Role)
		} else if _, ok := territory.LookupRegion(s.Region); !ok {
			v.Add("region", "%q is not a region id (e.g. lombardia, emilia-romagna, trento)", s.Region)
		}
	default:
		v.Add("role", "%q is not a role (ministry, region_admin, consultant, network_member, regional_system)", s.Role)
	}
	if s.Role == principal.NetworkMember {
		if r, _, err := aip.ParseName("partner", s.Partner, "partners"); err != nil || r != s.Region {
			v.Add("partner", "a network member needs a partner of its region: regions/%s/partners/{partner}", s.Region)
		}
	} else if s.Partner != "" {
		v.Add("partner", "is only for network members")
	}
	switch {
	case s.Subject == "":
		v.Add("subject", "is required")
	case strings.HasPrefix(s.Subject, principal.AccountPrefix) && !accountRole(s.Role):
		// An account: subject is unique in its region only (ADR 14), and
		// what a token of it creates in a region (a calendar feed token)
		// is that region's account's: a ministry's token of that subject
		// shared its owner, its limit and its revocations.
		v.Add("subject", "%q names an account of a region: its role is region_admin, consultant or network_member, not %s", s.Subject, s.Role)
	}
	if s.TTL <= 0 {
		v.Add("ttl", "must be positive")
	}
	return v.Err()
}

// Sign issues a token for spec with a fresh jti. It returns the token and
// its claims.
func (ks *KeySet) Sign(spec TokenSpec, now time.Time) (string, *Claims, error) {
	if err := spec.Validate(); err != nil {
		return "", nil, err
	}
	kid, key := ks.signer()
	c := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   spec.Subject,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(spec.TTL)),
			ID:        aip.NewID(),
		},
		Role: spec.Role, Region: spec.Region, Partner: spec.Partner, Name: spec.Name, Gen: spec.Generation,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = kid
	s, err := t.SignedString(key)
	if err != nil {
		return "", nil, fmt.Errorf("sign token: %w", err)
	}
	return s, c, nil
}

// Revocations tells whether a verified token was revoked since it was
// issued: by its jti, or because the credential generation of its subject
// in its region moved past the token's (an account was deleted or its
// password replaced).
type Revocations interface {
	Revoked(jti, subject, region string, generation int64) bool
}

// Verifier checks bearer tokens. Verified claims are cached by token until
// they expire, so the signature check does not dominate the cost of a call;
// revocation is checked on every call, cached or not.
type Verifier struct {
	keys    *KeySet
	revoked Revocations
	now     func() time.Time
	parser  *jwt.Parser

	mu sync.Mutex
	// cache is keyed by the token itself: only tokens whose signature
	// verified get in, so the keys are tokens this server signed, and
	// hashing the string for the map is far cheaper than a SHA-256.
	cache map[string]*Claims
}

// maxCached bounds the verified-token cache.
const maxCached = 10000

// NewVerifier returns a verifier over a key set and a revocation list.
func NewVerifier(keys *KeySet, revoked Revocations, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{
		keys:    keys,
		revoked: revoked,
		now:     now,
		cache:   make(map[string]*Claims),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithIssuer(Issuer),
			jwt.WithAudience(Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(now),
		),
	}
}

// errToken is the one answer to every bad token: the caller learns nothing
// about which check failed.
func errToken(why string) error {
	return errs.InvalidToken.With(errs.Error{Message: "the bearer token is not valid: " + why})
}

// Verify checks a bearer token and returns its claims.
func (v *Verifier) Verify(token string) (*Claims, error) {
	if len(token) > MaxTokenBytes {
		return nil, errToken("too large")
	}
	now := v.now()
	v.mu.Lock()
	c, ok := v.cache[token]
	v.mu.Unlock()
	if ok && Expired(c.ExpiresAt.Time, now) {
		ok = false
	}
	if !ok {
		var err error
		if c, err = v.parse(token); err != nil {
			return nil, err
		}
		v.mu.Lock()
		if len(v.cache) >= maxCached {
			clear(v.cache) // crude but bounded; entries are cheap to rebuild
		}
		v.cache[strings.Clone(token)] = c // not a slice of a larger request buffer
		v.mu.Unlock()
	}
	if err := v.Recheck(c.Principal()); err != nil {
		return nil, err
	}
	return c, nil
}

// Recheck checks again a principal whose token Verify accepted: of what
// Verify checks, only the revocation can change later (a token's signature
// and claims cannot, and its expiry is known in advance), so a stream
// calls this before each message it sends instead of verifying its
// header again.
func (v *Verifier) Recheck(p principal.Principal) error {
	if v.revoked != nil && v.revoked.Revoked(p.TokenID, p.Subject, p.Region, p.Generation) {
		return errToken("revoked")
	}
	return nil
}

func (v *Verifier) parse(token string) (*Claims, error) {
	c := &Claims{}
	_, err := v.parser.ParseWithClaims(token, c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := v.keys.publicKey(kid)
		if !ok {
			return nil, errors.New("unknown key id")
		}
		return k, nil
	})
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errToken("expired")
	case err != nil:
		return nil, errToken("rejected")
	case c.ID == "" || c.IssuedAt == nil:
		return nil, errToken("missing jti or iat")
	}
	spec := TokenSpec{Subject: c.Subject, Region: c.Region, Partner: c.Partner, Role: c.Role, TTL: time.Second}
	if spec.Validate() != nil {
		return nil, errToken("claims do not describe a principal")
	}
	return c, nil
}
