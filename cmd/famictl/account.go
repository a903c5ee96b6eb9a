package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/sdk"
)

func newAccountCmd(a *app) *cobra.Command {
	var username, role, name, partner, email string
	create := inRegion(&cobra.Command{
		Use:   "create",
		Short: "Create a person's account; the password is read from standard input",
		Long: `Create an account for a person (region_admin, consultant or network_member).
The password is read from standard input (asked for without echo on a
terminal), never from a flag, so it stays out of the shell history and the
process list. Usernames are per region: the person logs in as
{username}@{region}, e.g. anna.bianchi@lombardia.`,
		Example: `  famictl account create --region lombardia --username anna.bianchi --role network_member \
    --name "Anna Bianchi" --partner udp-bergamo < password.txt`,
	}, a.printed(func(ctx context.Context, s *sdk.Client, region string) (proto.Message, error) {
		r, err := enumFlag("role", role, "ROLE_", famiv1.Role_value)
		if err != nil {
			return nil, err
		}
		pw, err := readPassword(ctx, a, "password for "+username+": ")
		if err != nil {
			return nil, err
		}
		return s.Auth.CreateAccount(ctx, &famiv1.CreateAccountRequest{
			Parent: "regions/" + region, AccountId: username, Password: pw,
			Account: &famiv1.Account{DisplayName: name, Role: famiv1.Role(r), Partner: partnerName(region, partner), Email: email},
		})
	}))
	create.Flags().StringVar(&username, "username", "", "the login name, unique within the region (its owner logs in as {username}@{region})")
	create.Flags().StringVar(&role, "role", "", "region_admin, consultant or network_member")
	create.Flags().StringVar(&name, "name", "", "display name")
	create.Flags().StringVar(&partner, "partner", "", "a network member's partner (id or full name)")
	create.Flags().StringVar(&email, "email", "", "e-mail address")
	create.MarkFlagRequired("username")
	create.MarkFlagRequired("role")
	create.RegisterFlagCompletionFunc("role", fixedCompletion("region_admin", "consultant", "network_member"))

	list := a.listed(&cobra.Command{Use: "list", Short: "List a region's accounts"}, aip.MaxPageSize,
		func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
			return s.Auth.ListAccounts(ctx, &famiv1.ListAccountsRequest{Parent: "regions/" + region, PageSize: p.size, PageToken: p.token})
		})

	account := resource{"account", "regions/lombardia/accounts/anna.bianchi"}
	get := onResource(account, &cobra.Command{Use: "get NAME", Short: "Show an account"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Auth.GetAccount(ctx, &famiv1.GetAccountRequest{Name: name})
		}))
	del := onResource(account, &cobra.Command{Use: "delete NAME", Short: "Delete an account; its tokens stop working"},
		func(cmd *cobra.Command, name string) error {
			if _, err := a.client().sdk().Auth.DeleteAccount(cmd.Context(), &famiv1.DeleteAccountRequest{Name: name}); err != nil {
				return err
			}
			fmt.Fprintln(a.stderr, "deleted", name)
			return nil
		})
	password := onResource(account, &cobra.Command{Use: "password NAME", Short: "Set an account's password (read from standard input); its tokens stop working"},
		func(cmd *cobra.Command, name string) error {
			pw, err := readPassword(cmd.Context(), a, "new password for "+name+": ")
			if err != nil {
				return err
			}
			if _, err := a.client().sdk().Auth.SetAccountPassword(cmd.Context(), &famiv1.SetAccountPasswordRequest{Name: name, Password: pw}); err != nil {
				return err
			}
			fmt.Fprintln(a.stderr, "password set for", name)
			return nil
		})
	return group("account", "People's accounts (login with username and password)", create, list, get, del, password)
}

// readPassword reads one line from standard input, without echo when it
// is a terminal. Ctrl-C stops the wait (see prompted) and gives the
// terminal its echo back.
func readPassword(ctx context.Context, a *app, prompt string) (string, error) {
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		state, err := term.GetState(fd)
		if err != nil {
			return "", err
		}
		defer term.Restore(fd, state)
		fmt.Fprint(a.stderr, prompt)
		pw, err := prompted(ctx, func() (string, error) {
			b, err := term.ReadPassword(fd)
			return string(b), err
		})
		fmt.Fprintln(a.stderr)
		return pw, err
	}
	line, err := prompted(ctx, func() (string, error) { return bufio.NewReader(a.stdin).ReadString('\n') })
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

