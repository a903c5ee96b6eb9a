package web_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// municipalitiesFile is ISTAT's list, kept beside the repository.
const municipalitiesFile = "../../../shared/data/comuni-istat.csv"

// BenchmarkHotPages renders the pages people use most, and makes the
// calls behind them, over a region of realistic size (seedRegion): the
// figures, and `-cpuprofile`/`-memprofile` of a run, are in
// docs/benchmarks.md ("Hot pages").
//
//	go test -run '^$' -bench HotPages -benchtime 200x -count 6 ./internal/web/
func BenchmarkHotPages(b *testing.B) {
	f, r := seedRegion(b)
	page := func(cookie, path string) func(b *testing.B) {
		return func(b *testing.B) {
			n := get(b, f.url(path), "Cookie", "raccordo_sessione="+cookie) // warm, and checked
			for b.Loop() {
				get(b, f.url(path), "Cookie", "raccordo_sessione="+cookie)
			}
			b.ReportMetric(float64(n), "page-bytes")
		}
	}
	call := func(token, path string) func(b *testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				get(b, f.url(path), "Authorization", "Bearer "+token)
			}
		}
	}
	b.Run("page=hours", page(r.consultant, "/ore"))
	b.Run("page=entry", page(r.consultant, "/ore/"+r.entry))
	b.Run("page=review-queue", page(r.officer, "/approvazioni"))
	b.Run("page=network", page(r.officer, "/reti/"+r.network))
	b.Run("page=dashboard", page(r.officer, "/cruscotto"))
	b.Run("page=meetings", page(r.officer, "/incontri"))
	b.Run("page=report", page(r.officer, "/progetti/"+r.project+"/monitoraggio/"+r.report))
	b.Run("api=national-dashboard", call(r.ministry, "/v1/regions/-:summarize"))
	b.Run("api=overlaps", call(r.officer, "/v1/regions/lombardia/overlaps?project=regions/lombardia/projects/"+r.project))
	b.Run("api=changes", call(r.officer, "/v1/regions/lombardia/changes?pageSize=1000"))
}

// get fetches u with one header and fails b unless it is a 200; it
// returns the body's size.
func get(b *testing.B, u, hdr, value string) int64 {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set(hdr, value)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: status %d", u, res.StatusCode)
	}
	return n
}

// seeded names what seedRegion made: the sessions' tokens and one of each
// resource the pages show.
type seeded struct {
	consultant, officer, ministry   string // tokens
	entry, network, project, report string // ids
}

