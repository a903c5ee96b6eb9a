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

// Defuse neutralises cells a spreadsheet would evaluate (CSV injection):
// text starting with =, +, -, @, tab or CR gets an apostrophe in front. It
// returns values itself when no cell needs it. Callers write no negative
// numbers, so no number is altered.
func Defuse(values []string) []string {
	out := values
	copied := false
	for i, v := range values {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			if !copied {
				out, copied = append([]string(nil), values...), true
			}
			out[i] = "'" + v
		}
	}
	return out
}
