package support_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/support"
)

// hostileCells are cell values an attacker controls (a note, a network's
// name) that try to start a formula in a cell of some spreadsheet.
var hostileCells = []string{
	"=HYPERLINK(\"http://evil\")",
	"x;=cmd|' /C calc'!A0;",
	"x,=1+1",
	"x\t@SUM(A1)",
	"x|+1",
	"a; -2+3",
	"line one\n=cmd|' /C calc'!A0",
	"line one\r\n@evil",
	"\t=1",
	"＝1+1",
	"ok; text; here",
}

// TestCSVDefusesEverySeparator writes hostile cells through the shared CSV
// writer and reads the file back the ways spreadsheets do: split on ',',
// ';', tab or '|', quotes honoured or not, line by line. No cell may start
// a formula (spaces skipped). The guard used to look only at a cell's
// first character, so Italian-locale Excel (';') ran "x;=cmd|...".
func TestCSVDefusesEverySeparator(t *testing.T) {
	rows := []*famiv1.ExportRow{}
	for _, c := range hostileCells {
		rows = append(rows, &famiv1.ExportRow{Values: []string{"2022-03-01", c}})
	}
	export := func(context.Context, *famiv1.ExportSupportEntriesRequest) (*famiv1.ExportSupportEntriesResponse, error) {
		return &famiv1.ExportSupportEntriesResponse{Header: []string{"date", "notes"}, Rows: rows}, nil
	}
	var buf bytes.Buffer
	if err := support.WriteCSV(t.Context(), &buf, &famiv1.ExportSupportEntriesRequest{}, export, nil); err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(buf.String(), "\uFEFF")
	checkNoFormula(t, body)
	// Defused text keeps its content: only apostrophes are added.
	if !strings.Contains(body, "ok; text; here") {
		t.Errorf("harmless text was altered: %q", body)
	}
}

// checkNoFormula reads a CSV file back the ways spreadsheets do and fails
// if any cell starts a formula.
func checkNoFormula(t *testing.T, body string) {
	t.Helper()
	dangerous := func(cell string) bool {
		cell = strings.TrimLeft(cell, " ")
		for _, f := range []string{"=", "+", "-", "@", "＝", "＋", "－", "＠"} {
			if strings.HasPrefix(cell, f) {
				return true
			}
		}
		return false
	}
	for _, sep := range []rune{',', ';', '\t', '|'} {
		// Quotes honoured: a CSV reader with this separator.
		r := csv.NewReader(strings.NewReader(body))
		r.Comma, r.LazyQuotes, r.FieldsPerRecord = sep, true, -1
		records, err := r.ReadAll()
		if err != nil {
			t.Fatalf("read with %q: %v", sep, err)
		}
		for _, rec := range records {
			for _, cell := range rec {
				if dangerous(cell) {
					t.Errorf("separator %q, quotes honoured: cell %q starts a formula", sep, cell)
				}
			}
		}
		// Quotes ignored, line by line: a naive importer.
		for _, line := range strings.FieldsFunc(body, func(r rune) bool { return r == '\n' || r == '\r' }) {
			for _, cell := range strings.Split(line, string(sep)) {
				if dangerous(strings.TrimLeft(cell, "\"")) {
					t.Errorf("separator %q, quotes ignored: cell %q starts a formula", sep, cell)
				}
			}
		}
	}
}

// FuzzCSVDefuse: whatever a cell holds, no spreadsheet reading the export
// with any separator sees a cell that starts a formula.
func FuzzCSVDefuse(f *testing.F) {
	for _, c := range hostileCells {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		if !utf8.ValidString(cell) {
			return // the API refuses text that is not UTF-8
		}
		export := func(context.Context, *famiv1.ExportSupportEntriesRequest) (*famiv1.ExportSupportEntriesResponse, error) {
			return &famiv1.ExportSupportEntriesResponse{Header: []string{"notes"}, Rows: []*famiv1.ExportRow{{Values: []string{cell}}}}, nil
		}
		var buf bytes.Buffer
		if err := support.WriteCSV(t.Context(), &buf, &famiv1.ExportSupportEntriesRequest{}, export, nil); err != nil {
			t.Fatal(err)
		}
		checkNoFormula(t, strings.TrimPrefix(buf.String(), "\uFEFF"))
	})
}
