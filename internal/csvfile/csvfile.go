// Package csvfile writes the platform's CSV files: RFC 4180 through
// encoding/csv (a header row, CRLF line ends, fields quoted as needed),
// UTF-8, with cells a spreadsheet would run as a formula defused. The
// support export and the open-data datasets both write through it.
package csvfile

import (
	"encoding/csv"
	"io"
	"strings"
)

// BOM is the UTF-8 byte-order mark, which spreadsheets need to detect the
// encoding; files meant for people start with it (WriteBOM).
const BOM = "\uFEFF"

// Writer writes CSV records, defusing every cell.
type Writer struct {
	cw *csv.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &Writer{cw: cw}
}

// SetComma sets the field separator: ',' by default, ';' for the Italian
// spreadsheet dialect. Call it before the first record.
func (w *Writer) SetComma(r rune) { w.cw.Comma = r }

// WriteBOM writes the byte-order mark; call it before the first record.
func WriteBOM(w io.Writer) error {
	_, err := io.WriteString(w, BOM)
	return err
}

// Write writes one record, its cells defused.
func (w *Writer) Write(values []string) error {
	return w.cw.Write(Defuse(values))
}

// Flush writes any buffered data and returns the first error of any write.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}

// Defuse neutralises cells a spreadsheet would evaluate (CSV injection),
// with defuseCell. It returns values itself when no cell needs it. Callers
// write no negative numbers, so no number is altered.
func Defuse(values []string) []string {
	out := values
	copied := false
	for i, v := range values {
		if d := defuseCell(v); d != v {
			if !copied {
				out, copied = append([]string(nil), values...), true
			}
			out[i] = d
		}
	}
	return out
}

// formulaStart holds the characters that make a spreadsheet read a cell
// as a formula (the full-width forms too, which some spreadsheets accept).
const formulaStart = "=+-@\t\r＝＋－＠"

// cellSeparators holds every character a spreadsheet may split a line
// into cells at, whatever its locale or import dialog: Italian Excel splits
// on ';' where the file says ','; others on tabs or '|'; and a line break
// inside a quoted cell starts a new line for a naive importer.
const cellSeparators = ",;\t|\r\n"

// defuseCell puts an apostrophe (which spreadsheets show as nothing and
// read as "text follows") before a formula character wherever a cell could
// begin: at the start of the value and after any separator, spaces and
// quotes skipped. Whatever separator the reader splits on, no cell it sees
// starts a formula.
func defuseCell(v string) string {
	var b strings.Builder
	cellStart, done := true, 0 // done: bytes of v already in b
	for i, r := range v {
		if cellStart && strings.ContainsRune(formulaStart, r) {
			b.WriteString(v[done:i])
			b.WriteByte('\'')
			done = i
		}
		switch {
		case strings.ContainsRune(cellSeparators, r):
			cellStart = true
		case r != ' ' && r != '"':
			// Spaces and quotes (which a naive importer may strip) do
			// not end a cell's start.
			cellStart = false
		}
	}
	if done == 0 && b.Len() == 0 {
		return v
	}
	b.WriteString(v[done:])
	return b.String()
}
