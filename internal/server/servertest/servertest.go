// Package servertest starts a real server for the tests of the programs
// that talk to one (famictl, famiload): on loopback ports the system
// chooses, over a fresh data dir, stopped when the test ends, with tokens
// signed by the data dir's key as `famictl token create` signs them. The
// server package's own tests have a harness of their own
// (internal/server/harness_test.go), which also stops and reopens a
// server on its data dir.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/server"
)

// Server is a running server and its data dir.
type Server struct {
	*server.Server
	DataDir string
}

// Start opens and runs a server with cfg, on loopback ports the system
// chooses: an empty DataDir becomes a fresh temporary directory, a nil
// Logger one that discards. The server is stopped, and its Run error
// checked, when the test ends.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := server.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("server.Open: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server Run: %v", err)
		}
	})
	return &Server{Server: srv, DataDir: cfg.DataDir}
}

// URL is the base URL of the server's HTTP port.
func (s *Server) URL() string { return "http://" + s.HTTPAddr() }

// Token signs a token for spec with the data dir's key, valid for an
// hour when spec.TTL is zero; t is the test (or subtest) that fails if
// it cannot.
func (s *Server) Token(t testing.TB, spec auth.TokenSpec) string {
	t.Helper()
	keys, err := auth.LoadKeys(s.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if spec.TTL == 0 {
		spec.TTL = time.Hour
	}
	tok, _, err := keys.Sign(spec, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
