package monitoring

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

func TestPeriodAndNames(t *testing.T) {
	for _, c := range []struct {
		in         string
		ok         bool
		start, end string
	}{
		{"2021-q1", true, "2021-01-01", "2021-03-31"},
		{"2020-q4", true, "2020-10-01", "2020-12-31"},
		{"2021-q5", false, "", ""}, {"2021-Q1", false, "", ""}, {"21-q1", false, "", ""}, {"2021-q1x", false, "", ""},
	} {
		q, ok := parsePeriod(c.in)
		if ok != c.ok || (ok && (q.start().Format("2006-01-02") != c.start || q.end().Format("2006-01-02") != c.end || q.String() != c.in)) {
			t.Errorf("parsePeriod(%q) = %v %v", c.in, q, ok)
		}
	}
	for _, c := range []struct {
		name         string
		withRevision bool
		want         string
	}{
		{"regions/lombardia/projects/p/monitoringReports/2021-q1", false, "regions/lombardia/projects/p/monitoringReports/2021-q1"},
		{"regions/lombardia/projects/p/monitoringReports/2021-q1@2", true, "regions/lombardia/projects/p/monitoringReports/2021-q1@2"},
		{"regions/lombardia/projects/p/monitoringReports/2021-q1@2", false, ""},
		{"regions/lombardia/projects/p/monitoringReports/2021-q1@02", true, ""},
		{"regions/lombardia/projects/p/monitoringReports/2021-q1@0", true, ""},
		{"regions/lombardia/networks/p/monitoringReports/2021-q1", false, ""},
		{"regions/lombardia/projects/p/monitoringReports/2021-q1/x", false, ""},
	} {
		n, err := parseReportName("name", c.name, c.withRevision)
		if got := ""; err == nil {
			got = n.String()
			if got != c.want {
				t.Errorf("parseReportName(%q) = %q, want %q", c.name, got, c.want)
			}
		} else if c.want != "" {
			t.Errorf("parseReportName(%q): %v", c.name, err)
		}
	}
}

// TestFindFlags checks each flag's rule at its edges.
func TestFindFlags(t *testing.T) {
	p := &famiv1.Project{
		StartDate: "2021-01-01", EndDate: "2021-12-31", BudgetCents: 36500,
		Timetable: []*famiv1.PlannedActivity{
			{Code: "a", PlannedStart: "2021-01-01", PlannedEnd: "2021-03-31"},
			{Code: "b", PlannedStart: "2021-04-01", PlannedEnd: "2021-06-30"},
			{Code: "c", PlannedStart: "2021-01-01", PlannedEnd: "2021-12-31"},
		},
		Indicators: []*famiv1.Indicator{{Code: "i", Baseline: 10, Target: 375, TargetDate: "2021-12-31"}},
	}
	q1, _ := parsePeriod("2021-q1")
	// At 2021-03-31, 90 of 365 days have passed: the indicator is expected
	// at 10 + 365 x 90/365 = 100; 20% behind the progress of 90 is 72.
	for _, c := range []struct {
		name  string
		acts  map[string]famiv1.ActivityState
		value float64
		paid  int64
		want  []string
	}{
		{"on plan", map[string]famiv1.ActivityState{"a": completed, "c": onSchedule}, 100, 9000, nil},
		{"just within", map[string]famiv1.ActivityState{"a": onSchedule, "c": onSchedule}, 82, 7200, nil},
		{"behind", map[string]famiv1.ActivityState{"a": onSchedule, "c": notStarted}, 81.9, 7199, []string{"ACTIVITY_LATE:c", "INDICATOR_BEHIND:i", "SPENDING_BEHIND:budget"}},
		{"reported late", map[string]famiv1.ActivityState{"a": late, "c": onSchedule}, 100, 9000, []string{"ACTIVITY_LATE:a"}},
		{"not reported", map[string]famiv1.ActivityState{"a": completed}, 100, 9000, []string{"ACTIVITY_LATE:c"}},
	} {
		r := &famiv1.MonitoringReport{IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "i", Value: c.value}}}
		for code, st := range c.acts {
			r.Activities = append(r.Activities, &famiv1.ActivityStatus{Activity: code, State: st})
		}
		var got []string
		for _, f := range findFlags(p, r, q1, c.paid, defaultThreshold) {
			got = append(got, f.GetKind().String()[len("MONITORING_FLAG_KIND_"):]+":"+f.GetSubject())
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: got %q, want %q", c.name, got, c.want)
				break
			}
		}
	}
	// The spending flag's detail writes amounts in the machine form.
	detail := ""
	for _, f := range findFlags(p, &famiv1.MonitoringReport{}, q1, 7199, defaultThreshold) {
		if f.GetKind() == famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_SPENDING_BEHIND {
			detail = f.GetDetail()
		}
	}
	if want := "paid EUR 71.99 of an expected EUR 90.00 by 2021-03-31"; detail != want {
		t.Errorf("spending detail: %q, want %q", detail, want)
	}
	// The indicator's detail writes a whole value as the client sent it,
	// not in exponent form (errs.Sprintf).
	big := proto.CloneOf(p)
	big.Indicators = []*famiv1.Indicator{{Code: "i", Target: 40000000, TargetDate: "2021-12-31"}}
	report := &famiv1.MonitoringReport{IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "i", Value: 1000000}}}
	detail = ""
	for _, f := range findFlags(big, report, q1, 9000, defaultThreshold) {
		if f.GetKind() == famiv1.MonitoringFlagKind_MONITORING_FLAG_KIND_INDICATOR_BEHIND {
			detail = f.GetDetail()
		}
	}
	if want := "achieved 1000000 of an expected 9.863e+06 by 2021-03-31"; detail != want {
		t.Errorf("indicator detail: %q, want %q", detail, want)
	}
	if !overdue(q1, time.Date(2021, 5, 1, 0, 0, 0, 0, time.UTC)) || overdue(q1, time.Date(2021, 4, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("overdue: a quarter ending 2021-03-31 is overdue from 2021-05-01, not before")
	}
}

const (
	notStarted = famiv1.ActivityState_ACTIVITY_STATE_NOT_STARTED
	onSchedule = famiv1.ActivityState_ACTIVITY_STATE_ON_SCHEDULE
	late       = famiv1.ActivityState_ACTIVITY_STATE_LATE
	completed  = famiv1.ActivityState_ACTIVITY_STATE_COMPLETED
)

// TestCellKeyBytes pins the keys of indexCells and indexSubmitted to the
// bytes already on disk (parts joined by NUL): a change here needs a
// migration.
func TestCellKeyBytes(t *testing.T) {
	const project = "regions/lombardia/projects/p1"
	for _, c := range []struct{ what, got, want string }{
		{"projectCell", projectCell(project, "2026-q1"), "pp1\x002026-q1"},
		{"regionCell", regionCell("2026-q1"), "r2026-q1"},
		{"submittedKey", submittedKey("2026-q1", project), "2026-q1\x00p1"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
		}
	}
}
