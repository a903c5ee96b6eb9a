package web

import (
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkRenderHoursTable renders the hours page's template alone for
// 1,000 rows, to tune it without a server (BenchmarkHoursPage measures the
// whole page against REST).
func BenchmarkRenderHoursTable(b *testing.B) {
	pg, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	a := &App{pages: pg}
	p := &hoursPage{Form: newForm(nil), View: "mese", Start: "2026-11-01", End: "2026-11-30"}
	for i := range 1000 {
		p.Entries = append(p.Entries, entryRow{ID: "e" + strconv.Itoa(i), Date: "20/11/2026", Network: "Rete Bergamo", Activity: "Laboratorio",
			Duration: "1 h 30 min", State: "SUBMITTED", StateLabel: "In attesa di approvazione", Editable: i%2 == 0, Locked: "x"})
	}
	for b.Loop() {
		a.render(httptest.NewRecorder(), 200, "hours", p)
	}
}
