package monitoring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/splitmix"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/territory"
)

// The benchmark data set: every one of the 21 regions with benchProjects
// projects of 2015-01-01 to 2021-12-31, each with its 28 quarterly
// reports (117,600 reports), a tenth of the last quarter's missing.
const (
	benchProjects = 200
	benchQuarters = 28
)

func benchProject(region string, i int) *famiv1.Project {
	p := &famiv1.Project{
		Code: fmt.Sprintf("PROG-%04d", i), Title: fmt.Sprintf("Progetto %d della regione %s", i, region), Fund: famiv1.Fund_FUND_FAMI_2014_2020,
		Description: "Integrazione dei cittadini di paesi terzi: scuola, servizi, informazione, partecipazione.",
		StartDate:   "2015-01-01", EndDate: "2021-12-31", BudgetCents: 100000000 * int64(1+i%9),
	}
	for a := 1; a <= 4; a++ {
		code := fmt.Sprintf("%02d", a)
		p.Actions = append(p.Actions, &famiv1.ProjectAction{Code: code, Title: "Azione " + code})
		p.Timetable = append(p.Timetable, &famiv1.PlannedActivity{Code: code + ".1", Action: code, Title: "Attività " + code, PlannedStart: "2015-01-01", PlannedEnd: "2021-12-31"})
		p.Indicators = append(p.Indicators, &famiv1.Indicator{Code: "IND-" + code, Name: "Indicatore " + code, Unit: "unità", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT,
			Target: float64(100 * a), TargetDate: "2021-12-31", Action: code})
		p.FinancialPlan = append(p.FinancialPlan, &famiv1.ActionBudget{Action: code, BudgetCents: p.BudgetCents / 4})
	}
	return p
}

// benchReport is project i's report of quarter k (0 is 2015-q1).
func benchReport(project string, i, k int) *famiv1.MonitoringReport {
	h := splitmix.Mix(uint64(i*benchQuarters + k))
	period := fmt.Sprintf("%d-q%d", 2015+k/4, 1+k%4)
	r := &famiv1.MonitoringReport{
		Name: project + "/monitoringReports/" + period, Period: period, Revision: 1,
		State:      famiv1.MonitoringReportState(1 + h%4),
		SubmitTime: timestamppb.New(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)),
		PeopleReached: []*famiv1.PeopleCount{
			{AgeBand: famiv1.AgeBand_AGE_BAND_18_29, Sex: famiv1.Sex_SEX_FEMALE, Count: int32(h >> 8 % 50)},
			{AgeBand: famiv1.AgeBand_AGE_BAND_30_49, Sex: famiv1.Sex_SEX_MALE, Count: int32(h >> 16 % 50)},
		},
	}
	if r.State == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT {
		r.SubmitTime = nil
	}
	for a := 1; a <= 4; a++ {
		code := fmt.Sprintf("%02d", a)
		r.Activities = append(r.Activities, &famiv1.ActivityStatus{Activity: code + ".1", State: famiv1.ActivityState(2 + (h>>uint(a))%2), ActualStart: "2015-02-01"})
		r.IndicatorValues = append(r.IndicatorValues, &famiv1.IndicatorValue{Indicator: "IND-" + code, Value: float64(k * a * int(1+h%4))})
		r.Expenditures = append(r.Expenditures, &famiv1.ActionExpenditure{Action: code, CommittedCents: int64(h>>24%1000) * 10000, PaidCents: int64(h>>32%1000) * 9000})
	}
	return r
}

// BenchmarkSummarize compares SummarizeMonitoring, read from the
// aggregates, with the same summary computed by a full scan of the
// projects and reports, for every region's last quarter, over one data set
// built once.
//
//	go test -run '^$' -bench BenchmarkSummarize -benchtime 20x ./internal/monitoring/
func BenchmarkSummarize(b *testing.B) {
	var regions []string
	for _, r := range territory.Regions() {
		regions = append(regions, r.ID)
	}
	st := bolttest.Open(b, b.TempDir(), bolt.Options{Regions: regions})
	svc := monitoring.New(st, monitoring.Options{})
	reg := registry.New(st, nil)
	start := time.Now()
	for _, region := range regions {
		ctx := principal.With(b.Context(), principal.Principal{Subject: "test:admin", Role: principal.RegionAdmin, Region: region})
		var reports []*famiv1.MonitoringReport
		for i := 0; i < benchProjects; i++ {
			p, err := reg.Projects().CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: "regions/" + region, ProjectId: fmt.Sprintf("p%03d", i), Project: benchProject(region, i)})
			if err != nil {
				b.Fatalf("create project: %v", err)
			}
			for k := 0; k < benchQuarters; k++ {
				if k == benchQuarters-1 && i%10 == 0 {
					continue // overdue
				}
				reports = append(reports, benchReport(p.GetName(), i, k))
			}
			if len(reports) >= 1000 || i == benchProjects-1 {
				if err := svc.Load(ctx, region, reports); err != nil {
					b.Fatalf("load: %v", err)
				}
				reports = reports[:0]
			}
		}
	}
	b.Logf("built %d regions x %d projects x %d quarters in %s", len(regions), benchProjects, benchQuarters, time.Since(start).Round(time.Millisecond))

	ctx := principal.With(b.Context(), principal.Principal{Subject: "test:ministry", Role: principal.Ministry})
	req := func(region string) *famiv1.SummarizeMonitoringRequest {
		return &famiv1.SummarizeMonitoringRequest{Parent: "regions/" + region, Period: "2021-q4"}
	}
	// Both ways agree on every region before they are timed.
	for _, region := range regions {
		got, err := svc.SummarizeMonitoring(ctx, req(region))
		if err != nil {
			b.Fatal(err)
		}
		want, err := svc.ScanSummary(ctx, req(region))
		if err != nil {
			b.Fatal(err)
		}
		if !proto.Equal(got, want) {
			b.Fatalf("%s: aggregates\n%v\nfull scan\n%v", region, got, want)
		}
	}
	// aggregates-ended asks the quarter after every project ended: the
	// region's summary then reads its own cells and the plan digests, not
	// the cells of each running project (figuresOf), so the ratio of
	// "aggregates" to it is the price of reading those.
	for _, m := range []struct {
		name, period string
		summarize    func(context.Context, *famiv1.SummarizeMonitoringRequest) (*famiv1.MonitoringSummary, error)
	}{{"aggregates", "2021-q4", svc.SummarizeMonitoring}, {"aggregates-ended", "2022-q1", svc.SummarizeMonitoring}, {"full-scan", "2021-q4", svc.ScanSummary}} {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, region := range regions {
					r := req(region)
					r.Period = m.period
					if _, err := m.summarize(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
