package opendata_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/opendata"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/support"
)

// fixtureNow is the fixture's one clock: the store's change times, the
// services' "today" and open data's, so its files are the same each run.
var fixtureNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return fixtureNow }

// size is how much the fixture puts in each region.
type size struct {
	// regions are how many regions, in id order, have data.
	regions                                 int
	partners, projects, networks, protocols int
	// entries are approved support entries per network.
	entries int
}

// fixture is every region's data (real bbolt files) and the real services
// open data reads them through.
type fixture struct {
	st  store.Store
	src opendata.Sources
}

// newFixture writes sz into every region: varied values (every fund,
// kind, state and role in turn; texts with separators, quotes, line
// breaks and formula openers), each region in one transaction, then
// approved support entries through the support service.
func newFixture(tb testing.TB, sz size) *fixture {
	tb.Helper()
	regions := aip.RegionIDs()
	st := bolttest.Open(tb, tb.TempDir(), bolt.Options{Regions: regions, Now: clock})
	reg := registry.New(st, nil)
	sup := support.New(st, support.Options{Now: clock})
	f := &fixture{st: st, src: opendata.Sources{Partners: reg.Partners(), Projects: reg.Projects(), Networks: reg.Networks(),
		Protocols: protocols.New(st, protocols.Options{Now: clock}), Support: sup, Monitoring: monitoring.New(st, monitoring.Options{Now: clock})}}
	for _, region := range regions[:sz.regions] {
		data, archived := regionData(region, sz), []store.Resource(nil)
		if sz.entries > 0 {
			// Its networks are archived once their entries are logged, as
			// in life: an archived network takes no new entry (ADR 30).
			data, archived = activeFirst(data)
		}
		put(tb, st, region, data)
		if sz.entries > 0 {
			f.approveEntries(tb, sup, region, sz)
			put(tb, st, region, archived)
		}
	}
	return f
}

// put writes resources into region in one transaction.
func put(tb testing.TB, st store.Store, region string, resources []store.Resource) {
	tb.Helper()
	if len(resources) == 0 {
		return
	}
	_, err := st.Update(tb.Context(), region, store.Mutation{Principal: "fixture"}, func(tx store.WriteTx) (proto.Message, error) {
		for _, r := range resources {
			if err := tx.Put(r); err != nil {
				return nil, err
			}
		}
		return resources[len(resources)-1], nil
	})
	if err != nil {
		tb.Fatalf("write %s: %v", region, err)
	}
}

// activeFirst returns data with its archived networks active, and those
// networks as they are, to write once their entries are logged.
func activeFirst(data []store.Resource) (active, archived []store.Resource) {
	for _, r := range data {
		if n, ok := r.(*famiv1.Network); ok && resource.Archived(n) {
			archived = append(archived, n)
			n = proto.Clone(n).(*famiv1.Network)
			n.State = famiv1.NetworkState_NETWORK_STATE_ACTIVE
			r = n
		}
		active = append(active, r)
	}
	return active, archived
}

// texts are the fixture's awkward strings, taken in turn.
var texts = []string{"Rete \"Insieme\", Bergamo", "x;=cmd|' /C calc'!A0;", "Riga uno\nriga due", "Città & <scuola>", "+39 ente", "Ente semplice"}

func text(i int) string { return texts[i%len(texts)] }

func enumAt[E ~int32](names map[int32]string, i int) E { return E(1 + int32(i)%int32(len(names)-1)) }

