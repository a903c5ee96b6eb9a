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
	"github.com/raccordo/raccordo/sdk/protocolhash"
)

func newProtocolCmd(a *app) *cobra.Command {
	// client is read when a command runs, after the flags are parsed.
	client := func() famiv1connect.ProtocolServiceClient { return a.client().sdk().Protocols }
	var region, id, file string
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create a draft protocol from a JSON file (the API's REST form)",
		Example: "  famictl protocol create --region lombardia --id udp-cpia --file protocol.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := &famiv1.Protocol{}
			if err := readJSON(file, p); err != nil {
				return err
			}
			return a.call(client().CreateProtocol(cmd.Context(), &famiv1.CreateProtocolRequest{Parent: "regions/" + region, ProtocolId: id, Protocol: p}))
		},
	}
	regionFlag(create, &region, true)
	create.Flags().StringVar(&id, "id", "", "id of the new protocol")
	create.Flags().StringVar(&file, "file", "", "protocol as JSON (the API's REST form)")
	create.MarkFlagRequired("file")

	get := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a protocol",
		Args:  nameArg("protocol", "regions/lombardia/protocols/udp-cpia"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.call(client().GetProtocol(cmd.Context(), &famiv1.GetProtocolRequest{Name: args[0]}))
		},
	}

	var state, partner, network, validOn string
	list := &cobra.Command{
		Use:     "list",
		Short:   "List a region's protocols",
		Example: "  famictl protocol list --region lombardia --state in_force -o table",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &famiv1.ListProtocolsRequest{Parent: "regions/" + region, PageSize: 1000, Partner: partner, Network: network, ValidOn: validOn}
			v, err := enumFlag("state", state, "PROTOCOL_STATE_", famiv1.ProtocolState_value)
			if err != nil {
				return err
			}
			req.State = famiv1.ProtocolState(v)
			return a.call(client().ListProtocols(cmd.Context(), req))
		},
	}
	regionFlag(list, &region, true)
	list.Flags().StringVar(&state, "state", "", "derived state, e.g. in_force")
	list.Flags().StringVar(&partner, "partner", "", "party partner name")
	list.Flags().StringVar(&network, "network", "", "network name")
	list.Flags().StringVar(&validOn, "valid-on", "", "valid on this date, YYYY-MM-DD")

	open := &cobra.Command{
		Use:   "open NAME",
		Short: "Freeze a draft's text and open it for signature",
		Args:  nameArg("protocol", "regions/lombardia/protocols/udp-cpia"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.call(client().OpenProtocolForSignature(cmd.Context(), &famiv1.OpenProtocolForSignatureRequest{Name: args[0]}))
		},
	}

	var yes bool
	signCmd := &cobra.Command{
		Use:   "sign NAME",
		Short: "Sign for your partner, after reading the text and checking its hash",
		Long: `Show the protocol's text, recompute its content hash here (the documented
canonical form, docs/protocol-content-hash.md), check it against the
server's, ask for confirmation (unless --yes) and sign that hash: the
signature binds exactly what was shown.`,
		Example: "  famictl protocol sign regions/lombardia/protocols/udp-cpia\n  famictl protocol sign --yes regions/lombardia/protocols/udp-cpia",
		Args:    nameArg("protocol", "regions/lombardia/protocols/udp-cpia"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.call(sign(cmd.Context(), client(), args[0], yes, a.stdin, a.stdout))
		},
	}
	signCmd.Flags().BoolVarP(&yes, "yes", "y", false, "sign without asking")

	var reason string
	terminate := &cobra.Command{
		Use:   "terminate NAME",
		Short: "Withdraw a protocol, with a reason",
		Args:  nameArg("protocol", "regions/lombardia/protocols/udp-cpia"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.call(client().TerminateProtocol(cmd.Context(), &famiv1.TerminateProtocolRequest{Name: args[0], Reason: reason}))
		},
	}
	terminate.Flags().StringVar(&reason, "reason", "", "why the protocol is terminated")
	terminate.MarkFlagRequired("reason")

	var newID string
	amend := &cobra.Command{
		Use:   "amend NAME",
		Short: "Start an amendment: a new draft version that supersedes NAME once in force",
		Args:  nameArg("protocol", "regions/lombardia/protocols/udp-cpia"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.call(client().AmendProtocol(cmd.Context(), &famiv1.AmendProtocolRequest{Name: args[0], ProtocolId: newID}))
		},
	}
	amend.Flags().StringVar(&newID, "id", "", "id of the new version")

	hash := &cobra.Command{
		Use:   "hash FILE|NAME",
		Short: "Print a protocol's content hash, computed here",
		Long:  "Compute the content hash of a protocol from a JSON file, or of a protocol fetched from the server.",
		Args:  nameArg("protocol", "protocol.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := &famiv1.Protocol{}
			var err error
			if _, statErr := os.Stat(args[0]); statErr == nil {
				err = readJSON(args[0], p)
			} else {
				p, err = client().GetProtocol(cmd.Context(), &famiv1.GetProtocolRequest{Name: args[0]})
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, protocolhash.Of(p))
			return nil
		},
	}
	return group("protocol", "Protocols of collaboration: draft, open, sign, terminate, amend", create, get, list, open, signCmd, terminate, amend, hash)
}

// nameArg requires exactly one argument, the resource's name.
func nameArg(what, example string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%s needs the %s's name, e.g. %s", cmd.CommandPath(), what, example)
		}
		return nil
	}
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
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
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