func newServiceTokenCmd(a *app) *cobra.Command {
	var systemID, name string
	var ttl time.Duration
	create := inRegion(&cobra.Command{
		Use:   "create",
		Short: "Issue a regional system's token (printed once; store it safely)",
		Example: `  famictl service-token create --region lombardia --system-id sirl --name "SIRL Lombardia" --ttl 2160h
  famictl service-token create --region lombardia --system-id sirl -o table`,
	}, a.printed(func(ctx context.Context, s *sdk.Client, region string) (proto.Message, error) {
		return s.Auth.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{
			Parent: "regions/" + region, SystemId: systemID, DisplayName: name, TtlSeconds: int64(ttl / time.Second),
		})
	}))
	create.Flags().StringVar(&systemID, "system-id", "", "the system's id, part of the token's subject")
	create.Flags().StringVar(&name, "name", "", "display name")
	create.Flags().DurationVar(&ttl, "ttl", 0, "lifetime (default: the server's)")
	create.MarkFlagRequired("system-id")

	list := a.listed(&cobra.Command{Use: "list", Short: "List a region's service tokens (never the tokens themselves)"}, aip.MaxPageSize,
		func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
			return s.Auth.ListServiceTokens(ctx, &famiv1.ListServiceTokensRequest{Parent: "regions/" + region, PageSize: p.size, PageToken: p.token})
		})

	revoke := onResource(resource{"service token", "regions/lombardia/serviceTokens/0f3c..."}, &cobra.Command{Use: "revoke NAME", Short: "Revoke a service token"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Auth.RevokeServiceToken(ctx, &famiv1.RevokeServiceTokenRequest{Name: name})
		}))
	return group("service-token", "Tokens of regional systems, issued by the server", create, list, revoke)
}

func newCalendarCmd(a *app) *cobra.Command {
	var label string
	var ttl time.Duration
	create := inRegion(&cobra.Command{
		Use:   "create",
		Short: "Issue a calendar feed token with your read rights (printed once)",
		Long: `Issue a token that a calendar application puts in a feed URL to subscribe
to a region's meetings (.ics). It carries your read rights and dies with
your credentials.`,
		Example: `  famictl calendar token create --region lombardia --label "Thunderbird in ufficio" --ttl 4320h`,
	}, a.printed(func(ctx context.Context, s *sdk.Client, region string) (proto.Message, error) {
		return s.Meetings.CreateCalendarToken(ctx, &famiv1.CreateCalendarTokenRequest{
			Parent: "regions/" + region, DisplayName: label, TtlSeconds: int64(ttl / time.Second),
		})
	}))
	create.Flags().StringVar(&label, "label", "", `what the token is for, e.g. "Thunderbird at the office"`)
	create.Flags().DurationVar(&ttl, "ttl", 0, "lifetime (default: the server's)")

	var state string
	var newestFirst bool
	list := a.listed(&cobra.Command{
		Use:     "list",
		Short:   "List a region's calendar tokens (never the tokens themselves)",
		Example: "  famictl calendar token list --region lombardia --state live --newest-first -o table",
	}, aip.MaxPageSize,
		func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
			st, err := enumFlag("state", state, "CALENDAR_TOKEN_STATE_", famiv1.CalendarTokenState_value)
			if err != nil {
				return nil, err
			}
			req := &famiv1.ListCalendarTokensRequest{Parent: "regions/" + region, PageSize: p.size, PageToken: p.token, State: famiv1.CalendarTokenState(st)}
			if newestFirst {
				req.OrderBy = "create_time desc"
			}
			return s.Meetings.ListCalendarTokens(ctx, req)
		})
	list.Flags().StringVar(&state, "state", "", "live (neither revoked nor expired) or ended")
	list.Flags().BoolVar(&newestFirst, "newest-first", false, "the newest first (default: by name)")
	list.RegisterFlagCompletionFunc("state", fixedCompletion("live", "ended"))

	revoke := onResource(resource{"calendar token", "regions/lombardia/calendarTokens/..."}, &cobra.Command{Use: "revoke NAME", Short: "Revoke a calendar token: its feed URL stops working"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Meetings.RevokeCalendarToken(ctx, &famiv1.RevokeCalendarTokenRequest{Name: name})
		}))
	return group("calendar", "Meeting calendars", group("token", "Calendar feed tokens", create, list, revoke))
}

