package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/server"
)

// authProbe makes one protected call, ListPartners of regions/lombardia,
// with an Authorization header sent verbatim, over each surface.
type authProbe struct {
	ts      *testServer
	grpc    famiv1.PartnerServiceClient
	connect famiv1connect.PartnerServiceClient
	grpcweb famiv1connect.PartnerServiceClient
	hc      *http.Client
}

// authHeaderKey carries the verbatim Authorization header of a probe to
// the connect-go interceptor.
type authHeaderKey struct{}

func newAuthProbe(t *testing.T, ts *testServer) *authProbe {
	t.Helper()
	verbatim := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if h, _ := ctx.Value(authHeaderKey{}).(string); h != "" {
				req.Header().Set("Authorization", h)
			}
			return next(ctx, req)
		}
	})
	hc := newHTTPClient(t)
	return &authProbe{
		ts:      ts,
		grpc:    famiv1.NewPartnerServiceClient(dialGRPC(t, ts, "")),
		connect: famiv1connect.NewPartnerServiceClient(hc, ts.httpURL(), connect.WithInterceptors(verbatim)),
		grpcweb: famiv1connect.NewPartnerServiceClient(hc, ts.httpURL(), connect.WithInterceptors(verbatim), connect.WithGRPCWeb()),
		hc:      hc,
	}
}

// probeResult is what a probe saw: the response or the error, and on REST
// the raw exchange.
type probeResult struct {
	res  *famiv1.ListPartnersResponse
	err  error
	rest *restResponse
}

// call makes the protected call over kind with Authorization: header ("":
// none).
func (p *authProbe) call(ctx context.Context, kind, header string) probeResult {
	req := &famiv1.ListPartnersRequest{Parent: lombardia}
	switch kind {
	case "grpc":
		if header != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", header)
		}
		res, err := p.grpc.ListPartners(ctx, req)
		return probeResult{res: res, err: grpcErr(err)}
	case "connect", "grpcweb":
		client := p.connect
		if kind == "grpcweb" {
			client = p.grpcweb
		}
		res, err := client.ListPartners(context.WithValue(ctx, authHeaderKey{}, header), req)
		return probeResult{res: res, err: connectErr(err)}
	case "rest":
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, p.ts.httpURL()+"/v1/"+lombardia+"/partners", nil)
		if err != nil {
			return probeResult{err: err}
		}
		r.Header.Set("Accept", "application/json")
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		hr, err := p.hc.Do(r)
		if err != nil {
			return probeResult{err: err}
		}
		defer hr.Body.Close()
		b, err := io.ReadAll(hr.Body)
		if err != nil {
			return probeResult{err: err}
		}
		rr := &restResponse{Status: hr.StatusCode, ContentType: hr.Header.Get("Content-Type"), Header: hr.Header, Body: b}
		if hr.StatusCode != http.StatusOK {
			return probeResult{rest: rr, err: problemError(http.MethodGet, "partners", rr)}
		}
		return probeResult{rest: rr}
	}
	return probeResult{err: io.ErrUnexpectedEOF}
}

// wantUnauthenticated checks that a probe was refused as unauthenticated:
// UNAUTHENTICATED on the RPC surfaces; on REST a 401 problem document with
// a WWW-Authenticate challenge. Either way without the region's data.
func wantUnauthenticated(t *testing.T, kind string, r probeResult) {
	t.Helper()
	if r.rest != nil {
		mt, _, _ := mime.ParseMediaType(r.rest.ContentType)
		if r.rest.Status != http.StatusUnauthorized || mt != "application/problem+json" {
			t.Errorf("got HTTP %d %q, want 401 application/problem+json; body %.300s", r.rest.Status, r.rest.ContentType, r.rest.Body)
		}
		if got := r.rest.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("got WWW-Authenticate %q, want a Bearer challenge", got)
		}
		if strings.Contains(string(r.rest.Body), secretMarker) {
			t.Errorf("the refusal carries the region's data: %s", r.rest.Body)
		}
	}
	e, ok := asCallError(r.err)
	switch {
	case r.err == nil:
		t.Errorf("got OK with %d partners, want UNAUTHENTICATED", len(r.res.GetPartners()))
	case !ok:
		t.Errorf("got %v, want UNAUTHENTICATED", r.err)
	case e.Code != codes.Unauthenticated:
		t.Errorf("got %v, want UNAUTHENTICATED", e)
	}
	if r.res != nil && proto.Size(r.res) > 0 {
		t.Errorf("the refusal carries data: %s", brief(r.res))
	}
}

// wantAccepted checks that a probe succeeded and saw the seeded partner.
func wantAccepted(t *testing.T, r probeResult) {
	t.Helper()
	if r.err != nil {
		t.Errorf("got %v, want OK", r.err)
		return
	}
	if r.rest != nil {
		if r.rest.Status != http.StatusOK {
			t.Errorf("got HTTP %d, want 200", r.rest.Status)
		}
		if !strings.Contains(string(r.rest.Body), secretMarker) {
			t.Errorf("got %s, want the seeded partner", r.rest.Body)
		}
		return
	}
	if len(r.res.GetPartners()) != 1 {
		t.Errorf("got %d partners, want the seeded one", len(r.res.GetPartners()))
	}
}

