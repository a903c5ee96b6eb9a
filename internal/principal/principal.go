// Package principal carries the authenticated caller of a request through a
// context, from the transport edge down to the services and the change log.
package principal

import (
	"context"
	"net/netip"
	"strings"
	"time"
)

// Role is the level of governance a principal acts at.
type Role string

// The roles of the rights table (DESIGN.md section 6).
const (
	Ministry       Role = "ministry"
	RegionAdmin    Role = "region_admin"
	Consultant     Role = "consultant"
	NetworkMember  Role = "network_member"
	RegionalSystem Role = "regional_system"
)

// Principal is who makes a request.
type Principal struct {
	// Subject identifies the principal (JWT "sub"); it is what the change
	// log records.
	Subject string
	Role    Role
	// Region is the region id the principal is bound to; empty for the
	// ministry.
	Region string
	// Partner is the partner resource name a network member works for.
	Partner     string
	DisplayName string
	// ExpiresAt is when the principal's credentials expire.
	ExpiresAt time.Time
	// Generation is the subject's credential generation the credentials
	// were issued at; a deleted account or a replaced password raises it.
	Generation int64
	// TokenID is the id (jti) of the bearer token presented.
	TokenID string
}

// AccountPrefix starts the subject of a person's account
// ("account:mrossi"). A person's lasting credential is the account (its
// password, Generation); a login token is only a session of it. Any other
// subject is a machine credential (a service token, a token minted with
// famictl), each token a credential of its own.
const AccountPrefix = "account:"

// SystemPrefix starts the subject of a regional system's service token
// ("system:protocollo-regionale").
const SystemPrefix = "system:"

// MachineToken reports whether p's credential is a token of its own rather
// than a session of an account: what p creates to last (a calendar feed
// token) must then die with that token.
func (p Principal) MachineToken() bool {
	return p.Authenticated() && !strings.HasPrefix(p.Subject, AccountPrefix)
}

// MaxNameRunes bounds the display name Name returns.
const MaxNameRunes = 200

// Name is p's display name as a record keeps it beside p's subject, for
// people to read instead of the subject (a support entry's consultant, a
// protocol's signer, a report's submitter, a change's author): trimmed
// and cut to MaxNameRunes, since a token's name claim is not a field
// that was validated.
func (p Principal) Name() string {
	n := strings.TrimSpace(p.DisplayName)
	if r := []rune(n); len(r) > MaxNameRunes {
		n = strings.TrimSpace(string(r[:MaxNameRunes]))
	}
	return n
}

// Authenticated reports whether p comes from a verified credential.
func (p Principal) Authenticated() bool { return p.Role != "" }

// Anonymous is the principal of a request without credentials.
var Anonymous = Principal{Subject: "anonymous"}

type (
	key     struct{}
	addrKey struct{}
)

// With returns a context carrying p.
func With(ctx context.Context, p Principal) context.Context { return withValue(ctx, key{}, p) }

// From returns the principal in ctx, or Anonymous.
func From(ctx context.Context) Principal { return valueOf(ctx, key{}, Anonymous) }

// WithClientAddr returns a context carrying the client's network address
// (without port), for per-client limits such as failed logins.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return withValue(ctx, addrKey{}, addr)
}

// ClientAddr returns the client's address in ctx, or "".
func ClientAddr(ctx context.Context) string { return valueOf(ctx, addrKey{}, "") }

// Client is the client of the call in ctx as every per-client limit
// counts it (ClientOf its address).
func Client(ctx context.Context) string { return ClientOf(ClientAddr(ctx)) }

// ClientOf is the client a network address (without port) is, as every
// per-client limit counts it (failed logins, survey tickets, open data): an
// IPv4 address (an IPv4-mapped IPv6 one read as such), or an IPv6
// address's /64. One line or host (a home router, a cloud VM) is given a
// whole /64 and may send from any address in it, as its privacy addresses
// do: counted address by address, it held 2^64 budgets, and a per-client
// limit bound nothing. Anything else that is not an IP address is its own
// client.
func ClientOf(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	if ip = ip.Unmap().WithZone(""); ip.Is4() {
		return ip.String()
	}
	prefix, err := ip.Prefix(64)
	if err != nil {
		return addr
	}
	return prefix.String()
}

// withValue stores a pointer to v, the form callContext.Value answers
// with: that Value returns pointers to its fields because returning them
// as values would box, and so allocate, on every read; valueOf then finds
// a *V whichever of the two contexts holds the value.
func withValue[V any](ctx context.Context, k any, v V) context.Context {
	return context.WithValue(ctx, k, &v)
}

// valueOf is the value withValue stored under k in ctx, or otherwise.
func valueOf[V any](ctx context.Context, k any, otherwise V) V {
	if v, ok := ctx.Value(k).(*V); ok {
		return *v
	}
	return otherwise
}

// WithCall returns a context carrying a call's client address and its
// principal, as WithClientAddr and With would, in one allocation instead
// of four: every call of the API makes it (issue 19).
func WithCall(ctx context.Context, addr string, p Principal) context.Context {
	return &callContext{Context: ctx, addr: addr, p: p}
}

type callContext struct {
	context.Context
	addr string
	p    Principal
}

// Value holds pointers into the context, as With and WithClientAddr do,
// so that reading a value allocates nothing either.
func (c *callContext) Value(k any) any {
	switch k.(type) {
	case key:
		return &c.p
	case addrKey:
		return &c.addr
	}
	return c.Context.Value(k)
}
