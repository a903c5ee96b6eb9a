package principal

import (
	"context"
	"strings"
	"testing"
)

func TestContextValues(t *testing.T) {
	ctx := context.Background()
	if got := From(ctx); got != Anonymous {
		t.Errorf("From(empty) = %+v, want Anonymous", got)
	}
	if got := ClientAddr(ctx); got != "" {
		t.Errorf("ClientAddr(empty) = %q", got)
	}
	admin := Principal{Subject: "account:anna", Role: RegionAdmin, Region: "lombardia"}
	parent, cancel := context.WithCancel(ctx)
	call := WithCall(parent, "192.0.2.1", admin)
	derived, stop := context.WithCancel(call)
	defer stop()
	if got := From(derived); got != admin {
		t.Errorf("From(WithCall) = %+v, want %+v", got, admin)
	}
	if got := ClientAddr(derived); got != "192.0.2.1" {
		t.Errorf("ClientAddr(WithCall) = %q", got)
	}
	consultant := Principal{Subject: "account:carlo", Role: Consultant, Region: "veneto"}
	if got := From(With(WithClientAddr(derived, "192.0.2.2"), consultant)); got != consultant {
		t.Errorf("With over WithCall: From = %+v, want %+v", got, consultant)
	}
	if got := ClientAddr(WithClientAddr(derived, "192.0.2.2")); got != "192.0.2.2" {
		t.Errorf("WithClientAddr over WithCall: ClientAddr = %q", got)
	}
	cancel()
	<-derived.Done() // a context derived from WithCall's ends with its parent
	if n := testing.AllocsPerRun(100, func() { From(derived); ClientAddr(derived) }); n != 0 {
		t.Errorf("reading the values allocates %v times", n)
	}
}

func TestName(t *testing.T) {
	long := strings.Repeat("é", MaxNameRunes+5)
	for _, c := range []struct{ in, want string }{
		{"Maria Rossi", "Maria Rossi"},
		{"  Maria Rossi \t", "Maria Rossi"},
		{"", ""},
		{"   ", ""},
		{long, long[:2*MaxNameRunes]},
		{strings.Repeat("a", MaxNameRunes-1) + " b", strings.Repeat("a", MaxNameRunes-1)},
	} {
		if got := (Principal{DisplayName: c.in}).Name(); got != c.want {
			t.Errorf("Name(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestClientOf: the client a per-client limit counts is an IPv4 address,
// an IPv4-mapped one read as such, or an IPv6 address's /64, without its
// zone; what is no IP address is its own client.
func TestClientOf(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:0:1::1":      "2001:db8:0:1::/64",
		"2001:db8:0:1:ffff::9": "2001:db8:0:1::/64",
		"2001:db8:0:2::1":      "2001:db8:0:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"":                     "",
		"not an address":       "not an address",
	} {
		if got := ClientOf(addr); got != want {
			t.Errorf("ClientOf(%q) = %q, want %q", addr, got, want)
		}
	}
}
