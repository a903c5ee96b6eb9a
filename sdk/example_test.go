package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/protocolhash"
	"github.com/raccordo/raccordo/sdk/sdktest"
)

func ExampleNewClient() {
	// serverURL is famid's HTTP address, e.g. http://127.0.0.1:8080, and
	// token a service token of a regional system.
	c := sdk.NewClient(nil, serverURL, token)
	res, err := c.Partners.ListPartners(context.Background(), &famiv1.ListPartnersRequest{Parent: "regions/lombardia"})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range res.GetPartners() {
		fmt.Println(p.GetName())
	}
	fmt.Println("revision", res.GetRevision())
	// Output:
	// regions/lombardia/partners/cpia-bergamo
	// regions/lombardia/partners/udp-bergamo
	// revision 5
}

func ExampleNewClient_grpc() {
	// The same clients speak gRPC (or gRPC-Web) on the same port.
	c := sdk.NewClient(nil, serverURL, token, connect.WithGRPC())
	r, err := c.Regions.GetRegion(context.Background(), &famiv1.GetRegionRequest{Name: "regions/lombardia"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.GetDisplayName(), r.GetIstatCode())
	// Output: Lombardia 03
}

// onSynced is a Handler that keeps the mirror in memory and calls synced
// with each revision the mirror reaches, once its changes are held.
type onSynced struct {
	*sdktest.Memory
	synced func(revision int64)
}

func (h onSynced) Synced(ctx context.Context, revision int64) error {
	err := h.Memory.Synced(ctx, revision)
	h.synced(revision)
	return err
}

func ExampleMirror() {
	// A mirror runs until its context ends; this one stops once the region
	// is listed. A real one keeps running, and its Handler persists the
	// revision given to Synced so a restart resumes from it (Mirror.Since).
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	held := &sdktest.Memory{}
	m := &sdk.Mirror{
		Client:  sdk.NewClient(nil, serverURL, token),
		Region:  "lombardia",
		Handler: onSynced{held, func(int64) { stop() }},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if err := m.Run(ctx); err != nil {
		log.Fatal(err)
	}
	items, _, revision := held.State()
	fmt.Println(len(items), "resources at revision", revision)
	p := items["regions/lombardia/protocols/udp-cpia"].(*famiv1.Protocol)
	fmt.Println(p.GetTitle(), protocolhash.Verify(p) == nil)
	// Output:
	// 4 resources at revision 5
	// Protocollo UdP-CPIA true
}

func Example_verifyProtocol() {
	// Check, without trusting the server, that the text of a protocol is
	// the text its content_hash (and so every signature) covers.
	c := sdk.NewClient(nil, serverURL, token)
	p, err := c.Protocols.GetProtocol(context.Background(), &famiv1.GetProtocolRequest{Name: "regions/lombardia/protocols/udp-cpia"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", protocolhash.Verify(p) == nil)

	p.Body += " (edited)"
	fmt.Println("verified after editing the text:", protocolhash.Verify(p) == nil)
	// Output:
	// verified: true
	// verified after editing the text: false
}

func ExampleReason() {
	// A refusal's reason tells apart refusals of one code: a regional
	// system reads, and may not sign for a partner.
	c := sdk.NewClient(nil, serverURL, token)
	_, err := c.Protocols.SignProtocol(context.Background(), &famiv1.SignProtocolRequest{Name: signedProtocol})
	fmt.Println(connect.CodeOf(err), sdk.Reason(err))
	// Output: permission_denied ROLE_NOT_ALLOWED
}

func ExampleThrottle() {
	// One Throttle for all the clients of one server: an overloaded
	// server's refusals make the clients keep most of their excess calls
	// to themselves, where refusing them costs the server nothing.
	th := sdk.NewThrottle(sdk.ThrottleConfig{}) // K = 2, a window of 2 s
	c := sdk.NewClient(nil, serverURL, token, connect.WithInterceptors(th))
	// The same Throttle on grpc-go and on plain HTTP (REST):
	//	grpc.NewClient(addr, grpc.WithUnaryInterceptor(th.UnaryClientInterceptor()), ...)
	//	&http.Client{Transport: th.RoundTripper(nil)}
	_, err := c.Partners.GetPartner(context.Background(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/udp-bergamo"})
	switch {
	case errors.Is(err, sdk.ErrThrottled):
		fmt.Println("rejected by this client: the server is overloaded; retry later")
	case connect.CodeOf(err) == connect.CodeResourceExhausted:
		fmt.Println("refused by the server: retry after its Retry-After")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Printf("served; rejection probability now %.0f%%\n", 100*th.Probability())
	}
	// Output: served; rejection probability now 0%
}
