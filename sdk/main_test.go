package sdk_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/sdk"
)

// The examples and tests of this package talk to a real server, started by
// TestMain on a loopback port with a fresh data dir and seeded with a
// network of two partners and a protocol open for signature.
var (
	serverURL string // the server's HTTP address
	token     string // a regional system of lombardia
	// sign signs a token for another caller of the server.
	sign func(auth.TokenSpec) (string, error)
)

// signedProtocol is the seeded protocol, open for signature.
const signedProtocol = "regions/lombardia/protocols/udp-cpia"

func TestMain(m *testing.M) {
	os.Exit(runWithServer(m))
}

func runWithServer(m *testing.M) (code int) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sdk-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := servertest.Run(ctx, server.Config{DataDir: dir, BookmarkInterval: 50 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "server Run:", err)
			code = max(code, 1)
		}
	}()
	serverURL, sign = srv.URL(), srv.Sign
	if token, err = srv.Sign(lombardiaSystem); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := seed(ctx, sdk.NewClient(nil, serverURL, token)); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		return 1
	}
	return m.Run()
}

// lombardiaSystem is the token spec of lombardia's regional system, the
// caller of the tests.
var lombardiaSystem = auth.TokenSpec{Subject: "system:lombardia", Role: principal.RegionalSystem, Region: "lombardia"}

// seed writes five revisions: two partners, a network, a protocol and its
// opening for signature.
func seed(ctx context.Context, c *sdk.Client) error {
	const region = "regions/lombardia"
	udp, cpia := region+"/partners/udp-bergamo", region+"/partners/cpia-bergamo"
	for _, id := range []string{"udp-bergamo", "cpia-bergamo"} {
		if _, err := c.Partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: region, PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}}); err != nil {
			return err
		}
	}
	if _, err := c.Networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: region, NetworkId: "rete-bergamo",
		Network: &famiv1.Network{DisplayName: "Rete Bergamo", LeadPartner: udp, Members: []*famiv1.Member{
			{Partner: udp, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}, {Partner: cpia, Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER}}}}); err != nil {
		return err
	}
	if _, err := c.Protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: region, ProtocolId: "udp-cpia", Protocol: &famiv1.Protocol{
		Network: region + "/networks/rete-bergamo", Title: "Protocollo UdP-CPIA", Body: "Le parti collaborano ai corsi di italiano L2.",
		ValidFrom: "2026-01-01", ValidUntil: "2030-12-31",
		Parties: []*famiv1.Party{
			{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT, Commitments: "coordina"},
			{Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY, Commitments: "insegna"},
		},
	}}); err != nil {
		return err
	}
	_, err := c.Protocols.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: signedProtocol})
	return err
}
