package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/csvfile/csvtest"
	"github.com/raccordo/raccordo/internal/principal"
)

// TestHoursExport exports a consultant's entries and a summary by activity
// from a real server, and reads the CSV files back.
func TestHoursExport(t *testing.T) {
	f := startFamid(t)
	url, admin := f.url, f.admin
	consultant := f.token(auth.TokenSpec{Subject: "account:mrossi", Role: principal.Consultant, Region: "lombardia", Name: "Mario Rossi"})
	entries := f.flags(consultant).sdk().Support
	activities := []famiv1.SupportActivity{famiv1.SupportActivity_SUPPORT_ACTIVITY_PROJECT_FOCUS, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP}
	for i := range 30 {
		_, err := entries.CreateSupportEntry(context.Background(), &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia",
			SupportEntry: &famiv1.SupportEntry{Network: f.network, Activity: activities[i%2],
				Date: fmt.Sprintf("2022-03-%02d", i+1), DurationMinutes: 90, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
				Notes: "=HYPERLINK(\"x\")"}})
		if err != nil {
			t.Fatal(err)
		}
	}

	read := func(path string) [][]string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csvtest.Read(b, ',')
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return rows
	}
	out := filepath.Join(t.TempDir(), "ore.csv")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"hours", "export", "--server", url, "--token", consultant, "--region", "lombardia", "--out", out, "--quiet"}, &stdout, &stderr); err != nil {
		t.Fatalf("export: %v (%s)", err, stderr.String())
	}
	rows := read(out)
	if len(rows) != 31 {
		t.Fatalf("entries export has %d rows, want a header and 30 entries", len(rows))
	}
	if !strings.Contains(strings.Join(rows[1], ","), "'=HYPERLINK") {
		t.Errorf("a formula in the notes is not defused: %v", rows[1])
	}

	summary := filepath.Join(t.TempDir(), "attivita.csv")
	if err := run([]string{"hours", "export", "--server", url, "--token", admin, "--region", "lombardia", "--group-by", "activity",
		"--from", "2022-01-01", "--to", "2022-12-31", "--out", summary, "--quiet"}, &stdout, &stderr); err != nil {
		t.Fatalf("summary export: %v", err)
	}
	rows = read(summary)
	total := rows[len(rows)-1]
	if len(rows) != 4 || !strings.Contains(strings.Join(total, ","), "2700") {
		t.Fatalf("summary export = %v, want two activities and a TOTAL of 2700 minutes", rows)
	}

	// The Italian dialect: semicolons and decimal commas (90 minutes: 1,50).
	stdout.Reset()
	if err := run([]string{"hours", "export", "--server", url, "--token", admin, "--region", "lombardia", "--dialect", "italian", "--quiet"}, &stdout, &stderr); err != nil {
		t.Fatalf("Italian export: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "\uFEFFname;consultant;") || !strings.Contains(stdout.String(), ";90;1,50;") {
		t.Errorf("Italian export starts %q", stdout.String()[:min(stdout.Len(), 400)])
	}
	if err := run([]string{"hours", "export", "--server", url, "--token", admin, "--region", "lombardia", "--dialect", "excel", "--quiet"}, &stdout, &stderr); err == nil ||
		!strings.Contains(err.Error(), "italian, standard") {
		t.Errorf("--dialect excel: %v", err)
	}

	// A refused export leaves no file behind.
	refused := filepath.Join(t.TempDir(), "no.csv")
	if err := run([]string{"hours", "export", "--server", url, "--token", consultant, "--region", "veneto", "--out", refused, "--quiet"}, &stdout, &stderr); err == nil {
		t.Fatal("an export of another region succeeded")
	}
	if _, err := os.Stat(refused); !os.IsNotExist(err) {
		t.Fatalf("a refused export left %s behind", refused)
	}
}

// TestCommandsStopAtTheirContext: a command that talks to the server stops
// at its context (what Ctrl-C cancels) with the context's error, and an
// export or a backup stopped so leaves no file behind; watch, which runs
// until interrupted, ends without an error.
func TestCommandsStopAtTheirContext(t *testing.T) {
	f := startFamid(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"hours", "export", "--region", "lombardia", "--quiet", "--out", filepath.Join(dir, "ore.csv")},
		{"hours", "export", "--region", "lombardia", "--quiet"},
		{"backup", "--region", "lombardia", "--quiet", "--out", filepath.Join(dir, "lombardia.db")},
		{"meeting", "calendar", "--region", "lombardia", "--out", filepath.Join(dir, "riunioni.ics")},
		{"protocol", "list", "--region", "lombardia", "--all-pages"},
		{"changes", "list", "--region", "lombardia"},
	} {
		var stdout bytes.Buffer
		err := executeContext(ctx, append(args, "--server", f.url, "--token", f.admin), nil, &stdout, io.Discard)
		if !errors.Is(err, context.Canceled) || stdout.Len() > 0 {
			t.Errorf("famictl %s with a cancelled context: err = %v, printed %q; want context.Canceled and nothing", strings.Join(args, " "), err, stdout.String())
		}
	}
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("commands stopped by their context left %v behind", files)
	}
	if err := executeContext(ctx, []string{"watch", "--region", "lombardia", "--server", f.url, "--token", f.admin}, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("watch interrupted before its stream opened: %v", err)
	}
}

// TestTimeout: --timeout stops a command with the deadline's error, and
// ends a watch, which otherwise runs until interrupted, without one.
func TestTimeout(t *testing.T) {
	f := startFamid(t)
	// A deadline one nanosecond away has passed when the export asks.
	if _, _, err := f.run(f.admin, "", "hours", "export", "--region", "lombardia", "--quiet", "--timeout", "1ns"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hours export --timeout 1ns: err = %v; want the deadline's", err)
	}
	if out, _, err := f.run(f.admin, "", "watch", "--region", "lombardia", "--timeout", "300ms"); err != nil || !strings.Contains(out, cpiaName) {
		t.Errorf("watch --timeout 300ms: err = %v; want the changes printed and no error:\n%s", err, out)
	}
	if _, _, err := f.run(f.admin, "", "changes", "list", "--region", "lombardia", "--timeout", "-1s"); err == nil || !strings.Contains(err.Error(), "--timeout") {
		t.Errorf("--timeout -1s: err = %v; want it refused", err)
	}
}

// TestRowsBarCountsWhileSpinning: the export's bar is set from the export's
// goroutine while progressbar's own goroutine turns its spinner (every
// 100 ms). Under -race this caught a data race on the bar's start time,
// which the library's goroutine reads without the bar's lock. In a
// synctest bubble the spinner turns without the test waiting for it.
func TestRowsBarCountsWhileSpinning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		bar := rowsBar(&out, "export lombardia")
		time.Sleep(time.Second) // the spinner turns ten times
		for rows := range 3 {
			bar.Set(rows + 1)
			time.Sleep(time.Second)
		}
		bar.Finish()
		time.Sleep(time.Second) // the spinner's goroutine sees the finish and ends
		if !strings.Contains(out.String(), "export lombardia") || !strings.Contains(out.String(), "(3/-)") {
			t.Errorf("the bar shows %q, want its description and the count of 3 rows", out.String())
		}
	})
}
