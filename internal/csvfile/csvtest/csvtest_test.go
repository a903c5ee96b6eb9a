package csvtest_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/csvfile"
	"github.com/raccordo/raccordo/internal/csvfile/csvtest"
)

// A file csvfile writes reads back, a line break inside a cell included;
// each framing fault is refused, naming it.
func TestRead(t *testing.T) {
	var buf bytes.Buffer
	if err := csvfile.WriteBOM(&buf); err != nil {
		t.Fatal(err)
	}
	w := csvfile.NewWriter(&buf)
	want := [][]string{{"name", "notes"}, {"a", "riga 1\nriga 2"}}
	for _, row := range want {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := csvtest.Read(buf.Bytes(), ',')
	if err != nil || len(got) != len(want) || !slices.Equal(got[1], want[1]) {
		t.Errorf("Read of csvfile's output: got %q, %v; want %q", got, err, want)
	}

	for _, tc := range []struct{ name, file, want string }{
		{"no byte-order mark", "a,b\r\n", "byte-order mark"},
		{"no CRLF at the end", csvfile.BOM + "a,b\r\nc,d", "last record"},
		{"a bare LF", csvfile.BOM + "a,b\nc,d\r\n", "bare LF"},
	} {
		if _, err := csvtest.Read([]byte(tc.file), ','); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}
