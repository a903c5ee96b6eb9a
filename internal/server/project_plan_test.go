package server_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/server"
)

// labImpact returns Lab'Impact (PROG-2463) with its plan as first granted:
// four actions, the four indicators the support report measures, a
// timetable and a financial plan of EUR 8,500,000, ending 2021-12-31.
func labImpact() *famiv1.Project {
	return &famiv1.Project{
		Code:              "PROG-2463",
		Cup:               "E89F18000510007",
		Title:             "Lab'Impact",
		Fund:              famiv1.Fund_FUND_FAMI_2014_2020,
		SpecificObjective: famiv1.SpecificObjective_SPECIFIC_OBJECTIVE_LEGAL_MIGRATION_INTEGRATION,
		Programme:         &famiv1.ProgrammeCodes{SpecificObjective: "OS2", Measure: "ON2"},
		Actions: []*famiv1.ProjectAction{
			{Code: "01", Title: "Sistema scolastico in contesti multiculturali"},
			{Code: "02", Title: "Accesso ai servizi"},
			{Code: "03", Title: "Informazione qualificata"},
			{Code: "04", Title: "Partecipazione attiva dei migranti"},
		},
		BudgetCents:    850000000,
		StartDate:      "2018-09-01",
		EndDate:        "2021-12-31",
		Municipalities: []string{"015146", "016024", "017029"},
		Indicators: []*famiv1.Indicator{
			{Code: "OUT-01", Name: "Reti supportate", Unit: "reti", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 33, TargetDate: "2021-12-31", Action: "02"},
			{Code: "OUT-02", Name: "Ore di accompagnamento personalizzato", Unit: "ore", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 700, TargetDate: "2021-12-31", Action: "02"},
			{Code: "OUT-03", Name: "Incontri di supporto", Unit: "incontri", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 160, TargetDate: "2021-12-31", Action: "02"},
			{Code: "RES-01", Name: "Presenze ai laboratori", Unit: "presenze", Kind: famiv1.IndicatorKind_INDICATOR_KIND_RESULT, Baseline: 0, Target: 500, TargetDate: "2021-12-31", Action: "04"},
		},
		Timetable: []*famiv1.PlannedActivity{
			{Code: "01.1", Action: "01", Title: "Formazione docenti", PlannedStart: "2019-01-01", PlannedEnd: "2021-06-30"},
			{Code: "02.1", Action: "02", Title: "Accompagnamento delle reti", PlannedStart: "2019-05-01", PlannedEnd: "2021-12-31"},
			{Code: "03.1", Action: "03", Title: "Sportelli informativi", PlannedStart: "2019-03-01", PlannedEnd: "2021-09-30"},
			{Code: "04.1", Action: "04", Title: "Laboratori con le associazioni", PlannedStart: "2021-01-01", PlannedEnd: "2021-03-31"},
		},
		FinancialPlan: []*famiv1.ActionBudget{
			{Action: "01", BudgetCents: 200000000},
			{Action: "02", BudgetCents: 400000000},
			{Action: "03", BudgetCents: 150000000},
			{Action: "04", BudgetCents: 100000000},
		},
	}
}

