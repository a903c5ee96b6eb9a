// Package csvtest reads back, in tests, a CSV file the platform wrote for
// people (csvfile with WriteBOM), checking its framing before its cells.
package csvtest

import (
	"bytes"
	"encoding/csv"
	"fmt"

	"github.com/raccordo/raccordo/internal/csvfile"
)

// Read checks that b starts with the UTF-8 byte-order mark and that every
// record ends with CRLF (an LF alone is allowed only inside a quoted
// field), then parses it with comma as the separator.
func Read(b []byte, comma rune) ([][]string, error) {
	body, ok := bytes.CutPrefix(b, []byte(csvfile.BOM))
	if !ok {
		return nil, fmt.Errorf("no UTF-8 byte-order mark at the start: %q", b[:min(len(b), 20)])
	}
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		return nil, fmt.Errorf("the last record does not end with CRLF")
	}
	inQuotes := false
	for i, c := range body {
		switch {
		case c == '"':
			inQuotes = !inQuotes
		case c == '\n' && !inQuotes && (i == 0 || body[i-1] != '\r'):
			return nil, fmt.Errorf("the record ending at byte %d ends with a bare LF, not CRLF", len(csvfile.BOM)+i)
		}
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma = comma
	return r.ReadAll()
}
