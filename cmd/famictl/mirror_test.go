package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/syncbuf"
	"github.com/raccordo/raccordo/internal/waittest"
	"github.com/raccordo/raccordo/sdk"
)

// TestMirror keeps a directory in sync with a region while it changes, and
// resumes from the saved revision after a restart of the mirror.
func TestMirror(t *testing.T) {
	f := startServer(t, server.Config{})
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	partners := cf.sdk().Partners
	create := func(id string) {
		t.Helper()
		if _, err := partners.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: "Partner " + id, Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	waitFor := func(what string, ok func() bool) { t.Helper(); waittest.Until(t, what, ok) }
	revision := func() string { return mirrorRevision(out) }
	startMirror := func() func() { return startMirror(t, cf, out) }

	for i := range 3 {
		create(fmt.Sprintf("before-%d", i))
	}
	stop := startMirror()
	waitFor("the listed partners", func() bool {
		_, err := os.Stat(filepath.Join(out, "partners", "before-2.json"))
		return err == nil
	})
	create("live")
	if _, err := partners.DeletePartner(context.Background(), &famiv1.DeletePartnerRequest{Name: "regions/lombardia/partners/before-0"}); err != nil {
		t.Fatal(err)
	}
	waitFor("revision 5", func() bool { return revision() == "5" })
	stop()
	if _, err := os.Stat(filepath.Join(out, "partners", "before-0.json")); !os.IsNotExist(err) {
		t.Fatalf("the deleted partner's file is still there: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(out, "partners", "live.json"))
	if err != nil || !strings.Contains(string(b), `"Partner live"`) {
		t.Fatalf("live.json = %s, %v", b, err)
	}

	// Changes while the mirror is away arrive when it resumes from .revision.
	create("while-away")
	stop = startMirror()
	waitFor("the change made while away", func() bool {
		_, err := os.Stat(filepath.Join(out, "partners", "while-away.json"))
		return err == nil && revision() == "6"
	})
	stop()
	files, _ := filepath.Glob(filepath.Join(out, "partners", "*.json"))
	if len(files) != 4 {
		t.Fatalf("mirror holds %d partners, want 4: %v", len(files), files)
	}
}

// TestMirrorListsEveryState: a fresh mirror writes its position as soon as
// its first list is complete (it used to wait for a change), and lists
// reopened periods too (it used to skip them, though the feed delivers
// them).
func TestMirrorListsEveryState(t *testing.T) {
	f := startServer(t, server.Config{})
	sup := f.flags(f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})).sdk().Support
	if _, err := sup.ClosePeriod(context.Background(), &famiv1.ClosePeriodRequest{Parent: "regions/lombardia", ClosedPeriodId: "q1-2021",
		ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2021-01-01", EndDate: "2021-03-31", Reason: "reported"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.ReopenPeriod(context.Background(), &famiv1.ReopenPeriodRequest{Name: "regions/lombardia/closedPeriods/q1-2021", Reason: "a correction"}); err != nil {
		t.Fatal(err)
	}
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	out := t.TempDir()
	defer startMirror(t, cf, out)()
	waittest.Until(t, ".revision 2 after the first list", func() bool { return mirrorRevision(out) == "2" })
	if _, err := os.Stat(filepath.Join(out, "closedPeriods", "q1-2021.json")); err != nil {
		t.Errorf("the reopened period is not mirrored: %v", err)
	}
}

// startMirror runs a mirror of lombardia into out until the returned stop
// is called, which fails the test if the mirror ended with an error.
func startMirror(t *testing.T, cf clientFlags, out string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- runMirror(ctx, cf, "lombardia", out, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	return func() {
		cancel()
		if err := <-ended; err != nil {
			t.Errorf("mirror: %v", err)
		}
	}
}

// mirrorRevision is the position a mirror saved in out.
func mirrorRevision(out string) string {
	b, _ := os.ReadFile(filepath.Join(out, ".revision"))
	return strings.TrimSpace(string(b))
}

// TestMirrorStopsOnDataLoss: a mirror that meets a damaged record, in its
// lists or in the change feed, stops with the DATA_LOSS naming the record
// and saying what to do. It used to retry for ever, logging the same
// error with a growing backoff.
func TestMirrorStopsOnDataLoss(t *testing.T) {
	f := startFamid(t)
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	partners := sdk.NewClient(nil, f.url, f.admin).Partners
	create := func(id string) {
		t.Helper()
		if _, err := partners.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: "MARKER-" + id, Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
			t.Fatal(err)
		}
	}
	wantStopped := func(out, record string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := runMirror(ctx, cf, "lombardia", out, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if connect.CodeOf(err) != connect.CodeDataLoss || ctx.Err() != nil {
			t.Fatalf("mirror over the damaged %s: %v (context: %v), want it stopped with DATA_LOSS", record, err, ctx.Err())
		}
		for _, want := range []string{record, "region lombardia", "restore the region from a backup"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}

	// In a fresh mirror's lists.
	create("listed")
	bolttest.Damage(t, f.dir, "lombardia", "MARKER-listed")
	wantStopped(t.TempDir(), "regions/lombardia/partners/listed")

	// In the feed of a mirror that resumes from its position.
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, ".revision"), []byte("4"), 0o644); err != nil {
		t.Fatal(err)
	}
	create("watched") // revision 5
	bolttest.Damage(t, f.dir, "lombardia", "MARKER-watched")
	wantStopped(out, "change 5 of region lombardia")
}

// TestMirrorWaitsForRetryAfter: a mirror refused for load (a second watch
// beyond the caller's stream limit: RESOURCE_EXHAUSTED with a Retry-After
// of 5 s) keeps trying, each time after the server's Retry-After rather
// than its own shorter backoff, and syncs once a stream is free.
func TestMirrorWaitsForRetryAfter(t *testing.T) {
	f := startServer(t, server.Config{MaxStreamsPerPrincipal: 1})
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	first := t.TempDir()
	stopFirst := startMirror(t, cf, first)
	waittest.Until(t, "the first mirror's position", func() bool { return mirrorRevision(first) == "0" })
	// The position is saved after the list, before the watch opens: a
	// change the first mirror receives proves it holds the one stream, so
	// the second is the one refused.
	admin := f.flags(f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"}))
	createPartner := func(id string) {
		t.Helper()
		if _, err := admin.sdk().Partners.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
			t.Fatal(err)
		}
	}
	createPartner("earlier")
	waittest.Until(t, "the first mirror watching", func() bool { return mirrorRevision(first) == "1" })

	second := t.TempDir()
	var logs syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- runMirror(ctx, cf, "lombardia", second, slog.New(slog.NewTextHandler(&logs, nil))) }()
	waittest.Until(t, "the second mirror refused", func() bool { return strings.Contains(logs.String(), "resource_exhausted") })
	stopFirst()
	createPartner("later")
	waittest.Until(t, "the second mirror watching", func() bool { return mirrorRevision(second) == "2" })
	cancel()
	if err := <-ended; err != nil {
		t.Fatalf("second mirror: %v", err)
	}
	log := logs.String()
	if !strings.Contains(log, "retrying") || !strings.Contains(log, "in=5s") {
		t.Errorf("the refused mirror did not wait for the Retry-After of 5s:\n%s", log)
	}
	if strings.Count(log, "resource_exhausted") > 1 {
		t.Errorf("the refused mirror tried again before the Retry-After:\n%s", log)
	}
}

// TestMirrorKeepsOutOfOtherFiles: a first mirror into a directory that
// holds other files is refused, and the files stay; an empty one is
// claimed before the first list. The mirror used to empty any directory
// it was given, famictl mirror --out . a home directory included.
func TestMirrorKeepsOutOfOtherFiles(t *testing.T) {
	f := startServer(t, server.Config{})
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	home := t.TempDir()
	thesis := filepath.Join(home, "tesi", "capitolo-1.tex")
	if err := os.MkdirAll(filepath.Dir(thesis), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(thesis, []byte("Introduzione"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := runMirror(ctx, cf, "lombardia", home, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a mirror into a directory of other files: %v, want a refusal", err)
	}
	if b, err := os.ReadFile(thesis); err != nil || string(b) != "Introduzione" {
		t.Fatalf("the file already there is gone: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(home, ".revision")); !os.IsNotExist(err) {
		t.Errorf("the refused directory was claimed: %v", err)
	}

	// An empty directory is the mirror's, and once it is, a later run
	// resumes there.
	out := t.TempDir()
	stop := startMirror(t, cf, out)
	waittest.Until(t, "the first list", func() bool { return mirrorRevision(out) == "0" })
	stop()
	stop = startMirror(t, cf, out)
	stop()
}

// TestMirrorKeepsNestedResources: a resource nested in another (a
// project's monitoring report, a network's capacity assessment) is kept
// under its parent's directory, whether it was written before the mirror
// listed (each parent's are listed with it) or after (the change feed).
// The mirror used to refuse its name as unexpected and stop, and stop
// again at every restart, at the same change; then it held only those
// written after its first list, as the API has no region-wide list.
func TestMirrorKeepsNestedResources(t *testing.T) {
	f := startFamid(t)
	c := sdk.NewClient(nil, f.url, f.admin)
	ctx := context.Background()
	report := monitoredProject(t, c)
	assessment := func(id string) {
		t.Helper()
		if _, err := c.Evaluation.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: f.network, CapacityAssessmentId: id,
			CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Misura " + id, T0: 1, T0Date: "2025-02-10"}}); err != nil {
			t.Fatal(err)
		}
	}
	report("2025-q2")
	assessment("listed")
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	out := t.TempDir()
	stop := startMirror(t, cf, out)
	defer func() { stop() }()
	waittest.Until(t, "the first list", func() bool { return mirrorRevision(out) == "6" })
	report("2025-q1")
	assessment("governance")
	waittest.Until(t, "the nested resources' changes", func() bool { return mirrorRevision(out) == "8" })
	for _, p := range []string{"projects/mon/monitoringReports/2025-q2.json", "networks/rete-bergamo/capacityAssessments/listed.json",
		"projects/mon/monitoringReports/2025-q1.json", "networks/rete-bergamo/capacityAssessments/governance.json", "projects/mon.json"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s is not mirrored: %v", p, err)
		}
	}
}

// monitoredProject creates the project "mon" in lombardia and returns a
// function that creates its report of a quarter (YYYY-qN).
func monitoredProject(t *testing.T, c *sdk.Client) (report func(quarter string) string) {
	t.Helper()
	if _, err := c.Projects.CreateProject(t.Context(), &famiv1.CreateProjectRequest{Parent: "regions/lombardia", ProjectId: "mon", Project: &famiv1.Project{
		Code: "MON-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2025-01-01", EndDate: "2027-12-31",
		Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}}}}); err != nil {
		t.Fatal(err)
	}
	return func(quarter string) string {
		t.Helper()
		r, err := c.Monitoring.CreateMonitoringReport(t.Context(), &famiv1.CreateMonitoringReportRequest{Parent: "regions/lombardia/projects/mon", MonitoringReportId: quarter,
			MonitoringReport: &famiv1.MonitoringReport{Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 5000, PaidCents: 4000}}}})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetName()
	}
}

