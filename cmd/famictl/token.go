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
		cluster                                       etcdFlags
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
			account := strings.HasPrefix(subject, principal.AccountPrefix)
			if err := clusterFlags(&cluster, account); err != nil {
				return err
			}
			keys, err := auth.LoadKeys(dataDir)
			if err != nil {
				return err
			}
			spec := auth.TokenSpec{Subject: subject, Role: principal.Role(role), Region: region, Partner: partner, Name: name, TTL: ttl}
			if err := spec.Validate(); err != nil {
				return err
			}
			if account {
				if spec.Generation, err = accountGeneration(cmd.Context(), dataDir, &cluster, region, subject); err != nil {
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
	cluster.add(f, "read an account's credential generation (--subject account:X) from famid's etcd cluster instead of DIR/system.db")
	create.MarkFlagRequired("role")
	create.RegisterFlagCompletionFunc("role", fixedCompletion(roles...))
	return group("token", "Tokens signed with the server's key", create)
}

// clusterFlags refuses the etcd flags token create would not read: any,
// for a token of no account, which reads nothing from the cluster.
func clusterFlags(cluster *etcdFlags, account bool) error {
	if !account {
		return cluster.unread("the cluster is read for an account's token alone (--subject account:X), for its credential generation")
	}
	return cluster.check()
}

// accountGeneration is the credential generation that a token of the
// account: subject of region must carry: famid refuses a token below its
// account's generation, and every account made since 2026-12-01, or given
// a new password, is above 0 (ADR 27). It is read from famid's etcd
// cluster when its flags are given, which famid may be serving, else from
// the data dir's system.db, which a running famid holds locked: famictl
// cannot read it then, and refuses the token rather than print one famid
// would refuse. A subject that names no account of region is refused
// (ADR 33): such a token would look like the account's and be none.
func accountGeneration(ctx context.Context, dataDir string, cluster *etcdFlags, region, subject string) (int64, error) {
	username := strings.TrimPrefix(subject, principal.AccountPrefix)
	var gen int64
	found := false
	read := func(tx store.SystemTx) error {
		var err error
		gen, found, err = accounts.AccountGeneration(tx, region, username)
		return err
	}
	var err error
	if cluster.set() {
		err = viewEtcdSystem(ctx, cluster, read)
	} else {
		err = bolt.ViewSystemFile(ctx, dataDir, read)
	}
	var why string
	switch {
	case err == nil && !found:
		return 0, fmt.Errorf("--subject %s: region %s has no account %s; for a token of no account, "+
			"choose a subject that is not account:... (the default is cli:<role>[:<region>])", subject, region, username)
	case err == nil:
		return gen, nil
	case cluster.set():
		return 0, fmt.Errorf("--subject %s: read the account's credential generation from etcd %s: %w",
			subject, strings.Join(cluster.client.Endpoints, ","), err)
	case errors.Is(err, bolt.ErrLocked):
		why = "famid is running and holds " + bolt.SystemFile(dataDir)
	case errors.Is(err, fs.ErrNotExist):
		why = "the data dir has no system.db: if famid runs on etcd, give its --etcd-endpoints and --etcd-prefix"
	default:
		return 0, fmt.Errorf("--subject %s: read the account's credential generation: %w", subject, err)
	}
	return 0, fmt.Errorf("--subject %s: famictl cannot read the account's credential generation (%s), "+
		"and famid refuses a token without it for an account made since 2026-12-01 or given a new password: "+
		"sign in as the account instead (AuthService.Login, POST /v1/auth:login, or the web's /accedi), or stop famid and run this again; "+
		"for a token of no account, choose a subject that is not account:... (the default is cli:<role>[:<region>])", subject, why)
}

// viewEtcdSystem runs fn in a read-only view of famid's system records in
// the cluster of cluster's flags, opened with no region served.
func viewEtcdSystem(ctx context.Context, cluster *etcdFlags, fn func(store.SystemTx) error) error {
	st, closeStore, err := cluster.open(ctx, nil)
	if err != nil {
		return err
	}
	defer closeStore()
	return st.SystemView(ctx, fn)
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
