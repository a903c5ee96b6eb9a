package support_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/csvfile/csvtest"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/errs/errstest"
)

// readCSV checks the framing of an export (BOM, CRLF line ends) and parses
// it.
func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	return readCSVWith(t, b, ',')
}

// readCSVWith is readCSV for a separator.
func readCSVWith(t *testing.T, b []byte, comma rune) [][]string {
	t.Helper()
	rows, err := csvtest.Read(b, comma)
	if err != nil {
		t.Fatalf("read the export: %v", err)
	}
	return rows
}

func TestExportCSV(t *testing.T) {
	e := newEnv(t, 2)
	tricky := entry(1, "2022-03-02", 90)
	tricky.Notes = "Rete \"Nord\", fase 1\nattività con l'UdP: à è ì ò ù"
	tricky.Topics = []famiv1.SupportTopic{famiv1.SupportTopic_SUPPORT_TOPIC_MEDIATION_MODEL, famiv1.SupportTopic_SUPPORT_TOPIC_ENGAGEMENT_OF_TCN}
	tricky.OperatorsReached = []*famiv1.OperatorsReached{{Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_TEACHER, Count: 3}, {Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_OTHER, Count: 1}}
	e.mustCreate(consultantP, "tricky", tricky)
	formula := entry(2, "2022-03-01", 30)
	formula.Notes = "=HYPERLINK(\"http://evil\")"
	e.mustCreate(consultantP, "formula", formula)
	e.mustCreate(otherP, "other", entry(2, "2022-04-01", 60))
	ok(e.svc.BatchApproveSupportEntries(e.as(adminP), &famiv1.BatchApproveSupportEntriesRequest{Parent: parent, Names: []string{entryName("other")}}))(t, "approve")

	t.Run("entries", func(t *testing.T) {
		var buf bytes.Buffer
		// Pages of two: the writer follows the page tokens.
		if err := e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, PageSize: 2}); err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, buf.Bytes())
		header := rows[0]
		col := func(name string) int {
			i := slices.Index(header, name)
			if i < 0 {
				t.Fatalf("no column %q in %q", name, header)
			}
			return i
		}
		if len(rows) != 4 {
			t.Fatalf("got %d rows, want a header and 3 entries:\n%s", len(rows), buf.String())
		}
		var names []string
		for _, r := range rows[1:] {
			names = append(names, r[col("name")])
		}
		if want := []string{entryName("formula"), entryName("tricky"), entryName("other")}; !slices.Equal(names, want) {
			t.Errorf("rows %q, want %q (by date)", names, want)
		}
		r := rows[2]
		for c, want := range map[string]string{
			"notes": tricky.Notes, "date": "2022-03-02", "duration_minutes": "90", "hours": "1.50", "activity": "NETWORK_ACCOMPANIMENT",
			"mode": "ONLINE", "topics": "MEDIATION_MODEL;ENGAGEMENT_OF_TCN", "operators_reached": "4", "operators_teacher": "3",
			"operators_other": "1", "operators_udp_manager": "0", "state": "SUBMITTED", "consultant": consultantP.Subject,
			"consultant_display_name": "Mario Rossi", "network": networkName(1),
		} {
			if got := r[col(c)]; got != want {
				t.Errorf("tricky entry's %s: got %q, want %q", c, got, want)
			}
		}
		if got := rows[1][col("notes")]; got != "'"+formula.Notes {
			t.Errorf("a formula in notes: got %q, want it neutralised with an apostrophe", got)
		}
		if got := rows[3][col("review_time")]; !strings.HasPrefix(got, "20") || !strings.HasSuffix(got, "Z") {
			t.Errorf("review_time %q, want an RFC 3339 UTC time", got)
		}
	})

	t.Run("summary", func(t *testing.T) {
		var buf bytes.Buffer
		err := e.svc.WriteCSV(e.as(ministryP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH,
			StartDate: "2022-01-01", EndDate: "2022-06-30"})
		if err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, buf.Bytes())
		want := [][]string{
			{"group", "display_name", "hours", "total_minutes", "entries", "distinct_networks", "operators_reached",
				"operators_udp_manager", "operators_cultural_mediator", "operators_teacher", "operators_social_worker",
				"operators_project_manager", "operators_intercultural_facilitator", "operators_other"},
			{"2022-03", "", "2.00", "120", "2", "2", "4", "0", "0", "3", "0", "0", "0", "1"},
			{"2022-04", "", "1.00", "60", "1", "1", "0", "0", "0", "0", "0", "0", "0", "0"},
			{"TOTAL", "", "3.00", "180", "3", "2", "4", "0", "0", "3", "0", "0", "0", "1"},
		}
		if !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("summary export:\n got  %q\n want %q", rows, want)
		}
	})

	t.Run("refusals write nothing", func(t *testing.T) {
		var buf bytes.Buffer
		err := e.svc.WriteCSV(e.as(ministryP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent})
		errstest.Want(t, "the ministry exports entries", err, errs.PermissionDenied, "SUMMARIES_ONLY")
		err = e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY})
		errstest.Want(t, "a summary without dates", err, errs.Invalid, "INVALID_ARGUMENT", "start_date", "end_date")
		// A file is the whole export: a page token, even one the service
		// gave, would start it mid-way.
		page := ok(e.svc.ExportSupportEntries(e.as(adminP), &famiv1.ExportSupportEntriesRequest{Parent: parent, PageSize: 2}))(t, "first page")
		if page.GetNextPageToken() == "" {
			t.Fatal("the first page of two gives no next page token")
		}
		err = e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, PageSize: 2, PageToken: page.GetNextPageToken()})
		errstest.Want(t, "a file from the second page on", err, errs.Invalid, "INVALID_ARGUMENT", "page_token")
		if buf.Len() != 0 {
			t.Errorf("refused exports wrote %q", buf.String())
		}
	})
}