func newPeriodCmd(a *app) *cobra.Command {
	var id, from, to, reason string
	var force bool
	closeCmd := inRegion(&cobra.Command{
		Use:     "close",
		Short:   "Close a period: support entries dated in it can no longer change",
		Example: `  famictl period close --region lombardia --id q1-2026 --from 2026-01-01 --to 2026-03-31 --reason "Q1 reported to the ministry"`,
	}, a.printed(func(ctx context.Context, s *sdk.Client, region string) (proto.Message, error) {
		return s.Support.ClosePeriod(ctx, &famiv1.ClosePeriodRequest{
			Parent: "regions/" + region, ClosedPeriodId: id,
			ClosedPeriod: &famiv1.ClosedPeriod{StartDate: from, EndDate: to, Reason: reason},
			Force:        force,
		})
	}))
	closeCmd.Flags().StringVar(&id, "id", "", "id of the closed period, e.g. q1-2026 (default: chosen by the server)")
	daysFlags(closeCmd, &from, &to, true)
	closeCmd.Flags().StringVar(&reason, "reason", "", "why it is closed")
	closeCmd.Flags().BoolVar(&force, "force", false, "close even though entries in the period still await review (they stay SUBMITTED, frozen); needs --reason")

	reopen := onResource(resource{"closed period", "regions/lombardia/closedPeriods/q1-2026"}, &cobra.Command{Use: "reopen NAME", Short: "Reopen a closed period, with a reason"},
		a.printed(func(ctx context.Context, s *sdk.Client, name string) (proto.Message, error) {
			return s.Support.ReopenPeriod(ctx, &famiv1.ReopenPeriodRequest{Name: name, Reason: reason})
		}))
	reopen.Flags().StringVar(&reason, "reason", "", "why it is reopened")
	reopen.MarkFlagRequired("reason")

	var reopened bool
	list := a.listed(&cobra.Command{Use: "list", Short: "List a region's closed periods"}, aip.MaxPageSize,
		func(ctx context.Context, s *sdk.Client, region string, p page) (proto.Message, error) {
			return s.Support.ListClosedPeriods(ctx, &famiv1.ListClosedPeriodsRequest{Parent: "regions/" + region, PageSize: p.size, PageToken: p.token, ShowReopened: reopened,
				StartDate: from, EndDate: to})
		})
	list.Flags().BoolVar(&reopened, "show-reopened", false, "include reopened periods")
	// Only the periods that meet the days from --from to --to (either may
	// be left out); close's flags of the same names, as one command runs.
	daysFlags(list, &from, &to, false)
	// --all was this flag's first name: kept so that scripts keep their
	// meaning, hidden and deprecated beside the API's name.
	list.Flags().BoolVar(&reopened, "all", false, "include reopened periods")
	list.Flags().MarkDeprecated("all", "use --show-reopened")
	return group("period", "Closed periods of support hours", closeCmd, reopen, list)
}

// newLogoutCmd revokes the token famictl calls with: the API's Logout.
func newLogoutCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:         "logout",
		Short:       "Revoke the token famictl calls with; other tokens stay valid",
		Annotations: writes("nothing"),
		Long: `Revoke the bearer token famictl calls with (--token-file, FAMICTL_TOKEN or
--token): the server refuses it at once on every surface, and its open
watches end. Only that token: the account's other sessions, and a
regional system's other service tokens, stay valid. famictl keeps no
token of its own, so delete the file or unset the variable afterwards.`,
		Example: `  famictl logout`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := a.client().sdk().Auth.Logout(cmd.Context(), &famiv1.LogoutRequest{}); err != nil {
				return err
			}
			fmt.Fprintln(a.stderr, "famictl: the token is revoked")
			return nil
		},
	}
}
