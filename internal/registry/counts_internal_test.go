package registry

import (
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// TestPartnerKindAsDecoded: partnerKind reads what proto.Unmarshal
// decodes, the last value of a repeated field included, and refuses what
// proto.Unmarshal refuses.
func TestPartnerKindAsDecoded(t *testing.T) {
	enc := func(p *famiv1.Partner) []byte {
		b, err := proto.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	full := enc(&famiv1.Partner{Name: "regions/lombardia/partners/p", DisplayName: "P", Kind: famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY,
		Municipalities: []string{"015146"}, Archived: true, Description: "d"})
	later := enc(&famiv1.Partner{Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER})
	for _, tt := range []struct {
		name string
		raw  []byte
	}{
		{"empty", nil},
		{"every field", full},
		{"a kind written twice", append(append([]byte(nil), full...), later...)},
		{"an unknown enum value", enc(&famiv1.Partner{Kind: 99})},
		{"a negative enum value", enc(&famiv1.Partner{Kind: -1})},
		{"not archived", enc(&famiv1.Partner{Kind: famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR})},
	} {
		want := new(famiv1.Partner)
		if err := proto.Unmarshal(tt.raw, want); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		kind, archived, err := partnerKind(tt.raw)
		if err != nil || kind != want.GetKind() || archived != want.GetArchived() {
			t.Errorf("%s: got %s, %t, %v; want %s, %t", tt.name, kind, archived, err, want.GetKind(), want.GetArchived())
		}
	}
	for _, raw := range [][]byte{full[:len(full)-1], {0x08}, {0x08, 0x80}, {0xff}} {
		if err := proto.Unmarshal(raw, new(famiv1.Partner)); err == nil {
			t.Fatalf("proto.Unmarshal(%x) decodes", raw)
		}
		if _, _, err := partnerKind(raw); err == nil {
			t.Errorf("partnerKind(%x): no error, want proto.Unmarshal's refusal", raw)
		}
	}
}