// TestExportCountsWhatTheSummaryCounts: without states, the entries export
// and the summary both count SUBMITTED and APPROVED entries, so the
// spreadsheet of the entries adds up to the summary of the same range.
func TestExportCountsWhatTheSummaryCounts(t *testing.T) {
	e := newEnv(t, 1)
	e.mustCreate(consultantP, "submitted", entry(1, "2022-03-01", 90))
	e.mustCreate(consultantP, "approved", entry(1, "2022-03-02", 45))
	e.mustCreate(consultantP, "rejected", entry(1, "2022-03-03", 60))
	ok(e.svc.BatchApproveSupportEntries(e.as(adminP), &famiv1.BatchApproveSupportEntriesRequest{Parent: parent, Names: []string{entryName("approved")}}))(t, "approve")
	ok(e.svc.RejectSupportEntry(e.as(adminP), &famiv1.RejectSupportEntryRequest{Name: entryName("rejected"), Reason: "doppia"}))(t, "reject")

	var buf bytes.Buffer
	if err := e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, StartDate: "2022-03-01", EndDate: "2022-03-31"}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	col := slices.Index(rows[0], "duration_minutes")
	exported := 0
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[col])
		if err != nil {
			t.Fatal(err)
		}
		exported += n
	}
	sum := ok(e.svc.SummarizeSupportEntries(e.as(adminP), &famiv1.SummarizeSupportEntriesRequest{Parent: parent,
		StartDate: "2022-03-01", EndDate: "2022-03-31", GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY}))(t, "summarize")
	if len(rows)-1 != 2 || exported != 135 || sum.GetTotals().GetTotalMinutes() != int64(exported) || sum.GetTotals().GetEntries() != int64(len(rows)-1) {
		t.Errorf("export: %d entries, %d minutes; summary: %d entries, %d minutes; want 2 and 135 in both",
			len(rows)-1, exported, sum.GetTotals().GetEntries(), sum.GetTotals().GetTotalMinutes())
	}

	// Rejected entries when asked for.
	buf.Reset()
	if err := e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent,
		States: []famiv1.SupportEntryState{famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_REJECTED}}); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, buf.Bytes()); len(rows) != 2 || rows[1][0] != entryName("rejected") {
		t.Errorf("export of rejected entries: %q", rows)
	}
}

func TestExportItalianDialect(t *testing.T) {
	e := newEnv(t, 1)
	se := entry(1, "2022-03-01", 90)
	se.Notes = "Tavolo; poi 1,5 ore di laboratorio"
	e.mustCreate(consultantP, "a", se)
	e.mustCreate(consultantP, "b", entry(1, "2022-03-02", 45))
	italian := famiv1.CsvDialect_CSV_DIALECT_ITALIAN

	var buf bytes.Buffer
	if err := e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, Dialect: italian}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFFname;consultant;")) {
		t.Errorf("the Italian export does not separate with semicolons: %q", buf.Bytes()[:40])
	}
	rows := readCSVWith(t, buf.Bytes(), ';')
	hours, notes := slices.Index(rows[0], "hours"), slices.Index(rows[0], "notes")
	if len(rows) != 3 || rows[1][hours] != "1,50" || rows[2][hours] != "0,75" || rows[1][notes] != se.Notes {
		t.Errorf("Italian export rows: %q", rows)
	}

	buf.Reset()
	if err := e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, Dialect: italian,
		GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH, StartDate: "2022-01-01", EndDate: "2022-12-31"}); err != nil {
		t.Fatal(err)
	}
	rows = readCSVWith(t, buf.Bytes(), ';')
	if want := []string{"TOTAL", "", "2,25", "135"}; !slices.Equal(rows[len(rows)-1][:4], want) {
		t.Errorf("Italian summary's total row %q, want it to start with %q", rows[len(rows)-1], want)
	}

	// The standard dialect, by name, is the default's.
	buf.Reset()
	if err := e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, Dialect: famiv1.CsvDialect_CSV_DIALECT_STANDARD}); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, buf.Bytes()); rows[1][hours] != "1.50" {
		t.Errorf("standard export hours %q, want 1.50", rows[1][hours])
	}

	buf.Reset()
	err := e.svc.WriteCSV(e.as(adminP), &buf, &famiv1.ExportSupportEntriesRequest{Parent: parent, Dialect: 7})
	errstest.Want(t, "an unknown dialect", err, errs.Invalid, "INVALID_ARGUMENT", "dialect")
	if buf.Len() != 0 {
		t.Errorf("a refused export wrote %q", buf.String())
	}
}