// regionData is the partners, projects (with monitoring reports), networks
// and protocols of region.
func regionData(region string, sz size) []store.Resource {
	parent := "regions/" + region
	var out []store.Resource
	partner := func(i int) string { return fmt.Sprintf("%s/partners/p%05d", parent, i%sz.partners) }
	project := func(i int) string { return fmt.Sprintf("%s/projects/pr%05d", parent, i%sz.projects) }
	network := func(i int) string { return fmt.Sprintf("%s/networks/n%05d", parent, i%sz.networks) }
	for i := range sz.partners {
		out = append(out, &famiv1.Partner{Name: partner(i), DisplayName: fmt.Sprintf("%s %d", text(i), i),
			Kind: enumAt[famiv1.PartnerKind](famiv1.PartnerKind_name, i), FiscalCode: "01199250158"})
	}
	for i := range sz.projects {
		p := &famiv1.Project{Name: project(i), Code: fmt.Sprintf("PROG-%04d", i), Cup: fmt.Sprintf("E89F%011d", i), Title: text(i + 1),
			Fund: enumAt[famiv1.Fund](famiv1.Fund_name, i), SpecificObjective: enumAt[famiv1.SpecificObjective](famiv1.SpecificObjective_name, i),
			BudgetCents: int64(i)*123457 + 5, StartDate: "2024-01-01", EndDate: "2026-12-31", Beneficiary: partner(i),
			Municipalities: []string{"016024", fmt.Sprintf("%06d", 16000+i%90)},
			Actions:        []*famiv1.ProjectAction{{Code: "01", Title: text(i)}, {Code: "02", Title: "Accesso ai servizi"}},
			Indicators:     []*famiv1.Indicator{{Code: "OUT-01", Unit: "persone"}, {Code: "RES-02", Unit: ""}}}
		if i%3 != 0 {
			p.Programme = &famiv1.ProgrammeCodes{SpecificObjective: "OS2", Measure: fmt.Sprintf("M%d", i%4), Action: map[bool]string{true: "a"}[i%2 == 0]}
		}
		if i%4 == 1 {
			p.Extensions = []*famiv1.Extension{{PreviousEndDate: "2025-12-31", EndDate: "2026-06-30"}, {PreviousEndDate: "2026-06-30", EndDate: "2026-12-31"}}
		}
		out = append(out, p)
		for q := 1; q <= i%4; q++ {
			r := &famiv1.MonitoringReport{Name: fmt.Sprintf("%s/monitoringReports/2025-q%d", p.GetName(), q), Period: fmt.Sprintf("2025-q%d", q),
				State: famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED, Revision: 1,
				IndicatorValues:     []*famiv1.IndicatorValue{{Indicator: "OUT-01", Value: float64(i*q) + 0.5}, {Indicator: "RES-02", Value: float64(q)}},
				Expenditures:        []*famiv1.ActionExpenditure{{Action: "01", CommittedCents: int64(i * 1001), PaidCents: int64(q * 999)}},
				ReimbursementClaims: []*famiv1.ReimbursementClaim{{AmountCents: int64(i + q)}},
				PeopleReached:       []*famiv1.PeopleCount{{Count: int32((i + q) % 5)}},
				OperatorsTrained:    []*famiv1.TrainedOperators{{Count: int32(q)}}}
			if q == 2 {
				// Under correction: the approved revision 1 is published.
				kept := proto.Clone(r).(*famiv1.MonitoringReport)
				kept.Name += "@1"
				out = append(out, kept)
				r.State, r.Revision, r.IndicatorValues = famiv1.MonitoringReportState_MONITORING_REPORT_STATE_DRAFT, 2, nil
			}
			out = append(out, r)
		}
		if i%5 == 4 {
			out = append(out, &famiv1.MonitoringReport{Name: p.GetName() + "/monitoringReports/2025-q4", Period: "2025-q4",
				State: famiv1.MonitoringReportState_MONITORING_REPORT_STATE_SUBMITTED, Revision: 1})
		}
	}
	for i := range sz.networks {
		n := &famiv1.Network{Name: network(i), DisplayName: fmt.Sprintf("%s %d", text(i+2), i), LeadPartner: partner(i),
			State: enumAt[famiv1.NetworkState](famiv1.NetworkState_name, i), Municipalities: []string{"016024"}}
		for k := range 1 + i%5 {
			n.Members = append(n.Members, &famiv1.Member{Partner: partner(i + k), Role: famiv1.MemberRole_MEMBER_ROLE_PARTNER})
		}
		for k := range i % 3 {
			n.Projects = append(n.Projects, &famiv1.NetworkProject{Project: project(i/2 + k)})
		}
		out = append(out, n)
	}
	for i := range sz.protocols {
		p := &famiv1.Protocol{Name: fmt.Sprintf("%s/protocols/pt%05d", parent, i), Network: network(i), Title: text(i + 3),
			Body: strings.Repeat("Art. ", 200), Objectives: "Obiettivi", ValidFrom: "2025-01-01",
			State: enumAt[famiv1.ProtocolState](famiv1.ProtocolState_name, i), Version: int32(1 + i%2),
			ContentHash: fmt.Sprintf("%064x", i),
			Parties: []*famiv1.Party{{Partner: partner(i), Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT},
				{Partner: partner(i + 1), Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}
		if i%2 == 1 {
			p.ValidUntil, p.Supersedes = "2027-12-31", fmt.Sprintf("%s/protocols/pt%05d", parent, i-1)
		}
		out = append(out, p)
	}
	return out
}

// approveEntries logs sz.entries support entries on each network of
// region, as a consultant, over three quarters and two activities, and
// approves them as the region's admin.
func (f *fixture) approveEntries(tb testing.TB, sup *support.Service, region string, sz size) {
	tb.Helper()
	parent := "regions/" + region
	consultant := principal.With(tb.Context(), principal.Principal{Subject: "fixture:consultant", Role: principal.Consultant, Region: region})
	admin := principal.With(tb.Context(), principal.Principal{Subject: "fixture:admin", Role: principal.RegionAdmin, Region: region})
	var names []string
	for i := range sz.networks {
		for k := range sz.entries {
			e, err := sup.CreateSupportEntry(consultant, &famiv1.CreateSupportEntryRequest{Parent: parent, SupportEntry: &famiv1.SupportEntry{
				Network: fmt.Sprintf("%s/networks/n%05d", parent, i), Date: fmt.Sprintf("2025-%02d-1%d", 1+3*(k%3), k%10),
				Activity: enumAt[famiv1.SupportActivity](famiv1.SupportActivity_name, k%2), DurationMinutes: int32(30 + 15*k),
				Mode:             famiv1.SupportMode_SUPPORT_MODE_ONLINE,
				OperatorsReached: []*famiv1.OperatorsReached{{Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_CULTURAL_MEDIATOR, Count: int32(1 + (i+k)%4)}}}})
			if err != nil {
				tb.Fatalf("support entry: %v", err)
			}
			names = append(names, e.GetName())
		}
	}
	for len(names) > 0 {
		n := min(len(names), 100)
		if _, err := sup.BatchApproveSupportEntries(admin, &famiv1.BatchApproveSupportEntriesRequest{Parent: parent, Names: names[:n]}); err != nil {
			tb.Fatalf("approve: %v", err)
		}
		names = names[n:]
	}
}

// fileNames are every file open data serves.
var fileNames = []string{"index.html", "catalog.jsonld", "datapackage.json", "feed.atom",
	"progetti.csv", "progetti.json", "reti.csv", "reti.json", "protocolli.csv", "protocolli.json",
	"ore_supporto.csv", "ore_supporto.json", "monitoraggio.csv", "monitoraggio.json"}

// serve builds the open data of a new handler (its first request builds
// the snapshot) and returns that request's answer; onFiles, when set, is
// called as each dataset's files are made.
func (f *fixture) serve(tb testing.TB, src opendata.Sources, onFiles func()) (*opendata.Handler, *httptest.ResponseRecorder) {
	h := opendata.New(f.st, src, opendata.Options{PublicURL: "https://dati.example.it", Now: clock, Burst: 1 << 20, Rate: 1 << 20})
	if onFiles != nil {
		h.OnFilesMade(onFiles)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(tb.Context(), http.MethodGet, opendata.Prefix+"reti.csv", nil))
	if w.Code != http.StatusOK {
		tb.Fatalf("GET reti.csv: %d %s", w.Code, w.Body)
	}
	return h, w
}
