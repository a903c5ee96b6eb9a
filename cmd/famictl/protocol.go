package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/sdk/protocolhash"
)

const protocolUsage = `usage:
  famictl protocol create --region R --id ID --file PROTOCOL.json
  famictl protocol get NAME
  famictl protocol list --region R [--state IN_FORCE] [--partner P] [--network N] [--valid-on YYYY-MM-DD]
  famictl protocol open NAME
  famictl protocol sign NAME [--yes]
  famictl protocol terminate NAME --reason TEXT
  famictl protocol amend NAME [--id NEW_ID]
  famictl protocol hash FILE|NAME
every command but hash with a file also takes --server and --token (env FAMICTL_SERVER, FAMICTL_TOKEN)
`

// protocol runs the protocol commands: the common steps of a protocol of
// collaboration's life, over the API.
func protocol(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, protocolUsage)
		return errors.New("missing protocol command")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("famictl protocol "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addClientFlags(fs)
	region := fs.String("region", "", "region id, e.g. lombardia")
	id := fs.String("id", "", "id of the new protocol")
	file := fs.String("file", "", "protocol as JSON (the API's REST form)")
	state := fs.String("state", "", "derived state, e.g. IN_FORCE")
	partner := fs.String("partner", "", "party partner name")
	network := fs.String("network", "", "network name")
	validOn := fs.String("valid-on", "", "valid on this date, YYYY-MM-DD")
	reason := fs.String("reason", "", "why the protocol is terminated")
	yes := fs.Bool("yes", false, "sign without asking")
	// The protocol's name comes first, flags after it.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	client := famiv1connect.NewProtocolServiceClient(cf.httpClient(), *cf.server, cf.options()...)
	ctx := context.Background()
	needName := func() error {
		if name == "" {
			return fmt.Errorf("famictl protocol %s needs the protocol's name, e.g. regions/lombardia/protocols/udp-cpia", cmd)
		}
		return nil
	}

	var (
		res proto.Message
		err error
	)
	switch cmd {
	case "create":
		if *region == "" || *file == "" {
			return errors.New("--region and --file are required")
		}
		p := &famiv1.Protocol{}
		if err := readJSON(*file, p); err != nil {
			return err
		}
		res, err = client.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: "regions/" + *region, ProtocolId: *id, Protocol: p})
	case "get":
		if err := needName(); err != nil {
			return err
		}
		res, err = client.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: name})
	case "list":
		if *region == "" {
			return errors.New("--region is required")
		}
		req := &famiv1.ListProtocolsRequest{Parent: "regions/" + *region, PageSize: 1000, Partner: *partner, Network: *network, ValidOn: *validOn}
		if *state != "" {
			v, ok := famiv1.ProtocolState_value["PROTOCOL_STATE_"+strings.ToUpper(*state)]
			if !ok {
				return fmt.Errorf("--state %q is not a protocol state", *state)
			}
			req.State = famiv1.ProtocolState(v)
		}
		res, err = client.ListProtocols(ctx, req)
	case "open":
		if err := needName(); err != nil {
			return err
		}
		res, err = client.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: name})
	case "sign":
		if err := needName(); err != nil {
			return err
		}
		res, err = sign(ctx, client, name, *yes, stdin, stdout)
	case "terminate":
		if err := needName(); err != nil {
			return err
		}
		res, err = client.TerminateProtocol(ctx, &famiv1.TerminateProtocolRequest{Name: name, Reason: *reason})
	case "amend":
		if err := needName(); err != nil {
			return err
		}
		res, err = client.AmendProtocol(ctx, &famiv1.AmendProtocolRequest{Name: name, ProtocolId: *id})
	case "hash":
		if err := needName(); err != nil {
			return err
		}
		p := &famiv1.Protocol{}
		if _, statErr := os.Stat(name); statErr == nil {
			err = readJSON(name, p)
		} else {
			p, err = client.GetProtocol(ctx, &famiv1.GetProtocolRequest{Name: name})
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, protocolhash.Of(p))
		return nil
	default:
		fmt.Fprint(stderr, protocolUsage)
		return fmt.Errorf("unknown protocol command %q", cmd)
	}
	if err != nil {
		return err
	}
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(b))
	return nil
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