// TestProjectPlanEverySurface records Lab'Impact's plan, grants the funded
// extension that brought it to EUR 9,250,000 and checks the history and the
// validation of every plan field, on the four surfaces.
func TestProjectPlanEverySurface(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{MunicipalitiesFile: municipalitiesFile}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()

		in := labImpact()
		p, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "lab-impact", Project: in})
		if err != nil {
			t.Fatalf("create lab-impact: %v", err)
		}
		want := proto.CloneOf(in)
		want.Name, want.Etag = projectName("lab-impact"), p.GetEtag()
		if !proto.Equal(withoutTimes(p), withoutTimes(want)) {
			t.Fatalf("create lab-impact:\n got  %s\n want %s", brief(p), brief(want))
		}

		// The funded extension (proroga onerosa): new end, new budget,
		// new financial plan; the previous ones are kept in the history.
		newPlan := []*famiv1.ActionBudget{
			{Action: "01", BudgetCents: 215000000},
			{Action: "02", BudgetCents: 440000000},
			{Action: "03", BudgetCents: 160000000},
			{Action: "04", BudgetCents: 110000000},
		}
		p, err = s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: projectName("lab-impact"), Etag: p.GetEtag(), Extension: &famiv1.Extension{
			EndDate: "2023-06-30", ActReference: "Decreto di proroga onerosa", BudgetCents: 925000000, FinancialPlan: newPlan,
		}})
		if err != nil {
			t.Fatalf("funded extension: %v", err)
		}
		want.EndDate, want.BudgetCents, want.FinancialPlan, want.Etag = "2023-06-30", 925000000, newPlan, p.GetEtag()
		want.Extensions = []*famiv1.Extension{{
			EndDate: "2023-06-30", PreviousEndDate: "2021-12-31", ActReference: "Decreto di proroga onerosa",
			BudgetCents: 925000000, PreviousBudgetCents: 850000000, FinancialPlan: newPlan, PreviousFinancialPlan: in.GetFinancialPlan(),
		}}
		if !proto.Equal(withoutTimes(p), withoutTimes(want)) {
			t.Fatalf("funded extension:\n got  %s\n want %s", brief(p), brief(want))
		}
		got, err := s.GetProject(ctx, &famiv1.GetProjectRequest{Name: projectName("lab-impact")})
		if err != nil || !proto.Equal(withoutTimes(got), withoutTimes(want)) {
			t.Fatalf("get lab-impact: %v\n got  %s\n want %s", err, brief(got), brief(want))
		}

		// Once funded, the budget moves only through :extend; the split
		// between actions may still be changed.
		_, err = s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{
			Project:    &famiv1.Project{Name: projectName("lab-impact"), BudgetCents: 990000000},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"budget_cents"}},
		})
		checkErr(t, "update the budget of a funded project", err, wantErr{codes.FailedPrecondition, "PROJECT_EXTENDED", nil})
		moved := []*famiv1.ActionBudget{
			{Action: "01", BudgetCents: 205000000},
			{Action: "02", BudgetCents: 450000000},
			{Action: "03", BudgetCents: 160000000},
			{Action: "04", BudgetCents: 110000000},
		}
		if _, err := s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{
			Project:    &famiv1.Project{Name: projectName("lab-impact"), FinancialPlan: moved},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"financial_plan"}},
		}); err != nil {
			t.Errorf("move budget between actions: %v", err)
		}
		_, err = s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: projectName("lab-impact"), Extension: &famiv1.Extension{EndDate: "2023-12-31", BudgetCents: 1000000000}})
		checkErr(t, "funded extension without a new financial plan", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"extension.financial_plan"}})

		// Other funds are recorded and filtered on.
		other := &famiv1.Project{Code: "PNRR-M5C2", Title: "Housing first", Fund: famiv1.Fund_FUND_PNRR,
			StartDate: "2022-01-01", EndDate: "2026-06-30", Municipalities: []string{"015146"}}
		if _, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "pnrr-housing", Project: other}); err != nil {
			t.Fatalf("create a PNRR project: %v", err)
		}
		list, err := s.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: lombardia, Fund: famiv1.Fund_FUND_PNRR})
		if err != nil || len(list.GetProjects()) != 1 || list.GetProjects()[0].GetName() != projectName("pnrr-housing") {
			t.Errorf("list PNRR projects: %v, got %v, want only pnrr-housing", err, names(list.GetProjects()))
		}

		// Bad plans: every wrong field is named.
		bad := labImpact()
		bad.Code = "PROG-9999"
		bad.Programme.SpecificObjective = "OS3"
		bad.Municipalities = []string{"027042", "12345"}
		bad.Indicators[0].Kind = 0
		bad.Indicators[1].Target = math.Inf(1)
		bad.Indicators[2].Code = "OUT-01"
		bad.Indicators[3].TargetDate = "2018-01-01"
		bad.Timetable[0].Action = "09"
		bad.Timetable[1].PlannedEnd = "2019-01-01"
		bad.FinancialPlan[3].BudgetCents = 1
		_, err = s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "bad", Project: bad})
		checkErr(t, "create a project with a bad plan", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{
			"project.programme.specific_objective",
			"project.municipalities[0]",
			"project.municipalities[1]",
			"project.indicators[0].kind",
			"project.indicators[1].target",
			"project.indicators[2].code",
			"project.indicators[3].target_date",
			"project.timetable[0].action",
			"project.timetable[1].planned_end",
			"project.financial_plan",
		}})
		if _, err := s.GetProject(ctx, &famiv1.GetProjectRequest{Name: projectName("bad")}); err == nil {
			t.Errorf("the rejected project was stored")
		}
	})
}

