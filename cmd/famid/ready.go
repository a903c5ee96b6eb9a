package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/raccordo/raccordo/internal/atomicfile"
	"github.com/raccordo/raccordo/internal/server"
)

// readiness is what --ready-file holds once famid has bound every
// listener: the addresses it bound, so that whoever started it with
// port 0 (a test, a supervisor) learns them without guessing a free port,
// which another process can take between the guess and the bind.
type readiness struct {
	PID         int    `json:"pid"`
	GRPCAddr    string `json:"grpc_addr"`
	HTTPAddr    string `json:"http_addr"`
	MetricsAddr string `json:"metrics_addr,omitempty"`
	AdminAddr   string `json:"admin_addr,omitempty"`
}

// writeReadyFile writes srv's bound addresses to path atomically, so a
// reader polling for path never sees it half-written.
func writeReadyFile(path string, srv *server.Server) error {
	b, err := json.Marshal(readiness{
		PID:         os.Getpid(),
		GRPCAddr:    srv.GRPCAddr(),
		HTTPAddr:    srv.HTTPAddr(),
		MetricsAddr: srv.MetricsAddr(),
		AdminAddr:   srv.AdminAddr(),
	})
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("--ready-file: %w", err)
	}
	return nil
}

// removeReadyFile removes path on a clean stop, so that a file left
// behind says a famid was killed (its pid tells which one).
func removeReadyFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--ready-file: %w", err)
	}
	return nil
}
