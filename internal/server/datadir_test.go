package server_test

import (
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/server"
)

// TestOpenRefusesAnEmptyDataDir: a library caller's Config without a
// DataDir (or only blanks) is refused, naming the field, and nothing is
// written in the working directory. Before, it became "data" there: the
// signing keys and region files went wherever the caller ran.
func TestOpenRefusesAnEmptyDataDir(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	for _, dir := range []string{"", "  "} {
		srv, err := server.Open(t.Context(), server.Config{DataDir: dir, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
			Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			srv.Close()
		}
		if !errors.Is(err, server.ErrNoDataDir) || !strings.Contains(err.Error(), "DataDir") {
			t.Errorf("DataDir %q: %v, want ErrNoDataDir naming DataDir", dir, err)
		}
	}
	if entries, err := os.ReadDir(wd); err != nil || len(entries) > 0 {
		t.Errorf("the working directory holds %v (%v), want nothing", entries, err)
	}
}