// TestAmountsStayWithinTheSums: a project's budget, an extension's and a
// financial plan line are at most check.MaxCents, so the region's and the
// nation's monitoring sums cannot overflow. Two budgets of 2^63-1 cents
// were accepted and summed to -2 cents in both summaries.
func TestAmountsStayWithinTheSums(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ministry := newSurfaceFor(t, ts, kind, ministrySpec)
		ctx := t.Context()
		project := func(code string, budget int64) *famiv1.Project {
			return &famiv1.Project{Code: code, Title: "Progetto " + code, Fund: famiv1.Fund_FUND_FAMI_2021_2027,
				BudgetCents: budget, StartDate: "2025-01-01", EndDate: "2027-12-31"}
		}

		_, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "huge", Project: project("HUGE", math.MaxInt64)})
		checkErr(t, "a budget of 2^63-1 cents", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"project.budget_cents"}})
		planned := project("PLAN", 100)
		planned.Actions = []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Servizi"}}
		planned.FinancialPlan = []*famiv1.ActionBudget{{Action: "01", BudgetCents: math.MaxInt64}, {Action: "02", BudgetCents: math.MinInt64 + 101}}
		_, err = s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "plan", Project: planned})
		checkErr(t, "a financial plan line of 2^63-1 cents", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"project.financial_plan[0].budget_cents"}})

		for _, id := range []string{"a", "b"} {
			if _, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, Project: project(id, check.MaxCents)}); err != nil {
				t.Fatalf("a budget of check.MaxCents: %v", err)
			}
		}
		_, err = s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: projectName("a"), Extension: &famiv1.Extension{EndDate: "2028-12-31", BudgetCents: math.MaxInt64}})
		checkErr(t, "an extension of 2^63-1 cents", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"extension.budget_cents"}})

		region, err := s.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: lombardia, Period: "2026-q3"})
		if err != nil || region.GetBudgetCents() != 2*check.MaxCents {
			t.Errorf("the region's budget: %d, %v; want %d", region.GetBudgetCents(), err, int64(2*check.MaxCents))
		}
		nation, err := ministry.SummarizeMonitoring(ctx, &famiv1.SummarizeMonitoringRequest{Parent: "regions/-", Period: "2026-q3"})
		if err != nil || nation.GetBudgetCents() != 2*check.MaxCents {
			t.Errorf("the nation's budget: %d, %v; want %d", nation.GetBudgetCents(), err, int64(2*check.MaxCents))
		}
	})
}

// TestProjectCodesAreUniqueFolded: a project code is unique however it is
// typed: in another case, with spaces around it, in full-width letters,
// with a no-break space or another dash. Each such code was accepted as a
// new one beside PROG-1.
func TestProjectCodesAreUniqueFolded(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		if err := createCoded(ctx, s, "p1", "PROG-1"); err != nil {
			t.Fatal(err)
		}
		if err := createCoded(ctx, s, "p2", "PROG-2"); err != nil {
			t.Fatal(err)
		}
		taken := wantErr{codes.AlreadyExists, "PROJECT_CODE_TAKEN", []string{"project.code"}}
		for i, code := range []string{"prog-1", "PROG-1 ", " PROG-1", "ＰＲＯＧ-1", "PROG\u20111", "PROG\u20131", "PROG-1\u00a0", "Prog-1"} {
			checkErr(t, fmt.Sprintf("create with code %q", code), createCoded(ctx, s, fmt.Sprintf("v%d", i), code), taken)
			checkErr(t, fmt.Sprintf("p2 takes code %q", code), setCode(ctx, s, "p2", code), taken)
		}
		// The project's own code, typed otherwise, is still its own; once
		// deleted, the code is free in any form.
		if err := setCode(ctx, s, "p1", "prog-1"); err != nil {
			t.Errorf("p1 writes its code in lower case: %v", err)
		}
		if _, err := s.DeleteProject(ctx, &famiv1.DeleteProjectRequest{Name: projectName("p1")}); err != nil {
			t.Fatal(err)
		}
		if err := createCoded(ctx, s, "p3", "ＰＲＯＧ-1"); err != nil {
			t.Errorf("the deleted project's code: %v", err)
		}
	})
}

