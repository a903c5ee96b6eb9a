package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/sdk"
)

// TestProtocolCommands runs a protocol's life with famictl against a real
// server: create from a file, open, a signature by each party's staff
// (the text shown, the hash recomputed locally), IN_FORCE.
func TestProtocolCommands(t *testing.T) {
	f := startFamid(t)
	admin, udp, cpia := f.admin, udpName, cpiaName
	draft := &famiv1.Protocol{
		Network: f.network, Title: "Protocollo UdP-CPIA", Body: "Le parti collaborano ai corsi di italiano L2.",
		ValidFrom: servertest.Now().AddDate(0, 0, -1).Format("2006-01-02"), ValidUntil: servertest.Now().AddDate(1, 0, 0).Format("2006-01-02"),
		Parties: []*famiv1.Party{
			{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT, Commitments: "coordina"},
			{Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY, Commitments: "insegna"},
		},
	}
	b, _ := protojson.Marshal(draft)
	file := filepath.Join(t.TempDir(), "protocol.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	famictl := func(tok string, stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := execute(append(append([]string{"protocol"}, args...), "--server", f.url, "--token", tok), strings.NewReader(stdin), &out, &errOut)
		return out.String(), err
	}
	name := "regions/lombardia/protocols/udp-cpia"
	if out, err := famictl(admin, "", "create", "--region", "lombardia", "--id", "udp-cpia", "--file", file); err != nil || !strings.Contains(out, "PROTOCOL_STATE_DRAFT") {
		t.Fatalf("create: %v\n%s", err, out)
	}
	// A draft has no content hash yet: sign says to open it first, where
	// it used to call the empty hash a mismatch.
	if _, err := famictl(f.udp, "", "sign", name, "--yes"); err == nil || !strings.Contains(err.Error(), "draft, not open for signature") {
		t.Fatalf("sign a draft: got %v, want a refusal saying it is a draft", err)
	}
	if out, err := famictl(admin, "", "open", name); err != nil || !strings.Contains(out, "OPEN_FOR_SIGNATURE") {
		t.Fatalf("open: %v\n%s", err, out)
	}
	staff := func(partner string) string {
		return f.token(auth.TokenSpec{Subject: "test:" + partner, Role: principal.NetworkMember, Region: "lombardia", Partner: partner})
	}
	// A signer who says no signs nothing.
	if out, err := famictl(staff(udp), "n\n", "sign", name); err == nil || !strings.Contains(out, "Le parti collaborano") {
		t.Fatalf("sign answered no: err = %v, shown:\n%s", err, out)
	}
	if _, err := famictl(staff(udp), "y\n", "sign", name); err != nil {
		t.Fatalf("sign by the UdP: %v", err)
	}
	out, err := famictl(staff(cpia), "", "sign", name, "--yes")
	if err != nil || !strings.Contains(out, "PROTOCOL_STATE_IN_FORCE") {
		t.Fatalf("sign by the CPIA: %v\n%s", err, out)
	}
	hash, err := famictl(admin, "", "hash", name)
	if err != nil || !strings.Contains(out, strings.TrimSpace(hash)) {
		t.Fatalf("hash %q (%v) is not the signed content hash in\n%s", hash, err, out)
	}
	if out, err := famictl(admin, "", "list", "--region", "lombardia", "--state", "in_force"); err != nil || !strings.Contains(out, name) {
		t.Fatalf("list in force: %v\n%s", err, out)
	}
}

// TestProtocolGetAmendTerminate runs the protocol commands on one
// resource that TestProtocolCommands leaves out: get, amend and terminate,
// and what a command on one resource says without its name.
func TestProtocolGetAmendTerminate(t *testing.T) {
	f := startFamid(t)
	name := f.openProtocol()
	if get := f.must(f.udp, "protocol", "get", name, "-o", "table"); !regexpLine(get, "title", "Protocollo UdP-CPIA") || !regexpLine(get, "state", "OPEN_FOR_SIGNATURE") {
		t.Fatalf("protocol get -o table:\n%s", get)
	}
	if _, _, err := f.run(f.admin, "", "protocol", "get"); err == nil || err.Error() != "famictl protocol get needs the protocol's name, e.g. "+name {
		t.Errorf("protocol get without a name: %v", err)
	}

	amended := &famiv1.Protocol{}
	if err := protojson.Unmarshal([]byte(f.must(f.udp, "protocol", "amend", name, "--id", "udp-cpia-2")), amended); err != nil {
		t.Fatal(err)
	}
	if amended.GetName() != name+"-2" || amended.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_DRAFT {
		t.Fatalf("protocol amend: %v", amended)
	}

	if _, _, err := f.run(f.udp, "", "protocol", "terminate", name); err == nil || !strings.Contains(err.Error(), `"reason"`) {
		t.Errorf("protocol terminate without --reason: %v", err)
	}
	terminated := &famiv1.Protocol{}
	if err := protojson.Unmarshal([]byte(f.must(f.udp, "protocol", "terminate", name, "--reason", "progetto concluso")), terminated); err != nil {
		t.Fatal(err)
	}
	if terminated.GetState() != famiv1.ProtocolState_PROTOCOL_STATE_TERMINATED || terminated.GetTermination().GetReason() != "progetto concluso" {
		t.Fatalf("protocol terminate: %v", terminated)
	}
}

