package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/territory"
	"github.com/raccordo/raccordo/sdk"
)

// clientFlags are the flags of every command that talks to a server.
type clientFlags struct {
	server *string
	token  *string
}

// bearer returns the token of --token or --token-file, or of FAMICTL_TOKEN
// when neither flag is given.
func (c clientFlags) bearer() string {
	if *c.token != "" {
		return *c.token
	}
	return os.Getenv("FAMICTL_TOKEN")
}

// readTokenFile reads the token of --token-file: the file's content without
// its trailing newline. A file every user may read is refused, as ssh
// refuses such a key: the token would be anyone's. (A Kubernetes secret
// mounted with its default mode, 0644, needs defaultMode 0440 or 0400.)
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o004 != 0 {
		return "", fmt.Errorf("--token-file %s is readable by every user (mode %v): chmod o-r it, and use another token if others may have read it", path, fi.Mode().Perm())
	}
	// Read no more than the longest token the server accepts and a line
	// end, whatever the file is.
	b, err := io.ReadAll(io.LimitReader(f, auth.MaxTokenBytes+3))
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	t := strings.TrimRight(string(b), "\r\n")
	if t == "" || len(t) > auth.MaxTokenBytes || strings.ContainsAny(t, "\r\n") {
		return "", fmt.Errorf("--token-file %s must hold one token (at most %d bytes) on one line", path, auth.MaxTokenBytes)
	}
	return t, nil
}

func (c clientFlags) httpClient() *http.Client { return http.DefaultClient }

// sdk returns the clients of every service.
func (c clientFlags) sdk() *sdk.Client {
	return sdk.NewClient(c.httpClient(), *c.server, c.bearer())
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// regionFlag adds the usual --region flag, completed from the region list.
func regionFlag(cmd *cobra.Command, p *string, required bool) {
	cmd.Flags().StringVar(p, "region", "", "region id, e.g. lombardia")
	if required {
		cmd.MarkFlagRequired("region")
	}
	cmd.RegisterFlagCompletionFunc("region", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var ids []string
		for _, r := range territory.Regions() {
			ids = append(ids, r.ID+"\t"+r.DisplayName)
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	})
}

// daysFlags adds --from and --to, the first and last day of a range of
// dates, both required when required.
func daysFlags(cmd *cobra.Command, from, to *string, required bool) {
	cmd.Flags().StringVar(from, "from", "", "first day, YYYY-MM-DD")
	cmd.Flags().StringVar(to, "to", "", "last day, YYYY-MM-DD")
	if required {
		cmd.MarkFlagRequired("from")
		cmd.MarkFlagRequired("to")
	}
}

// enumFlag parses a user's short enum value ("in_force") into the value of
// the protobuf enum whose names start with prefix ("PROTOCOL_STATE_").
func enumFlag(flag, value, prefix string, values map[string]int32) (int32, error) {
	if value == "" {
		return 0, nil
	}
	v, ok := values[prefix+strings.ToUpper(strings.ReplaceAll(value, "-", "_"))]
	if !ok || v == 0 {
		var names []string
		for name, n := range values {
			if n != 0 {
				names = append(names, strings.ToLower(strings.TrimPrefix(name, prefix)))
			}
		}
		slices.Sort(names)
		return 0, fmt.Errorf("--%s %q is not one of %s", flag, value, strings.Join(names, ", "))
	}
	return v, nil
}