// TestProjectListsEachCodeOnceFolded: the codes a project lists once, its
// actions', indicators' and activities', are compared as its own code is:
// an action "０１ " (full-width, a space after it) is action 01 again, an
// indicator "out-01" is OUT-01 again, an activity "a.1" is A.1 again, each
// refused naming the second. Each was taken for a new code beside the
// first, so that a plan could list what a person reads as one action
// twice.
func TestProjectListsEachCodeOnceFolded(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		p := labImpact()
		p.Timetable[0].Code = "A.1"
		p.Actions = append(p.Actions, &famiv1.ProjectAction{Code: "０１ ", Title: "Sistema scolastico, di nuovo"})
		p.Indicators = append(p.Indicators, &famiv1.Indicator{Code: "out-01", Name: "Reti supportate, di nuovo", Unit: "reti",
			Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 1, TargetDate: "2021-12-31", Action: "02"})
		p.Timetable = append(p.Timetable, &famiv1.PlannedActivity{Code: "a.1", Action: "01", Title: "Formazione docenti, di nuovo",
			PlannedStart: "2019-01-01", PlannedEnd: "2019-06-30"})
		_, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "doppi", Project: p})
		checkErr(t, "create a project listing codes twice in two forms", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{
			"project.actions[4].code",
			"project.indicators[4].code",
			"project.timetable[4].code",
		}})
		if _, err := s.GetProject(ctx, &famiv1.GetProjectRequest{Name: projectName("doppi")}); err == nil {
			t.Errorf("the refused project was stored")
		}
	})
}

// createCoded creates the project id in Lombardia with the code given,
// the same project but for its id and code.
func createCoded(ctx context.Context, s surface, id, code string) error {
	_, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: id, Project: &famiv1.Project{
		Code: code, Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2023-01-01", EndDate: "2025-12-31"}})
	return err
}

// setCode updates the code of Lombardia's project id, and nothing else.
func setCode(ctx context.Context, s surface, id, code string) error {
	_, err := s.UpdateProject(ctx, &famiv1.UpdateProjectRequest{Project: &famiv1.Project{Name: projectName(id), Code: code},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"code"}}})
	return err
}

// TestProjectCodesAreLatin: a project code folds to Latin letters, digits
// and a few separators. A letter of another script that looks like a
// Latin one made a second "PROG-1" nobody could tell from the first; such
// a code is refused naming project.code, on create and on update.
func TestProjectCodesAreLatin(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		for i, code := range []string{"PROG-1", "lab 2024/a_b.3", "ＬＡＢ-９"} {
			if err := createCoded(ctx, s, fmt.Sprintf("ok%d", i), code); err != nil {
				t.Errorf("create with code %q: %v", code, err)
			}
		}
		invalid := wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"project.code"}}
		lookalikes := []string{
			"\u0420ROG-1",      // Cyrillic Er
			"PR\u041eG-1",      // Cyrillic O
			"PR\u039fG-1",      // Greek Omicron
			"PROG-\u0661",      // Arabic-Indic one
			"PROG\u2044" + "1", // fraction slash
			"PROG-1\u00e8",
		}
		for i, code := range lookalikes {
			checkErr(t, fmt.Sprintf("create with code %q", code), createCoded(ctx, s, fmt.Sprintf("x%d", i), code), invalid)
			checkErr(t, fmt.Sprintf("update to code %q", code), setCode(ctx, s, "ok1", code), invalid)
		}
		got, err := s.GetProject(ctx, &famiv1.GetProjectRequest{Name: projectName("ok1")})
		if err != nil || got.GetCode() != "lab 2024/a_b.3" {
			t.Errorf("after the refused updates: %q, %v", got.GetCode(), err)
		}
	})
}

