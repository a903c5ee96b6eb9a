package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/sdk"
)

var roles = []string{"ministry", "region_admin", "consultant", "network_member", "regional_system"}

func newTokenCmd(a *app) *cobra.Command {
	var (
		dataDir, role, region, partner, subject, name string
		ttl                                           time.Duration
		offline                                       bool
	)
	create := &cobra.Command{
		Use:         "create",
		Short:       "Sign a token with the server's key (works on the data dir, while famid runs)",
		Annotations: writes("the token alone"),
		Long: `Sign a token with the server's current signing key, read from the data dir.

The region must exist. A network member's partner must exist too: famictl
asks the server (--server) with the new token before printing it, and
refuses it when the server does not know the partner. When the server
cannot be reached, or gives no answer three times (a connection reset, an
overloaded or restarting server), the token is printed with a warning,
unless --offline says not to ask.`,
		Example: `  famictl token create --data-dir data --role region_admin --region lombardia
  famictl token create --data-dir data --role network_member --region lombardia \
    --partner regions/lombardia/partners/udp-bergamo --name "Anna Bianchi" --ttl 8h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if subject == "" {
				subject = "cli:" + role
				if region != "" {
					subject += ":" + region
				}
			}
			keys, err := auth.LoadKeys(dataDir)
			if err != nil {
				return err
			}
			spec := auth.TokenSpec{Subject: subject, Role: principal.Role(role), Region: region, Partner: partner, Name: name, TTL: ttl}
			if err := spec.Validate(); err != nil {
				return err
			}
			if strings.HasPrefix(subject, principal.AccountPrefix) {
				if spec.Generation, err = accountGeneration(cmd.Context(), dataDir, region, subject); err != nil {
					return err
				}
			}
			token, _, err := keys.Sign(spec, a.now())
			if err != nil {
				return err
			}
			if partner != "" && !offline {
				if err := checkPartner(cmd.Context(), a, token, partner); err != nil {
					return err
				}
			}
			fmt.Fprintln(a.stdout, token)
			return nil
		},
	}
	f := create.Flags()
	f.StringVar(&dataDir, "data-dir", "data", "the server's data dir")
	f.StringVar(&role, "role", "", "one of "+fmt.Sprint(roles))
	regionFlag(create, &region, false)
	f.StringVar(&partner, "partner", "", "partner name for a network member, e.g. regions/lombardia/partners/udp-bergamo")
	f.StringVar(&subject, "subject", "", "the token's subject (default: cli:<role>[:<region>])")
	f.StringVar(&name, "name", "", "display name")
	f.DurationVar(&ttl, "ttl", time.Hour, "lifetime")
	f.BoolVar(&offline, "offline", false, "do not ask the server whether the partner exists")
	create.MarkFlagRequired("role")
	create.RegisterFlagCompletionFunc("role", fixedCompletion(roles...))
	return group("token", "Tokens signed with the server's key", create)
}

// accountGeneration is the credential generation that a token of the
// account: subject of region must carry, read from the data dir's
// system.db: famid refuses a token below its account's generation, and
// every account made since 2026-12-01, or given a new password, is above
// 0 (ADR 27). 0 where region has no such account. A famid that runs holds
// the file, and one on etcd keeps its accounts there: famictl cannot read
// the generation then, and refuses the token rather than print one famid
// would refuse.
func accountGeneration(ctx context.Context, dataDir, region, subject string) (int64, error) {
	var gen int64
	err := bolt.ViewSystemFile(ctx, dataDir, func(tx store.SystemTx) error {
		var err error
		gen, _, err = accounts.AccountGeneration(tx, region, strings.TrimPrefix(subject, principal.AccountPrefix))
		return err
	})
	var why string
	switch {
	case errors.Is(err, bolt.ErrLocked):
		why = "famid is running and holds " + bolt.SystemFile(dataDir)
	case errors.Is(err, fs.ErrNotExist):
		why = "the data dir has no system.db (a famid on etcd keeps its accounts there)"
	case err != nil:
		return 0, fmt.Errorf("--subject %s: read the account's credential generation: %w", subject, err)
	default:
		return gen, nil
	}
	return 0, fmt.Errorf("--subject %s: famictl cannot read the account's credential generation (%s), "+
		"and famid refuses a token without it for an account made since 2026-12-01 or given a new password: "+
		"sign in as the account instead (AuthService.Login, POST /v1/auth:login, or the web's /accedi), or stop famid and run this again; "+
		"for a token of no account, choose a subject that is not account:... (the default is cli:<role>[:<region>])", subject, why)
}

// checkPartner asks the server, with the new token itself (a network
// member may read its own partner), whether partner exists. An answer
// lost on the way (a connection refused or reset, an overloaded or
// restarting server: sdk.Retryable) is asked for again, checkTries times
// in all within checkTimeout; a server that still gives none, or that is
// not the famid of this data dir, cannot be asked, and the token is
// issued unchecked with a warning.
func checkPartner(parent context.Context, a *app, token, partner string) error {
	ctx, cancel := context.WithTimeout(parent, checkTimeout)
	defer cancel()
	partners := sdk.NewClient(a.client().httpClient(), a.server, token).Partners
	var err error
	for try := range checkTries {
		if try > 0 {
			select {
			case <-time.After(max(checkBackoff<<(try-1), sdk.RetryDelay(err))):
			case <-ctx.Done():
			}
		}
		_, err = partners.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: partner})
		if err == nil || !sdk.Retryable(err) || ctx.Err() != nil {
			break
		}
	}
	if err == nil {
		return nil
	}
	if err := parent.Err(); err != nil {
		return err // the caller's own interruption: no token
	}
	code := connect.CodeOf(err)
	switch {
	case code == connect.CodeNotFound:
		return fmt.Errorf("partner %s does not exist on %s: no token issued", partner, a.server)
	case sdk.Retryable(err), code == connect.CodeUnimplemented, code == connect.CodeUnauthenticated:
		// No answer, or not the famid of this data dir: nobody to ask.
		fmt.Fprintf(a.stderr, "famictl: warning: could not ask %s whether %s exists (%v); the token is issued unchecked\n", a.server, partner, err)
		return nil
	}
	return fmt.Errorf("checking partner %s on %s: %w", partner, a.server, err)
}

// checkPartner's budget: the tries, the pause before the second (doubled
// before each next one, unless the server asks for longer), and the time
// for all of them.
const (
	checkTries   = 3
	checkBackoff = 100 * time.Millisecond
	checkTimeout = 10 * time.Second
)

func newKeyCmd(a *app) *cobra.Command {
	var dataDir string
	rotate := &cobra.Command{
		Use:         "rotate",
		Short:       "Add a new signing key; tokens signed by older keys keep verifying",
		Annotations: writes("a line naming the new key"),
		Args:        cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			kid, err := auth.RotateKey(dataDir, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "new signing key %s; tokens signed by older keys keep verifying\n", kid)
			return nil
		},
	}
	rotate.Flags().StringVar(&dataDir, "data-dir", "data", "the server's data dir")
	return group("key", "The server's signing keys", rotate)
}
