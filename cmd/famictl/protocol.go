package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/sdk"
	"github.com/raccordo/raccordo/sdk/protocolhash"
)

// protocolRes is a protocol, as its commands name it.
var protocolRes = resource{"protocol", "regions/lombardia/protocols/udp-cpia"}

func newProtocolCmd(a *app) *cobra.Command {
	create := createFromFile(a, &cobra.Command{
		Use:     "create",
		Short:   "Create a draft protocol from a JSON file (the API's REST form)",
		Example: "  famictl protocol create --region lombardia --id udp-cpia --file protocol.json",
	}, "protocol", "id of the new protocol", func(ctx context.Context, s *sdk.Client, region, id string, p *famiv1.Protocol) (proto.Message, error) {
		return s.Protocols.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/" + region, ProtocolId: id, Protocol: p})
	})

	get := onResource(protocolRes, &cobra.Command{Use: "get NAME", Short: "Show a protocol"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Protocols.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: name})
		}))

	var state, partner, network, validOn string
	list := a.listed(&cobra.Command{
		Use:     "list",
		Short:   "List a region's protocols",
		Example: "  famictl protocol list --region lombardia --state in_force -o table",
	}, aip.MaxPageSize, func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
		v, err := enumFlag("state", state, "PROTOCOL_STATE_", famiv1.ProtocolState_value)
		if err != nil {
			return nil, err
		}
		return s.Protocols.ListProtocols(ctx, &famiv1.ListProtocolsRequest{
			Parent: "regions/" + region, PageSize: p.size, PageToken: p.token, State: famiv1.ProtocolState(v), Partner: partner, Network: network, ValidOn: validOn,
		})
	})
	list.Flags().StringVar(&state, "state", "", "derived state, e.g. in_force")
	list.Flags().StringVar(&partner, "partner", "", "party partner name")
	list.Flags().StringVar(&network, "network", "", "network name")
	list.Flags().StringVar(&validOn, "valid-on", "", "valid on this date, YYYY-MM-DD")

	open := onResource(protocolRes, &cobra.Command{Use: "open NAME", Short: "Freeze a draft's text and open it for signature"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Protocols.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: name})
		}))

	var yes bool
	signCmd := onResource(protocolRes, &cobra.Command{
		Use:   "sign NAME",
		Short: "Sign for your partner, after reading the text and checking its hash",
		Long: `Show the protocol's text, recompute its content hash here (the documented
canonical form, docs/protocol-content-hash.md), check it against the
server's, ask for confirmation (unless --yes) and sign that hash: the
signature binds exactly what was shown.`,
		Example: "  famictl protocol sign regions/lombardia/protocols/udp-cpia\n  famictl protocol sign --yes regions/lombardia/protocols/udp-cpia",
	}, a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
		return sign(ctx, s.Protocols, name, yes, a.stdin, a.stdout)
	}))
	signCmd.Flags().BoolVarP(&yes, "yes", "y", false, "sign without asking")

	var reason string
	terminate := onResource(protocolRes, &cobra.Command{Use: "terminate NAME", Short: "Withdraw a protocol, with a reason"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Protocols.TerminateProtocol(ctx, &famiv1.TerminateProtocolRequest{Name: name, Reason: reason})
		}))
	terminate.Flags().StringVar(&reason, "reason", "", "why the protocol is terminated")
	terminate.MarkFlagRequired("reason")

	var newID string
	var removeParties, removeNetworks []string
	amend := onResource(protocolRes, &cobra.Command{
		Use:   "amend NAME",
		Short: "Start an amendment: a new draft version that supersedes NAME once in force",
		Long: `Start an amendment: a DRAFT copy of NAME that supersedes it once in force.
--remove-party and --remove-additional-network leave a party or an additional
network out of the copy (an id in NAME's region, or a full name), once each;
one that closed (archived) must be left out. A party that is a member of the
protocol's networks only through a network left out must be left out too
(ADR 40).`,
		Example: `  famictl protocol amend regions/lombardia/protocols/udp-cpia --id udp-cpia-2 \
    --remove-party cpi-bergamo --remove-additional-network rete-lavoro`,
	}, a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
		req := &famiv1.AmendProtocolRequest{Name: name, ProtocolId: newID}
		for _, p := range removeParties {
			req.RemoveParties = append(req.RemoveParties, partnerName(regionOf(name), p))
		}
		for _, n := range removeNetworks {
			req.RemoveAdditionalNetworks = append(req.RemoveAdditionalNetworks, networkName(regionOf(name), n))
		}
		return s.Protocols.AmendProtocol(ctx, req)
	}))
	amend.Flags().StringVar(&newID, "id", "", "id of the new version")
	amend.Flags().StringArrayVar(&removeParties, "remove-party", nil, "PARTNER whose party the new version leaves out, once per partner")
	amend.Flags().StringArrayVar(&removeNetworks, "remove-additional-network", nil, "NETWORK the new version leaves out of its additional networks, once per network")

	hash := onResource(resource{"protocol", "protocol.json"}, &cobra.Command{
		Use:         "hash FILE|NAME",
		Short:       "Print a protocol's content hash, computed here",
		Annotations: writes("the content hash alone"),
		Long:        "Compute the content hash of a protocol from a JSON file, or of a protocol fetched from the server.",
	}, func(cmd *cobra.Command, arg string) error {
		p := &famiv1.Protocol{}
		var err error
		if _, statErr := os.Stat(arg); statErr == nil {
			err = readJSON(arg, p)
		} else {
			p, err = a.client().sdk().Protocols.GetProtocol(cmd.Context(), &famiv1.GetProtocolRequest{Name: arg})
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, protocolhash.Of(p))
		return nil
	})
	return group("protocol", "Protocols of collaboration: draft, open, sign, terminate, amend", create, get, list, open, signCmd, terminate, amend, hash)
}

