package server_test

import (
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/server"
)

// TestTokensExpireOnTheServersClock: the token verifier reads the server's
// one clock (Config.Now), its half-minute leeway included, on every
// surface: a token is accepted until the leeway has passed after its
// expiry by that clock, then refused. The test moves the clock instead of
// waiting an hour.
func TestTokensExpireOnTheServersClock(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	// The probe lists lombardia's partners and wants this one.
	if _, err := newSurface(t, ts, "grpc").CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: "udp-milano",
		Partner: &famiv1.Partner{DisplayName: "Ufficio di Piano " + secretMarker, Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}}); err != nil {
		t.Fatalf("create partner: %v", err)
	}
	probe := newAuthProbe(t, ts)
	tok := ts.mintToken(regionAdminSpec("lombardia")) // an hour, from the server's time
	ts.Clock.Advance(time.Hour + 20*time.Second)
	for _, kind := range surfaceKinds {
		t.Run("within_the_leeway/"+kind, func(t *testing.T) {
			wantAccepted(t, probe.call(t.Context(), kind, "Bearer "+tok))
		})
	}
	ts.Clock.Advance(15 * time.Second)
	for _, kind := range surfaceKinds {
		t.Run("past_the_leeway/"+kind, func(t *testing.T) {
			wantUnauthenticated(t, kind, probe.call(t.Context(), kind, "Bearer "+tok))
		})
	}
}