// TestRecordsOutliveNoParent: a project with monitoring reports, or a
// network with capacity assessments, is not deleted: they are its record.
// Both used to be deleted, leaving their reports and assessments served
// under a name nothing had, counted in the summaries, and inherited by a
// new project or network of the same id.
func TestRecordsOutliveNoParent(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		s := newSurface(t, ts, kind)
		ctx := t.Context()
		if _, err := s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "mon", Project: &famiv1.Project{
			Code: "MON-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2025-01-01", EndDate: "2027-12-31",
			Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: projectName("mon"), MonitoringReportId: "2025-q1",
			MonitoringReport: &famiv1.MonitoringReport{Expenditures: []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: 5000, PaidCents: 4000}}}}); err != nil {
			t.Fatal(err)
		}
		_, err := s.DeleteProject(ctx, &famiv1.DeleteProjectRequest{Name: projectName("mon")})
		checkErr(t, "delete a project with a report", err, wantErr{codes.FailedPrecondition, "PROJECT_IN_USE", nil})

		seedPartners(t, ctx, s, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp")
		seedNetworkLedBy(t, ctx, s, "rete", "udp")
		if _, err := s.CreateCapacityAssessment(ctx, &famiv1.CreateCapacityAssessmentRequest{Parent: networkName("rete"), CapacityAssessmentId: "co-progettazione",
			CapacityAssessment: &famiv1.CapacityAssessment{DisplayName: "Co-progettazione", T0: 3, T0Date: "2025-01-10"}}); err != nil {
			t.Fatal(err)
		}
		_, err = s.DeleteNetwork(ctx, &famiv1.DeleteNetworkRequest{Name: networkName("rete")})
		checkErr(t, "delete a network with an assessment", err, wantErr{codes.FailedPrecondition, "NETWORK_IN_USE", nil})

		if _, err := s.GetProject(ctx, &famiv1.GetProjectRequest{Name: projectName("mon")}); err != nil {
			t.Errorf("the project after the refused delete: %v", err)
		}
		if _, err := s.GetNetwork(ctx, &famiv1.GetNetworkRequest{Name: networkName("rete")}); err != nil {
			t.Errorf("the network after the refused delete: %v", err)
		}
	})
}

// TestProjectExtensionsAreBounded: each :extend appends to the project's
// history, bounded before only by a later end date each time (tens of
// thousands of them), so a project read on every page could grow without
// end. The 51st extension is refused as the project's state, which no
// request could change (FAILED_PRECONDITION, LIMIT_REACHED, naming no field
// of the request but the limit in its metadata), and nothing is written.
func TestProjectExtensionsAreBounded(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		p := mustOK(s.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: "prog", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027, StartDate: "2025-01-01", EndDate: "2025-12-31"}}))(t, "project")
		end := func(i int) string { return fmt.Sprintf("2026-%02d-%02d", 1+i/28, 1+i%28) }
		for i := range 50 {
			p = mustOK(s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: p.GetName(), Extension: &famiv1.Extension{EndDate: end(i), Reason: "proroga"}}))(t, "extension "+end(i))
		}
		before := snapshot(t, ctx, s)
		_, err := s.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: p.GetName(), Extension: &famiv1.Extension{EndDate: end(50), Reason: "proroga"}})
		checkErr(t, "the 51st extension", err, wantErr{codes.FailedPrecondition, "LIMIT_REACHED", nil})
		wantLimit(t, "the 51st extension", err, p.GetName(), "extensions", 50)
		wantNothingWritten(t, ctx, s, before)
		if got := mustOK(s.GetProject(ctx, &famiv1.GetProjectRequest{Name: p.GetName()}))(t, "get project"); !proto.Equal(got, p) {
			t.Errorf("after the refused extension: got %d extensions ending %s, want 50 ending %s", len(got.GetExtensions()), got.GetEndDate(), p.GetEndDate())
		}
	})
}
