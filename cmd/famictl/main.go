// Command famictl is Raccordo's command-line client and admin tool.
//
//	famictl token create --data-dir DIR --role ROLE [--region R] [--partner P] [--subject S] [--name N] [--ttl 1h]
//	famictl key rotate --data-dir DIR
//	famictl backup --region R [--out FILE] [--server URL] [--token T]
//	famictl restore --data-dir DIR --region R --from FILE
//	famictl mirror --region R --out DIR [--server URL] [--token T]
//	famictl protocol create|get|list|open|sign|terminate|amend|hash ...
//	famictl hours export --region R [--from D --to D] [--group-by G] [--out FILE]
//
// The token and key commands work on the server's data dir directly (the
// signing keys are plain files beside the bbolt files), so they run while
// famid is serving.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "famictl:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage:
  famictl token create --data-dir DIR --role ROLE [--region R] [--partner P] [--subject S] [--name N] [--ttl 1h]
  famictl key rotate --data-dir DIR
  famictl backup --region R [--out FILE] [--server URL] [--token T]     (hot, through the API)
  famictl restore --data-dir DIR --region R --from FILE                 (famid stopped)
  famictl restore --etcd-endpoints URLS [--etcd-prefix P] --region R --from FILE   (into an empty etcd region)
  famictl mirror --region R --out DIR [--server URL] [--token T]        (one JSON file per resource, kept in sync)
  famictl protocol create|get|list|open|sign|terminate|amend|hash ...   (famictl protocol for details)
  famictl hours export --region R [--from D --to D] [--group-by G] [--out FILE]   (support hours as CSV)

roles: ministry, region_admin, consultant, network_member, regional_system
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) >= 1 {
		switch args[0] {
		case "backup":
			return backup(args[1:], stdout, stderr)
		case "restore":
			return restore(args[1:], stdout, stderr)
		case "mirror":
			return mirror(args[1:], stdout, stderr)
		case "protocol":
			return protocol(args[1:], os.Stdin, stdout, stderr)
		case "hours":
			return hours(args[1:], stdout, stderr)
		}
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	switch args[0] + " " + args[1] {
	case "token create":
		return tokenCreate(args[2:], stdout, stderr)
	case "key rotate":
		return keyRotate(args[2:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", strings.Join(args[:2], " "))
}

func tokenCreate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("famictl token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "data", "the server's data dir")
	role := fs.String("role", "", "ministry, region_admin, consultant, network_member or regional_system")
	region := fs.String("region", "", "region id, e.g. lombardia (all roles but ministry)")
	partner := fs.String("partner", "", "partner name for a network member, e.g. regions/lombardia/partners/udp-bergamo")
	subject := fs.String("subject", "", "the token's subject (default: cli:<role>[:<region>])")
	name := fs.String("name", "", "display name")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *subject == "" {
		*subject = "cli:" + *role
		if *region != "" {
			*subject += ":" + *region
		}
	}
	keys, err := auth.LoadKeys(*dataDir)
	if err != nil {
		return err
	}
	token, _, err := keys.Sign(auth.TokenSpec{
		Subject: *subject, Role: principal.Role(*role), Region: *region, Partner: *partner, Name: *name, TTL: *ttl,
	}, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}

func keyRotate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("famictl key rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "data", "the server's data dir")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kid, err := auth.RotateKey(*dataDir, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new signing key %s; tokens signed by older keys keep verifying\n", kid)
	return nil
}
