package protocolhash_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/sdk/protocolhash"
)

// FuzzContentHash: the content hash of any protocol text is a function of
// the signed content alone: the same for a copy, unchanged by the fields
// not signed, and different when the body changes.
func FuzzContentHash(f *testing.F) {
	g := golden()
	f.Add(g.GetTitle(), g.GetObjectives(), g.GetBody(), g.GetParties()[1].GetRoleLabel(), "2026-01-01")
	f.Add("", "", "", "", "")
	f.Add("\u2028", "\x00", "\r\n\r", "\"\\", "\xff")
	f.Fuzz(func(t *testing.T, title, objectives, body, label, from string) {
		p := golden()
		p.Title, p.Objectives, p.Body, p.ValidFrom = title, objectives, body, from
		p.Parties[1].RoleLabel = label
		h := protocolhash.Of(p)
		if len(h) == 0 {
			t.Fatal("empty hash")
		}
		c := proto.CloneOf(p)
		c.Themes = append(c.Themes, "not signed")
		c.Network = "regions/lombardia/networks/other"
		if got := protocolhash.Of(c); got != h {
			t.Errorf("hash changed with unsigned fields: %s, was %s", got, h)
		}
		c.Body += "x"
		if protocolhash.Of(c) == h {
			t.Errorf("hash unchanged when the body changed")
		}
	})
}
