package csvfile_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/raccordo/raccordo/internal/csvfile"
)

func TestWriterDefusesFormulasAndRoundTrips(t *testing.T) {
	var buf bytes.Buffer
	w := csvfile.NewWriter(&buf)
	rows := [][]string{
		{"titolo", "importo"},
		{"=HYPERLINK(\"x\")", "12.50"},
		{"riga, con \"virgolette\"\ne a capo", "-3"},
		{"@SUM(A1)", "+1"},
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("importo\r\n")) {
		t.Errorf("records do not end in CRLF: %q", buf.String())
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	want := [][]string{
		{"titolo", "importo"},
		{"'=HYPERLINK(\"x\")", "12.50"},
		{"riga, con \"virgolette\"\ne a capo", "'-3"},
		{"'@SUM(A1)", "'+1"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("got %q, want %q", got, want)
	}
	if in := []string{"a", "b"}; &csvfile.Defuse(in)[0] != &in[0] {
		t.Error("Defuse copied a record that needed nothing")
	}
}