// sign shows the text to sign, checks that the server's content hash is
// the hash of that text (recomputed here from the documented canonical
// form, docs/protocol-content-hash.md), asks for confirmation and signs
// with that hash: the signature binds exactly what was shown.
func sign(ctx context.Context, client famiv1connect.ProtocolServiceClient, name string, yes bool, stdin io.Reader, stdout io.Writer) (*famiv1.Protocol, error) {
	p, err := client.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: name})
	if err != nil {
		return nil, err
	}
	if p.GetContentHash() == "" {
		// A draft has no frozen text yet: comparing hashes would call the
		// server's empty hash a mismatch.
		return nil, fmt.Errorf("%s is a draft, not open for signature: open it first (famictl protocol open %s)", name, name)
	}
	hash := protocolhash.Of(p)
	if p.GetContentHash() != hash {
		return nil, fmt.Errorf("the server's content hash %s is not the hash of the text it sent (%s): not signing", p.GetContentHash(), hash)
	}
	fmt.Fprintf(stdout, "%s\n%s (valid %s to %s)\n\n%s\n\nparties:\n", p.GetName(), p.GetTitle(), p.GetValidFrom(), orOpen(p.GetValidUntil()), p.GetBody())
	for _, party := range p.GetParties() {
		fmt.Fprintf(stdout, "  %s: %s\n", party.GetPartner(), party.GetCommitments())
	}
	fmt.Fprintf(stdout, "\ncontent hash %s\n", hash)
	if !yes {
		fmt.Fprint(stdout, "sign this text? [y/N] ")
		answer, err := prompted(ctx, func() (string, error) { return bufio.NewReader(stdin).ReadString('\n') })
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err // Ctrl-C at the prompt
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return nil, errors.New("not signed")
		}
	}
	return client.SignProtocol(ctx, &famiv1.SignProtocolRequest{Name: name, ContentHash: hash})
}

func orOpen(date string) string {
	if date == "" {
		return "open end"
	}
	return date
}

func readJSON(path string, m proto.Message) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := protojson.Unmarshal(b, m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