// TestProtocolAmendLeavesOut runs "protocol amend" with its removal flags
// against a real server: ids expand to names in the protocol's region (a
// full name is kept), each flag repeats once per element, the new draft
// lacks what was left out, and the server's refusal of a removal names
// its element (ADR 40: network staff cannot leave out their own partner).
func TestProtocolAmendLeavesOut(t *testing.T) {
	f := startFamid(t)
	ctx := t.Context()
	c := sdk.NewClient(nil, f.url, f.admin)
	const extra = "regions/lombardia/networks/rete-l2"
	if _, err := c.Networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: "regions/lombardia", NetworkId: "rete-l2",
		Network: &famiv1.Network{DisplayName: "Rete L2", LeadPartner: cpiaName, Members: []*famiv1.Member{
			{Partner: cpiaName, Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}}}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/lombardia", ProtocolId: "udp-cpia", Protocol: &famiv1.Protocol{
		Network: f.network, AdditionalNetworks: []string{extra}, Title: "Protocollo UdP-CPIA", Body: "Le parti collaborano.",
		ValidFrom: servertest.Now().AddDate(0, 0, -1).Format(time.DateOnly),
		Parties: []*famiv1.Party{
			{Partner: udpName, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT},
			{Partner: cpiaName, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.must(f.admin, "protocol", "open", p.GetName())

	// The UdP's staff may not leave out their own partner: refused, the
	// element named, nothing made.
	if _, _, err := f.run(f.udp, "", "protocol", "amend", p.GetName(), "--id", "udp-cpia-2", "--remove-party", "udp-bergamo"); err == nil ||
		!strings.Contains(err.Error(), "permission_denied: invalid remove_parties[0]") {
		t.Fatalf("network staff leaving out their own partner: got %v, want permission_denied naming remove_parties[0]", err)
	}
	if _, err := c.Protocols.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: p.GetName() + "-2"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("after the refusal, the draft: %v, want NOT_FOUND", err)
	}

	// The region leaves out the CPIA by id and the network by full name.
	amended := &famiv1.Protocol{}
	out := f.must(f.admin, "protocol", "amend", p.GetName(), "--id", "udp-cpia-2", "--remove-party", "cpia-bergamo", "--remove-additional-network", extra)
	if err := protojson.Unmarshal([]byte(out), amended); err != nil {
		t.Fatal(err)
	}
	if len(amended.GetParties()) != 1 || amended.GetParties()[0].GetPartner() != udpName || len(amended.GetAdditionalNetworks()) != 0 {
		t.Fatalf("amended draft: parties %v, additional networks %v; want the UdP alone and none", amended.GetParties(), amended.GetAdditionalNetworks())
	}
}

// TestPromptStopsAtCtrlC: Ctrl-C (the command's context cancelled) while
// sign waits for the answer to "sign this text? [y/N]" ends the command at
// once, not signed, where the read would wait on for a line; so does it
// while a password is read.
func TestPromptStopsAtCtrlC(t *testing.T) {
	f := startFamid(t)
	name := f.openProtocol()
	for _, args := range [][]string{
		{"protocol", "sign", name, "--token", f.udp},
		{"account", "password", "regions/lombardia/accounts/nessuno", "--token", f.admin},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		pipe, typing := io.Pipe() // nothing is ever typed
		var once sync.Once
		reading := make(chan struct{})
		stdin := readerFunc(func(b []byte) (int, error) {
			once.Do(func() { close(reading) })
			return pipe.Read(b)
		})
		done := make(chan error, 1)
		go func() { done <- executeContext(ctx, append(args, "--server", f.url), stdin, io.Discard, io.Discard) }()
		select {
		case <-reading:
		case err := <-done:
			t.Fatalf("%s ended before reading its answer: %v", args[:2], err)
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s, Ctrl-C at the prompt: got %v, want context.Canceled", args[:2], err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still waits at its prompt 10s after Ctrl-C", args[:2])
		}
		typing.Close()
	}
	p := &famiv1.Protocol{}
	if err := protojson.Unmarshal([]byte(f.must(f.udp, "protocol", "get", name)), p); err != nil {
		t.Fatal(err)
	}
	if len(p.GetSignatures()) != 0 {
		t.Errorf("signed after Ctrl-C at sign's prompt: %v", p.GetSignatures())
	}
}

// readerFunc is an io.Reader that is a function.
type readerFunc func([]byte) (int, error)

func (r readerFunc) Read(b []byte) (int, error) { return r(b) }
