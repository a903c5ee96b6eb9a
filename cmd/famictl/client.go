package main

import (
	"flag"
	"net/http"
	"os"

	"connectrpc.com/connect"

	"github.com/raccordo/raccordo/sdk"
)

// clientFlags are the flags of every command that talks to a server.
type clientFlags struct {
	server *string
	token  *string
}

func addClientFlags(fs *flag.FlagSet) clientFlags {
	return clientFlags{
		server: fs.String("server", envOr("FAMICTL_SERVER", "http://127.0.0.1:8080"), "famid's HTTP address (env FAMICTL_SERVER)"),
		token:  fs.String("token", os.Getenv("FAMICTL_TOKEN"), "bearer token (env FAMICTL_TOKEN)"),
	}
}

// options returns the Connect client options: the bearer token on every
// call.
func (c clientFlags) options() []connect.ClientOption {
	token := *c.token
	return []connect.ClientOption{connect.WithInterceptors(sdk.Bearer(token))}
}

func (c clientFlags) httpClient() *http.Client { return http.DefaultClient }

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