// serverKey reads the server's signing key from its data dir, as famictl
// does: PKCS#8 PEM Ed25519 files in keys/, the key id its RFC 7638
// thumbprint.
func serverKey(t *testing.T, dataDir string) (string, ed25519.PrivateKey) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dataDir, "keys", "*.pem"))
	if err != nil || len(files) != 1 {
		t.Fatalf("key files in the data dir: %q, %v; want one", files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s is not PEM", files[0])
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		t.Fatalf("%s holds a %T, want an Ed25519 key", files[0], k)
	}
	return auth.Thumbprint(priv.Public().(ed25519.PublicKey)), priv
}

// jwk is a key of the server's JWKS.
type jwk struct {
	Kty, Crv, X, Kid, Use, Alg, D string
}

// fetchJWKS reads /.well-known/jwks.json.
func fetchJWKS(t *testing.T, ts *testServer) (string, []jwk) {
	t.Helper()
	res, err := newRESTSurface(t, ts, "").send(t.Context(), http.MethodGet, "/.well-known/jwks.json", nil, nil)
	if err != nil {
		t.Fatalf("GET /.well-known/jwks.json: %v", err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("GET /.well-known/jwks.json: got %d %s, want 200", res.Status, res.Body)
	}
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(res.Body, &set); err != nil {
		t.Fatalf("GET /.well-known/jwks.json: %v; body %s", err, res.Body)
	}
	return res.ContentType, set.Keys
}

// signJWT signs claims with method and key, with kid in the header.
func signJWT(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestTokenAttacks presents forged, stale, malformed and revoked
// credentials on a protected call over every surface: each is refused as
// unauthenticated, never downgraded to anonymous and never given data.
func TestTokenAttacks(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "grpc")
	if _, err := admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-milano", Partner: &famiv1.Partner{
		DisplayName: "Ufficio di Piano " + secretMarker, Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}); err != nil {
		t.Fatalf("create partner: %v", err)
	}
	probe := newAuthProbe(t, ts)
	kid, key := serverKey(t, ts.DataDir)
	_, keys := fetchJWKS(t, ts)
	if len(keys) != 1 || keys[0].Kid != kid {
		t.Fatalf("JWKS lists %+v, want the one key %s", keys, kid)
	}
	pubBytes, err := base64.RawURLEncoding.DecodeString(keys[0].X)
	if err != nil {
		t.Fatalf("JWKS x: %v", err)
	}

	now := ts.Clock.Now()
	// claims are those of a valid region_admin token of lombardia; each
	// attack changes one thing.
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"iss": auth.Issuer, "aud": auth.Audience, "sub": "test:attacker", "jti": "attack-" + time.Now().Format("150405.000000000"),
			"role": "region_admin", "region": "lombardia",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
		if change != nil {
			change(c)
		}
		return c
	}
	otherPub, otherKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_ = otherPub

	// The forged tokens below differ from an accepted one only in what
	// their names say: the same claims signed with the server's key pass.
	t.Run("control", func(t *testing.T) {
		for name, tok := range map[string]string{
			"minted":               ts.token,
			"forged with real key": signJWT(t, jwt.SigningMethodEdDSA, key, kid, claims(nil)),
		} {
			for _, kind := range surfaceKinds {
				t.Run(strings.ReplaceAll(name, " ", "_")+"/"+kind, func(t *testing.T) {
					wantAccepted(t, probe.call(t.Context(), kind, "Bearer "+tok))
				})
			}
		}
	})

	// tampered is a valid token of veneto's admin with the payload
	// re-encoded to say lombardia, under the original signature.
	venetoTok := ts.mintToken(regionAdminSpec("veneto"))
	parts := strings.Split(venetoTok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var venetoClaims map[string]any
	if err := json.Unmarshal(payload, &venetoClaims); err != nil {
		t.Fatal(err)
	}
	venetoClaims["region"] = "lombardia"
	tampered := parts[0] + "." + b64JSON(t, venetoClaims) + "." + parts[2]

	attacks := []struct {
		name   string
		header string
	}{
		{"no token", ""},
		{"alg none", "Bearer " + b64JSON(t, map[string]string{"alg": "none", "typ": "JWT", "kid": kid}) + "." + b64JSON(t, claims(nil)) + "."},
		{"HS256 keyed with the public key", "Bearer " + signJWT(t, jwt.SigningMethodHS256, pubBytes, kid, claims(nil))},
		{"HS256 keyed with the JWKS x", "Bearer " + signJWT(t, jwt.SigningMethodHS256, []byte(keys[0].X), kid, claims(nil))},
		{"another Ed25519 key under the server's kid", "Bearer " + signJWT(t, jwt.SigningMethodEdDSA, otherKey, kid, claims(nil))},
		{"expired", "Bearer " + signJWT(t, jwt.SigningMethodEdDSA, key, kid, claims(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}))},
		{"not yet valid", "Bearer " + signJWT(t, jwt.SigningMethodEdDSA, key, kid, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }))},
		{"no expiry", "Bearer " + signJWT(t, jwt.SigningMethodEdDSA, key, kid, claims(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"wrong issuer", "Bearer " + signJWT(t, jwt.SigningMethodEdDSA, key, kid, claims(func(c jwt.MapClaims) { c["iss"] = "raccordo-test" }))},
		{"wrong audience", "Bearer " + signJWT(t, jwt.SigningMethodEdDSA, key, kid, claims(func(c jwt.MapClaims) { c["aud"] = "raccordo-admin" }))},
		{"tampered payload", "Bearer " + tampered},
		{"1 MiB token", "Bearer " + strings.Repeat("a", 1<<20)},
		{"many dots", "Bearer " + strings.Repeat(".", 4096)},
		{"Bearer with an empty token", "Bearer "},
		{"Bearer without a token", "Bearer"},
		{"Basic scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:correct horse battery staple"))},
		{"token without a scheme", ts.token},
	}
	for _, a := range attacks {
		t.Run(strings.ReplaceAll(a.name, " ", "_"), func(t *testing.T) {
			for _, kind := range surfaceKinds {
				t.Run(kind, func(t *testing.T) {
					wantUnauthenticated(t, kind, probe.call(t.Context(), kind, a.header))
				})
			}
		})
	}

	// A service token works until its region admin revokes it, then is
	// refused at once on every surface.
	t.Run("revoked_service_token", func(t *testing.T) {
		ctx := t.Context()
		created, err := admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage", DisplayName: "SIAGE"})
		if err != nil {
			t.Fatalf("CreateServiceToken: %v", err)
		}
		for _, kind := range surfaceKinds {
			t.Run("before/"+kind, func(t *testing.T) {
				wantAccepted(t, probe.call(t.Context(), kind, "Bearer "+created.GetToken()))
			})
		}
		revoked, err := admin.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: created.GetServiceToken().GetName()})
		if err != nil {
			t.Fatalf("RevokeServiceToken: %v", err)
		}
		if revoked.GetRevokeTime() == nil {
			t.Errorf("RevokeServiceToken: got %s, want a revoke_time", brief(revoked))
		}
		for _, kind := range surfaceKinds {
			t.Run("after/"+kind, func(t *testing.T) {
				wantUnauthenticated(t, kind, probe.call(t.Context(), kind, "Bearer "+created.GetToken()))
			})
		}
	})
}