// seedRegion writes Lombardia at the size the brief describes, through
// the API: 700 partners, 33 networks of 21 members each, 10 consultants
// with 300 support entries each over three years (a third of them still
// waiting for review), 1,500 meetings, 30 projects on the region's real
// municipalities, each with 12 quarterly monitoring reports.
func seedRegion(b *testing.B) (*famid, seeded) {
	b.Helper()
	f := startFamidWith(b, server.Config{MunicipalitiesFile: municipalitiesFile})
	conn := f.conn
	ctx := f.admin("lombardia")
	const region = "regions/lombardia"
	today := f.Clock.Now().In(rome())

	munis := lombardMunicipalities(b)
	partners := famiv1.NewPartnerServiceClient(conn)
	bulk(b, 700, func(i int) error {
		p := &famiv1.Partner{DisplayName: fmt.Sprintf("Partner %d", i), Kind: famiv1.PartnerKind(1 + i%6)}
		if p.Kind == famiv1.PartnerKind_PARTNER_KIND_MUNICIPALITY {
			p.IstatCode = munis[i]
		}
		_, err := partners.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: region, PartnerId: fmt.Sprintf("p%03d", i), Partner: p})
		return err
	})
	projects := famiv1.NewProjectServiceClient(conn)
	reports := famiv1.NewMonitoringServiceClient(conn)
	start := time.Date(today.Year()-3, 1, 1, 0, 0, 0, 0, rome())
	bulk(b, 30, func(i int) error {
		_, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: region, ProjectId: fmt.Sprintf("prog%02d", i), Project: &famiv1.Project{
			Code: fmt.Sprintf("PROG-%d", 1000+i), Title: fmt.Sprintf("Progetto %d", i), Fund: famiv1.Fund_FUND_FAMI_2021_2027,
			Actions:   []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Accesso ai servizi"}},
			StartDate: start.Format(time.DateOnly), EndDate: start.AddDate(4, 0, -1).Format(time.DateOnly), BudgetCents: 600000000,
			Municipalities: munis[i*7%len(munis) : i*7%len(munis)+12],
			Indicators:     []*famiv1.Indicator{{Code: "OUT-01", Name: "Reti supportate", Unit: "reti", Kind: famiv1.IndicatorKind_INDICATOR_KIND_OUTPUT, Target: 33, TargetDate: start.AddDate(4, 0, -1).Format(time.DateOnly)}},
			Timetable: []*famiv1.PlannedActivity{
				{Code: "01.1", Action: "01", Title: "Formazione docenti", PlannedStart: start.Format(time.DateOnly), PlannedEnd: start.AddDate(2, 0, 0).Format(time.DateOnly)},
				{Code: "02.1", Action: "02", Title: "Accompagnamento delle reti", PlannedStart: start.Format(time.DateOnly), PlannedEnd: start.AddDate(3, 0, 0).Format(time.DateOnly)},
			},
			FinancialPlan: []*famiv1.ActionBudget{{Action: "01", BudgetCents: 200000000}, {Action: "02", BudgetCents: 400000000}},
		}})
		return err
	})
	bulk(b, 30*12, func(i int) error {
		q := start.AddDate(0, 3*(i%12), 0)
		_, err := reports.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{
			Parent: fmt.Sprintf("%s/projects/prog%02d", region, i/12), MonitoringReportId: fmt.Sprintf("%d-q%d", q.Year(), int(q.Month()-1)/3+1),
			MonitoringReport: &famiv1.MonitoringReport{
				Activities:      []*famiv1.ActivityStatus{{Activity: "01.1", State: famiv1.ActivityState_ACTIVITY_STATE_ON_SCHEDULE, ActualStart: start.Format(time.DateOnly)}},
				IndicatorValues: []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: float64(i % 33)}},
				Expenditures:    []*famiv1.ActionExpenditure{{Action: "02", CommittedCents: 30000000, PaidCents: 20000000}},
				PeopleReached:   []*famiv1.PeopleCount{{AgeBand: famiv1.AgeBand_AGE_BAND_18_29, Sex: famiv1.Sex_SEX_FEMALE, Count: 12}},
				Notes:           "Trimestre regolare",
			}})
		return err
	})

	networks := famiv1.NewNetworkServiceClient(conn)
	bulk(b, 33, func(i int) error {
		members := []*famiv1.Member{{Partner: fmt.Sprintf("%s/partners/p%03d", region, i*21), Role: famiv1.MemberRole_MEMBER_ROLE_LEAD}}
		for j := 1; j < 21; j++ {
			members = append(members, &famiv1.Member{Partner: fmt.Sprintf("%s/partners/p%03d", region, i*21+j), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
		}
		_, err := networks.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: region, NetworkId: fmt.Sprintf("rete%02d", i), Network: &famiv1.Network{
			DisplayName: fmt.Sprintf("Rete %d", i), LeadPartner: members[0].GetPartner(), Members: members,
			Projects: []*famiv1.NetworkProject{{Project: fmt.Sprintf("%s/projects/prog%02d", region, i%30), Actions: []string{"02"}}},
		}})
		return err
	})

	meetings := famiv1.NewMeetingServiceClient(conn)
	first := today.AddDate(-3, 0, 0).Truncate(time.Hour)
	bulk(b, 1500, func(i int) error {
		at := first.Add(time.Duration(i) * 17 * time.Hour)
		_, err := meetings.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: region, MeetingId: fmt.Sprintf("m%04d", i),
			Meeting: &famiv1.Meeting{Networks: []string{fmt.Sprintf("%s/networks/rete%02d", region, i%33)}, Kind: famiv1.MeetingKind_MEETING_KIND_COORDINATION_TABLE,
				Title: fmt.Sprintf("Tavolo %d", i), StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(time.Hour)),
				Mode: famiv1.MeetingMode_MEETING_MODE_ONLINE, Link: "https://meet.example.org/t"}})
		return err
	})

	login := func(user string) string {
		res, err := famiv1.NewAuthServiceClient(conn).Login(b.Context(), &famiv1.LoginRequest{Username: user, Password: password})
		if err != nil {
			b.Fatal(err)
		}
		return res.GetToken()
	}
	support := famiv1.NewSupportServiceClient(conn)
	consultants := make([]string, 10)
	for c := range consultants {
		id := fmt.Sprintf("cons%d", c)
		f.account("lombardia", id, fmt.Sprintf("Consulente %d", c), famiv1.Role_ROLE_CONSULTANT, "")
		// Signed in: a token signed with no generation is refused for an
		// account, whose first is above 0 (ADR 27).
		consultants[c] = login(id + "@lombardia")
	}
	const perConsultant = 300
	names := make([]string, len(consultants)*perConsultant)
	bulk(b, len(names), func(i int) error {
		c := i / perConsultant
		date := today.AddDate(0, 0, -(i%perConsultant)*1095/perConsultant)
		e, err := support.CreateSupportEntry(metadata.AppendToOutgoingContext(b.Context(), "authorization", "Bearer "+consultants[c]), &famiv1.CreateSupportEntryRequest{Parent: region, SupportEntry: &famiv1.SupportEntry{
			Network: fmt.Sprintf("%s/networks/rete%02d", region, i%33), Activity: famiv1.SupportActivity(1 + i%7), Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE,
			Date: date.Format(time.DateOnly), DurationMinutes: 90, Notes: fmt.Sprintf("incontro %d", i),
		}})
		names[i] = e.GetName()
		return err
	})
	// Two thirds are approved, in batches as the queue approves them.
	var approve []string
	for i, n := range names {
		if i%3 != 0 {
			approve = append(approve, n)
		}
	}
	for len(approve) > 0 {
		n := min(100, len(approve))
		if _, err := support.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: region, Names: approve[:n]}); err != nil {
			b.Fatal(err)
		}
		approve = approve[n:]
	}

	f.account("lombardia", "officer", "Funzionario regionale", famiv1.Role_ROLE_REGION_ADMIN, "")
	return f, seeded{
		consultant: login("cons0@lombardia"), officer: login("officer@lombardia"),
		ministry: f.Token(b, auth.TokenSpec{Subject: "test:ministry", Role: principal.Ministry}),
		entry:    names[0][len(region+"/supportEntries/"):], network: "rete05", project: "prog03", report: fmt.Sprintf("%d-q2", start.Year()+1),
	}
}

// lombardMunicipalities reads the ISTAT codes of Lombardia's
// municipalities (region code 03) from ISTAT's list.
func lombardMunicipalities(b *testing.B) []string {
	file, err := os.Open(municipalitiesFile)
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	rows, err := csv.NewReader(file).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, row := range rows[1:] {
		if row[5] == "03" {
			out = append(out, row[0])
		}
	}
	return out
}
