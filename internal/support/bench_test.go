package support_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/splitmix"
	"github.com/raccordo/raccordo/internal/support"
)

// The benchmark data set: 1,000,000 entries from 2014-01-01 to 2022-06-30
// (3,103 days, about 322 entries a day), 24 consultants (13 or 14 entries
// of 15 to 45 minutes a day each, under the 12-hour cap), 33 networks, the
// 7 activities, half SUBMITTED and half APPROVED.
const (
	benchEntries     = 1_000_000
	benchDays        = 3103
	benchConsultants = 24
	benchChunk       = 2_000
)

var benchFirst = time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)

// benchEntry is entry i of the data set.
func benchEntry(i int) *famiv1.SupportEntry {
	h := splitmix.Mix(uint64(i))
	day := i / ((benchEntries + benchDays - 1) / benchDays)
	se := entry(1+int(h%publishedNetworks), benchFirst.AddDate(0, 0, day).Format("2006-01-02"), int32(15*(1+(h>>8)%3)))
	se.Name = entryName(fmt.Sprintf("e%07d", i))
	se.Activity = famiv1.SupportActivity(1 + (h>>16)%7)
	se.Consultant = fmt.Sprintf("acct:lombardia:consultant-%02d", i%benchConsultants)
	se.ConsultantDisplayName = "Consultant " + se.Consultant[len(se.Consultant)-2:]
	se.State = famiv1.SupportEntryState(1 + (h>>24)%2)
	se.OperatorsReached = []*famiv1.OperatorsReached{{Role: famiv1.SupportOperatorRole(1 + (h>>32)%7), Count: int32(1 + (h>>40)%4)}}
	return se
}

// loadBench writes the first n entries of the data set, benchChunk per
// transaction.
func loadBench(b *testing.B, svc *support.Service, n int) {
	b.Helper()
	chunk := make([]*famiv1.SupportEntry, 0, benchChunk)
	for i := 0; i < n; i++ {
		chunk = append(chunk, benchEntry(i))
		if len(chunk) == benchChunk || i == n-1 {
			if err := svc.Load(b.Context(), region, chunk); err != nil {
				b.Fatalf("load: %v", err)
			}
			chunk = chunk[:0]
		}
	}
}