// TestMirrorListsApprovedRevisions: a report's earlier approved
// revisions ("{name}@{revision}", kept when a correction opens) are in a
// mirror that lists the region, as in one that saw them come through the
// feed. The API lists none of them, and a fresh mirror held only the
// report's current revision.
func TestMirrorListsApprovedRevisions(t *testing.T) {
	f := startFamid(t)
	c := sdk.NewClient(nil, f.url, f.admin)
	name := monitoredProject(t, c)("2025-q2")
	for range 2 { // two corrections: revisions 1 and 2 are kept
		if _, err := c.Monitoring.SubmitMonitoringReport(t.Context(), &famiv1.SubmitMonitoringReportRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Monitoring.ApproveMonitoringReport(t.Context(), &famiv1.ApproveMonitoringReportRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Monitoring.CorrectMonitoringReport(t.Context(), &famiv1.CorrectMonitoringReportRequest{Name: name, Reason: "Pagamenti di marzo"}); err != nil {
			t.Fatal(err)
		}
	}
	head, err := c.Sync.ListChanges(t.Context(), &famiv1.ListChangesRequest{Parent: "regions/lombardia", PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	out := t.TempDir()
	stop := startMirror(t, cf, out)
	waittest.Until(t, "the first list", func() bool { return mirrorRevision(out) == fmt.Sprint(head.GetRevision()) })
	stop()
	for _, p := range []string{"2025-q2.json", "2025-q2@1.json", "2025-q2@2.json"} {
		b, err := os.ReadFile(filepath.Join(out, "projects", "mon", "monitoringReports", p))
		if err != nil {
			t.Errorf("%s is not mirrored: %v", p, err)
		} else if want := strings.TrimSuffix(p, ".json"); !strings.Contains(string(b), `/monitoringReports/`+want+`"`) {
			t.Errorf("%s holds %s, want the report named %s", p, b, want)
		}
	}
}

// TestMirrorDeleteTakesWhatIsNestedInIt: a deleted resource's directory
// of nested resources (DIR/projects/{p}/) goes with its file, and its
// siblings' stay. It stayed behind, with what it held.
func TestMirrorDeleteTakesWhatIsNestedInIt(t *testing.T) {
	d := &dirMirror{root: t.TempDir()}
	ctx := t.Context()
	for _, r := range []sdk.Resource{
		&famiv1.Project{Name: "regions/lombardia/projects/gone"},
		&famiv1.MonitoringReport{Name: "regions/lombardia/projects/gone/monitoringReports/2025-q1"},
		&famiv1.MonitoringReport{Name: "regions/lombardia/projects/gone/monitoringReports/2025-q1@1"},
		&famiv1.Project{Name: "regions/lombardia/projects/gone-too"},
		&famiv1.MonitoringReport{Name: "regions/lombardia/projects/gone-too/monitoringReports/2025-q1"},
	} {
		if err := d.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Delete(ctx, "regions/lombardia/projects/gone"); err != nil {
		t.Fatal(err)
	}
	var left []string
	filepath.WalkDir(d.root, func(p string, e os.DirEntry, err error) error {
		if err == nil && p != d.root {
			rel, _ := filepath.Rel(d.root, p)
			left = append(left, filepath.ToSlash(rel))
		}
		return err
	})
	want := []string{"projects", "projects/gone-too", "projects/gone-too/monitoringReports", "projects/gone-too/monitoringReports/2025-q1.json", "projects/gone-too.json"}
	if fmt.Sprint(left) != fmt.Sprint(want) {
		t.Errorf("after the delete, the mirror holds %v, want %v", left, want)
	}
}

// TestMirrorListCutShortStaysTheMirrors: a list cut short (the mirror
// stopped, its disk full) after the directory was emptied to list again
// leaves a directory that the next run still takes as its own, and lists
// again. Emptying it used to remove .revision too, and the next run
// refused the directory as "not empty and holds no mirror".
func TestMirrorListCutShortStaysTheMirrors(t *testing.T) {
	out := t.TempDir()
	d := &dirMirror{root: out}
	if err := d.claim(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Synced(ctx, 7); err != nil {
		t.Fatal(err)
	}
	// Compacted past 7: the mirror lists again, and stops after one put.
	if err := d.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, &famiv1.Partner{Name: "regions/lombardia/partners/p1"}); err != nil {
		t.Fatal(err)
	}

	again := &dirMirror{root: out}
	if err := again.claim(); err != nil {
		t.Fatalf("the next run refuses the directory of a list cut short: %v", err)
	}
	if rev, err := again.revision(); err != nil || rev != 0 {
		t.Errorf("the next run resumes from %d (%v), want 0: list again", rev, err)
	}
}

// TestMirrorRefusesADamagedRevision: a .revision that is not a revision
// is refused naming the file and the way out, with nothing listed or
// removed. It used to end with strconv's words alone.
func TestMirrorRefusesADamagedRevision(t *testing.T) {
	f := startServer(t, server.Config{})
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	for _, held := range []string{"12abc", "-3", ""} {
		out := t.TempDir()
		kept := filepath.Join(out, "partners", "p1.json")
		if err := os.MkdirAll(filepath.Dir(kept), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(kept, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, ".revision"), []byte(held), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := runMirror(ctx, cf, "lombardia", out, slog.New(slog.NewTextHandler(io.Discard, nil)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), filepath.Join(out, ".revision")) || !strings.Contains(err.Error(), "write 0 in it") {
			t.Errorf(".revision %q: %v, want a refusal naming the file", held, err)
		}
		if _, err := os.Stat(kept); err != nil {
			t.Errorf(".revision %q: the mirrored file is gone: %v", held, err)
		}
	}
}

// TestMirrorAheadOfTheServerListsAgain: a mirror whose .revision is
// beyond the region's (the region restored or moved keeping older
// revisions, famictl restore --bump-revision 0) lists the region again,
// dropping what the server no longer holds. It stopped with
// INVALID_ARGUMENT and "retrying cannot fix this", saying nothing of what
// to do.
func TestMirrorAheadOfTheServerListsAgain(t *testing.T) {
	f := startServer(t, server.Config{})
	cf := f.flags(f.token(auth.TokenSpec{Subject: "system:test", Role: principal.RegionalSystem, Region: "lombardia"}))
	if _, err := cf.sdk().Partners.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: "kept",
		Partner: &famiv1.Partner{DisplayName: "Kept", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	d := &dirMirror{root: out}
	if err := d.Put(context.Background(), &famiv1.Partner{Name: "regions/lombardia/partners/gone"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Synced(context.Background(), 999); err != nil {
		t.Fatal(err)
	}
	stop := startMirror(t, cf, out)
	waittest.Until(t, "the region listed again", func() bool { return mirrorRevision(out) == "1" })
	stop()
	if _, err := os.Stat(filepath.Join(out, "partners", "gone.json")); !os.IsNotExist(err) {
		t.Errorf("the partner the server does not hold is still mirrored: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "partners", "kept.json")); err != nil {
		t.Errorf("the server's partner is not mirrored: %v", err)
	}
}
