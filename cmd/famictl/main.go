// Command famictl is Raccordo's command-line client and admin tool. Run
// `famictl help` or `famictl COMMAND --help` for the commands and their
// flags, and `famictl completion bash|zsh|fish|powershell` for shell
// completion.
//
// The token and key commands work on the server's data dir directly (the
// signing keys are plain files beside the bbolt files), so they run while
// famid is serving; every other command talks to famid over its HTTP port
// (Connect), with the bearer token of --token-file, FAMICTL_TOKEN or
// --token.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"

	"github.com/raccordo/raccordo/sdk"
)

func main() {
	// Ctrl-C and SIGTERM cancel the command's context: the command stops
	// and cleans up (an export or a backup leaves no partial file; watch
	// and mirror end normally). A second signal kills famictl at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	if err := newApp(os.Stdin, os.Stdout, os.Stderr).execute(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "famictl:", err)
		os.Exit(2)
	}
}

// app is what every command shares: the standard streams, the clock and
// the global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	server, token  string
	tokenFile      string
	output         string
	timeout        time.Duration
	stop           context.CancelFunc // releases the --timeout's timer
	// now is the clock tokens are signed on: the machine's, which famid
	// shares. The tests run famictl in the process of the servers they
	// start, and put it on the servers' clock.
	now func() time.Time
}

// newApp returns an app on the standard streams given and the machine's
// clock.
func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now, stop: func() {}}
}

// execute builds the command tree over a and runs args through it, with a
// context, which every command that talks to the server stops at. Its
// error is what main prints (see withReason).
func (a *app) execute(ctx context.Context, args []string) error {
	root := newRoot(a)
	root.SetArgs(args)
	defer func() { a.stop() }()
	return withReason(root.ExecuteContext(ctx))
}

// withReason adds to a refusal of the server its reason (sdk.Reason), the
// stable token a script matches and docs/errors.md explains, such as
// NOT_A_PARTY or ARCHIVED: the code, the message and the field it names
// do not tell apart the refusals that share a code. A reason that only
// repeats the code (NOT_FOUND for not_found) is left out. The error is
// wrapped, so its code is still the call's (connect.CodeOf).
func withReason(err error) error {
	reason := sdk.Reason(err)
	if reason == "" || reason == strings.ToUpper(connect.CodeOf(err).String()) {
		return err
	}
	return fmt.Errorf("%w (reason %s)", err, reason)
}

func (a *app) client() clientFlags { return clientFlags{server: &a.server, token: &a.token} }

func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "famictl",
		Short: "Raccordo's command-line client and admin tool",
		Long: `famictl talks to a Raccordo server (famid) over its HTTP port, and manages the
server's signing keys in its data dir.

Commands that talk to the server take --server (env FAMICTL_SERVER) and the
bearer token from --token-file, FAMICTL_TOKEN or --token. Prefer the file or
the variable: --token is visible to other users in the process list and
stays in the shell's history.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          missingCommand,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", envOr("FAMICTL_SERVER", "http://127.0.0.1:8080"), "famid's HTTP address (env FAMICTL_SERVER)")
	// The default is empty on purpose: a default read from FAMICTL_TOKEN
	// would be printed by --help. clientFlags.bearer falls back to it.
	pf.StringVar(&a.token, "token", "", "bearer token (default: env FAMICTL_TOKEN); visible in the process list and the shell's history: prefer --token-file or the variable")
	pf.StringVar(&a.tokenFile, "token-file", "", "file holding the bearer token, not readable by all users (chmod 600)")
	root.MarkFlagsMutuallyExclusive("token", "token-file")
	pf.StringVarP(&a.output, "output", "o", "json", "output format of the server's answers: json or table")
	root.RegisterFlagCompletionFunc("output", fixedCompletion("json", "table"))
	pf.DurationVar(&a.timeout, "timeout", 0, "give up after this long, e.g. 30s (default: no limit); watch and mirror then stop without an error")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if a.output != "json" && a.output != "table" {
			return fmt.Errorf("--output %q is not json or table", a.output)
		}
		if what, ok := cmd.Annotations[ownOutput]; ok && cmd.Flags().Changed("output") {
			return fmt.Errorf("%s writes %s, not an answer of the server: --output does not apply to it", cmd.CommandPath(), what)
		}
		if a.timeout < 0 {
			return fmt.Errorf("--timeout %v is negative", a.timeout)
		}
		if a.timeout > 0 {
			// The deadline also reaches the server, which stops the call.
			ctx, cancel := context.WithTimeout(cmd.Context(), a.timeout)
			cmd.SetContext(ctx)
			a.stop = cancel
		}
		if a.tokenFile != "" {
			t, err := readTokenFile(a.tokenFile)
			if err != nil {
				return err
			}
			a.token = t
		}
		return nil
	}
	root.AddCommand(
		newTokenCmd(a), newKeyCmd(a),
		newBackupCmd(a), newRestoreCmd(a), newMirrorCmd(a),
		newProtocolCmd(a), newMeetingCmd(a), newCalendarCmd(a),
		newHoursCmd(a), newPeriodCmd(a), newReportCmd(a),
		newAccountCmd(a), newServiceTokenCmd(a), newLogoutCmd(a),
		newChangesCmd(a), newWatchCmd(a),
	)
	return root
}

// group returns a command that only holds subcommands: run alone it shows
// its help and fails, so a script that lost a word does not succeed.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: noArgs, RunE: missingCommand}
	c.AddCommand(subs...)
	return c
}

// noArgs refuses arguments, naming an unknown subcommand as such.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return errors.New(msg)
}

func missingCommand(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(cmd.ErrOrStderr())
	cmd.Help()
	return fmt.Errorf("%s needs a command", cmd.CommandPath())
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
