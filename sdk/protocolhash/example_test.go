package protocolhash_test

import (
	"fmt"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/sdk/protocolhash"
)

func ExampleOf() {
	// golden is the worked example of docs/protocol-content-hash.md.
	fmt.Println(protocolhash.Of(golden()))
	// Output: 10e05e3abf120f055221059372d4733d7f37005cc3647adb39b066abe0bfc89f
}

func ExampleVerify() {
	p := &famiv1.Protocol{
		Name: "regions/lombardia/protocols/udp-cpia", Version: 1, Title: "Protocollo UdP-CPIA",
		Body: "Le parti collaborano.", ValidFrom: "2026-01-01",
		Parties: []*famiv1.Party{{Partner: "regions/lombardia/partners/udp-bergamo", Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}},
	}
	fmt.Println(protocolhash.Verify(p)) // a draft has nothing to verify

	p.ContentHash = protocolhash.Of(p) // as the server sets it when the text is frozen
	p.Signatures = []*famiv1.Signature{{Party: "regions/lombardia/partners/udp-bergamo", ContentHash: p.ContentHash}}
	fmt.Println(protocolhash.Verify(p))
	// Output:
	// protocolhash: the protocol is a draft: it has no content hash
	// <nil>
}
