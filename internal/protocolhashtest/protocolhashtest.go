// Package protocolhashtest recomputes a protocol's content hash the way
// docs/protocol-content-hash.md tells a third party to, for the tests of
// the SDK's encoder (sdk/protocolhash) and of the server that stamps it.
// Written from the document, it shares no code with either.
package protocolhashtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// ContentHash is p's content hash as the document defines it: the JSON
// object of the signed fields, members in key order, no whitespace, the
// minimal RFC 8785 string escapes, hex SHA-256. It builds a map
// (encoding/json sorts its keys), encodes it with encoding/json's string
// escapes, then undoes the two differences between them and RFC 8785
// (encoding/json escapes U+2028 and U+2029, and HTML characters unless
// told not to).
func ContentHash(t testing.TB, p *famiv1.Protocol) string {
	t.Helper()
	parties := []any{}
	for _, party := range p.GetParties() {
		parties = append(parties, map[string]any{
			"partner":     party.GetPartner(),
			"role":        party.GetRole().String(),
			"role_label":  party.GetRoleLabel(),
			"commitments": party.GetCommitments(),
		})
	}
	doc := map[string]any{
		"format":      "raccordo.protocol-content.v1",
		"name":        p.GetName(),
		"version":     p.GetVersion(),
		"title":       p.GetTitle(),
		"parties":     parties,
		"objectives":  p.GetObjectives(),
		"body":        p.GetBody(),
		"valid_from":  p.GetValidFrom(),
		"valid_until": p.GetValidUntil(),
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(buf.String(), "\n")
	s = strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(s)
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
