package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// TestNationalAnswerWithoutARegion: a national answer (--region -) that
// leaves out a region famid refused at start (its file empty) is printed,
// the region named in its unreachable field, with a warning on standard
// error naming it, on one page and with --all-pages (which gathers the
// pages' unreachable regions); an answer that did not meet the region
// warns of nothing.
func TestNationalAnswerWithoutARegion(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "regions"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "regions", "veneto.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := seedFamid(t, startServer(t, server.Config{DataDir: dir}))
	seedListings(t, f)
	ministry := f.token(auth.TokenSpec{Subject: "test:ministry", Role: principal.Ministry})
	for _, args := range [][]string{
		{"protocol", "list", "--region", "-"},
		// lombardia's three meetings come on two pages; the national
		// meetings merge every region's by start time, so each page reads
		// veneto too: the gap is met on the first page.
		{"meeting", "list", "--region", "-", "--all-pages", "--page-size", "2"},
		{"meeting", "list", "--region", "-", "--page-size", "2"},
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
	for _, args := range [][]string{
		{"protocol", "list", "--region", "lombardia"},
		// The first page holds lombardia's first two protocols: the
		// protocols walk the regions in id order, and veneto is not met
		// yet.
		{"protocol", "list", "--region", "-", "--page-size", "2"},
	} {
		out, errOut, err := f.run(ministry, "", args...)
		if err != nil || errOut != "" || strings.Contains(out, "regions/veneto") {
			t.Errorf("famictl %s: %v, standard error %q; want no warning and no veneto:\n%s", strings.Join(args, " "), err, errOut, out)
		}
	}
	var all famiv1.ListMeetingsResponse
	if err := protojson.Unmarshal([]byte(f.must(ministry, "meeting", "list", "--region", "-", "--all-pages", "--page-size", "2")), &all); err != nil {
		t.Fatal(err)
	}
	if len(all.GetMeetings()) != 3 || !slices.Equal(all.GetUnreachable(), []string{"regions/veneto"}) {
		t.Errorf("famictl meeting list --region - --all-pages: %d meetings, unreachable %q; want lombardia's 3 and regions/veneto", len(all.GetMeetings()), all.GetUnreachable())
	}
}
