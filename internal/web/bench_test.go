package web_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// BenchmarkHoursPage renders a consultant's month of 1,000 entries as the
// hours page and lists the same entries through REST JSON, alternating in
// one loop so both see the same noise. html-throughput-% is the page's
// throughput relative to the JSON listing (docs/benchmarks.md; target >=
// 50%).
func BenchmarkHoursPage(b *testing.B) {
	f := startFamid(b)
	network := setupLombardia(f)
	login, err := famiv1.NewAuthServiceClient(f.conn).Login(b.Context(), &famiv1.LoginRequest{Username: "mrossi@lombardia", Password: password})
	if err != nil {
		b.Fatal(err)
	}
	ctx := metadata.AppendToOutgoingContext(b.Context(), "authorization", "Bearer "+login.GetToken())
	sup := famiv1.NewSupportServiceClient(f.conn)
	month := f.Clock.Now().In(rome())
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, rome())
	last := first.AddDate(0, 1, -1)
	for i := range 1000 {
		_, err := sup.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: "regions/lombardia", SupportEntry: &famiv1.SupportEntry{
			Network: network, Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
			Date: first.AddDate(0, 0, i%28).Format(time.DateOnly), DurationMinutes: 15, Notes: fmt.Sprintf("incontro %d", i),
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
	page := f.url("/ore?" + url.Values{"vista": {"mese"}, "data": {first.Format(time.DateOnly)}}.Encode())
	rest := f.url("/v1/regions/lombardia/supportEntries?" + url.Values{"consultant": {"account:mrossi"}, "pageSize": {"1000"},
		"startDate": {first.Format(time.DateOnly)}, "endDate": {last.Format(time.DateOnly)}}.Encode())
	if n := get(b, page, "Cookie", "raccordo_sessione="+login.GetToken()); n < 100_000 {
		b.Fatalf("the hours page is %d bytes: it does not list 1,000 entries", n)
	}
	var inPage, inREST time.Duration
	for b.Loop() {
		t0 := time.Now()
		get(b, page, "Cookie", "raccordo_sessione="+login.GetToken())
		t1 := time.Now()
		get(b, rest, "Authorization", "Bearer "+login.GetToken())
		inPage, inREST = inPage+t1.Sub(t0), inREST+time.Since(t1)
	}
	b.ReportMetric(float64(inREST)/float64(inPage)*100, "html-throughput-%")
	b.ReportMetric(float64(inPage.Microseconds())/float64(b.N), "page-µs/op")
	b.ReportMetric(float64(inREST.Microseconds())/float64(b.N), "rest-µs/op")
}