// BenchmarkSummarize compares summaries read from the aggregates with the
// same summaries computed by a full scan, over one data set of 1,000,000
// entries built once. The range cuts a month at both ends, so the
// aggregates read edge days as well as months.
//
//	go test -run '^$' -bench BenchmarkSummarize -benchtime 20x ./internal/support/
func BenchmarkSummarize(b *testing.B) {
	e := newEnv(b, publishedNetworks)
	start := time.Now()
	loadBench(b, e.svc, benchEntries)
	b.Logf("built %d entries in %s", benchEntries, time.Since(start).Round(time.Millisecond))

	ctx := e.as(adminP)
	req := func(gb famiv1.SupportGroupBy) *famiv1.SummarizeSupportEntriesRequest {
		return &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: "2014-01-15", EndDate: "2022-06-20", GroupBy: gb}
	}
	// Both ways agree on the data set before they are timed.
	for _, gb := range groupBys {
		got := ok(e.svc.SummarizeSupportEntries(ctx, req(gb)))(b, "summarize")
		want := ok(e.svc.ScanSummary(ctx, region, req(gb)))(b, "scan")
		if got.GetTotals().GetTotalMinutes() != want.GetTotals().GetTotalMinutes() || len(got.GetGroups()) != len(want.GetGroups()) {
			b.Fatalf("by %s: aggregates %v, full scan %v", gb, got.GetTotals(), want.GetTotals())
		}
	}
	for _, gb := range groupBys {
		name := strings.ToLower(strings.TrimPrefix(gb.String(), "SUPPORT_GROUP_BY_"))
		b.Run("aggregates/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.svc.SummarizeSupportEntries(ctx, req(gb)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("aggregates/activity-one-consultant", func(b *testing.B) {
		r := req(famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY)
		r.Consultant = "acct:lombardia:consultant-07"
		for b.Loop() {
			if _, err := e.svc.SummarizeSupportEntries(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("aggregates/month-network-member", func(b *testing.B) {
		mctx := e.as(memberP)
		for b.Loop() {
			if _, err := e.svc.SummarizeSupportEntries(mctx, req(famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full-scan/activity", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.svc.ScanSummary(ctx, region, req(famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreate measures what keeping the aggregates costs a create:
// two stores side by side, one service keeping them and one not, fed the
// same entries alternately (so both see the same disk and the same
// background load), each timed on its own. It reports the time per entry
// of each and the share of the throughput the aggregates keep
// (%throughput-kept = plain / with aggregates).
//
//   - rpc: CreateSupportEntry one at a time, a transaction and an fsync
//     each, as a consultant's browser does;
//
//   - rpc-parallel: 16 concurrent callers, whose creates the store's writer
//     commits together (group commit);
//
//   - bulk-1000: 1,000 entries a transaction (Load), where no fsync hides
//     the CPU cost of the aggregates.
//
//     go test -run '^$' -bench BenchmarkCreate -benchtime 2000x ./internal/support/
func BenchmarkCreate(b *testing.B) {
	type side struct {
		svc     *support.Service
		ctxs    []context.Context
		elapsed atomic.Int64
	}
	newSides := func(b *testing.B) [2]*side {
		var sides [2]*side
		for k := range sides {
			e := newEnv(b, publishedNetworks)
			sd := &side{svc: e.svc}
			if k == 1 {
				sd.svc = e.svc.WithoutAggregates()
			}
			for c := 0; c < 200; c++ {
				sd.ctxs = append(sd.ctxs, e.as(principal.Principal{Subject: fmt.Sprintf("acct:lombardia:c%03d", c), Role: principal.Consultant, Region: region}))
			}
			sides[k] = sd
		}
		return sides
	}
	// create logs entry i on sd: consultant i%200 on day i/200, an hour.
	create := func(b *testing.B, sd *side, i int) {
		se := entry(1+i%publishedNetworks, benchFirst.AddDate(0, 0, i/200).Format("2006-01-02"), 60)
		se.Activity = famiv1.SupportActivity(1 + i%7)
		start := time.Now()
		if _, err := sd.svc.CreateSupportEntry(sd.ctxs[i%200], &famiv1.CreateSupportEntryRequest{Parent: parent, SupportEntry: se}); err != nil {
			b.Error(err)
		}
		sd.elapsed.Add(int64(time.Since(start)))
	}
	report := func(b *testing.B, sides [2]*side, entries int) {
		with, plain := float64(sides[0].elapsed.Load())/float64(entries), float64(sides[1].elapsed.Load())/float64(entries)
		b.ReportMetric(with, "ns/entry-aggregates")
		b.ReportMetric(plain, "ns/entry-plain")
		b.ReportMetric(100*plain/with, "%throughput-kept")
	}

	b.Run("rpc", func(b *testing.B) {
		sides := newSides(b)
		i := 0
		for b.Loop() {
			first := i % 2 // alternate which side goes first
			create(b, sides[first], i)
			create(b, sides[1-first], i)
			i++
		}
		report(b, sides, i)
	})
	b.Run("rpc-parallel", func(b *testing.B) {
		sides := newSides(b)
		var next atomic.Int64
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1) - 1)
				first := i % 2
				create(b, sides[first], i)
				create(b, sides[1-first], i)
			}
		})
		report(b, sides, int(next.Load()))
	})
	b.Run("bulk-1000", func(b *testing.B) {
		sides := newSides(b)
		chunk := make([]*famiv1.SupportEntry, 1000)
		n := 0
		for b.Loop() {
			for j := range chunk {
				chunk[j] = benchEntry(n)
				n++
			}
			for k := range 2 {
				sd := sides[(n/1000+k)%2]
				start := time.Now()
				if err := sd.svc.Load(b.Context(), region, chunk); err != nil {
					b.Fatal(err)
				}
				sd.elapsed.Add(int64(time.Since(start)))
			}
		}
		report(b, sides, n)
	})
}
