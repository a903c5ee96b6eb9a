package main

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/raccordo/raccordo/internal/territory"
	"github.com/raccordo/raccordo/sdk"
)

// clientFlags are the flags of every command that talks to a server.
type clientFlags struct {
	server *string
	token  *string
}

// bearer returns the token of --token, or of FAMICTL_TOKEN when the flag is
// not given.
func (c clientFlags) bearer() string {
	if *c.token != "" {
		return *c.token
	}
	return os.Getenv("FAMICTL_TOKEN")
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