// TestJWKS: the published key set has the one Ed25519 key the server signs
// with, under the key id tokens carry, and tokens verify with it.
func TestJWKS(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	contentType, keys := fetchJWKS(t, ts)
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/jwk-set+json" {
		t.Errorf("got Content-Type %q, want application/jwk-set+json", contentType)
	}
	if len(keys) != 1 {
		t.Fatalf("got %d keys, want 1: %+v", len(keys), keys)
	}
	k := keys[0]
	if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Alg != "EdDSA" || k.Use != "sig" {
		t.Errorf("got key %+v, want kty OKP, crv Ed25519, alg EdDSA, use sig", k)
	}
	if k.D != "" {
		t.Errorf("the JWKS publishes the private key (d)")
	}
	pub, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("got x %q (%v), want a base64url Ed25519 public key", k.X, err)
	}
	if got, want := k.Kid, auth.Thumbprint(pub); got != want {
		t.Errorf("got kid %q, want the key's RFC 7638 thumbprint %q", got, want)
	}

	// A token minted from the data dir's key, as famictl does, and one the
	// server issues itself.
	issued, err := newSurface(t, ts, "grpc").CreateServiceToken(t.Context(), &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage"})
	if err != nil {
		t.Fatalf("CreateServiceToken: %v", err)
	}
	for name, tok := range map[string]string{"minted": ts.token, "issued": issued.GetToken()} {
		t.Run(name, func(t *testing.T) {
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("got a token of %d parts, want 3", len(parts))
			}
			hb, err := base64.RawURLEncoding.DecodeString(parts[0])
			if err != nil {
				t.Fatal(err)
			}
			var header struct{ Alg, Kid string }
			if err := json.Unmarshal(hb, &header); err != nil {
				t.Fatal(err)
			}
			if header.Alg != "EdDSA" || header.Kid != k.Kid {
				t.Errorf("got header alg %q kid %q, want EdDSA and the JWKS kid %q", header.Alg, header.Kid, k.Kid)
			}
			sig, err := base64.RawURLEncoding.DecodeString(parts[2])
			if err != nil {
				t.Fatal(err)
			}
			if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
				t.Error("the token's signature does not verify with the JWKS key")
			}
		})
	}
}
