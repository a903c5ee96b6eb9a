package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestNationalAnswerWithoutARegion: a national answer (--region -) that
// leaves out a region famid refused at start (its file empty) is printed,
// the region named in its unreachable field, with a warning on standard
// error naming it, on one page and with --all-pages; a whole answer warns
// of nothing.
func TestNationalAnswerWithoutARegion(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "regions"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "regions", "veneto.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := startServer(t, server.Config{DataDir: dir})
	ministry := f.token(auth.TokenSpec{Subject: "test:ministry", Role: principal.Ministry})
	for _, args := range [][]string{
		{"protocol", "list", "--region", "-"},
		{"meeting", "list", "--region", "-", "--all-pages", "--page-size", "2"},
		{"hours", "summary", "--region", "-", "--from", "2026-01-01", "--to", "2026-12-31", "-o", "table"},
	} {
		out, errOut, err := f.run(ministry, "", args...)
		if err != nil {
			t.Errorf("famictl %s: %v\n%s", strings.Join(args, " "), err, errOut)
			continue
		}
		if !strings.Contains(errOut, "famictl: warning: the answer leaves out regions/veneto:") {
			t.Errorf("famictl %s: standard error %q, want a warning naming regions/veneto", strings.Join(args, " "), errOut)
		}
		if !strings.Contains(args[len(args)-1], "table") && (!strings.Contains(out, `"unreachable":`) || !strings.Contains(out, `"regions/veneto"`)) {
			t.Errorf("famictl %s printed no unreachable field:\n%s", strings.Join(args, " "), out)
		}
	}
	_, errOut, err := f.run(ministry, "", "protocol", "list", "--region", "lombardia")
	if err != nil || errOut != "" {
		t.Errorf("famictl protocol list --region lombardia: %v, standard error %q; want no warning", err, errOut)
	}
}
