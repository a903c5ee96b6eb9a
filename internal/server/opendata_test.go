package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/opendata"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
)

// Markers are unique strings put into personal or unpublished data (an
// account, a service token, a consultant, notes, minutes, a meeting, a
// draft protocol, a rejected or unapproved entry, a protocol's text): none
// may appear in any open-data file.
var openDataMarkers = []string{
	"MKACCOUNT7f3a", "MKTOKEN1c9e", "mkconsultant4b2d", "MKNOTES88e1", "MKMINUTES5d0c", "MKMEETING2a7f",
	"MKDRAFT91b2", "MKREJECT3e6a", "MKPENDING6f14", "MKBODY0d93", "MKCOMMIT7a21", "MKPLACE44c8",
	"MKREPORTNOTES1b7c", "MKCORRECTION9e2d", "MKDEVIATION5a3f",
	"MKCONTACT8d2e", "mkcontactmail3f1a", "mkcontactid7c9e",
}

// openDataFixture fills lombardia through the API with public data and,
// beside it, every kind of data open data must leave out.
func openDataFixture(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := t.Context()
	const kind = "connect"
	parent := "regions/lombardia"
	tok := ts.mintToken(regionAdminSpec("lombardia"))
	admin := newSurfaceAs(t, ts, kind, tok)
	partner := func(id string, k famiv1.PartnerKind) string {
		return mustOK(admin.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: parent, PartnerId: id, Partner: &famiv1.Partner{DisplayName: "Ente " + id, Kind: k}}))(t, "partner").GetName()
	}
	udp := partner("udp-bergamo", famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE)
	cpia := partner("cpia-bergamo", famiv1.PartnerKind_PARTNER_KIND_ADULT_EDUCATION_CENTRE)
	ets := partner("coop-bergamo", famiv1.PartnerKind_PARTNER_KIND_THIRD_SECTOR)
	project := mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: "lab-impact", Project: &famiv1.Project{
		Code: "PROG-2463", Cup: "E89F18000510007", Title: "Lab'Impact", Fund: famiv1.Fund_FUND_FAMI_2014_2020, BudgetCents: 925000000,
		StartDate: "2018-09-01", EndDate: "2021-12-31", Municipalities: []string{"016024", "016011"}, Beneficiary: udp,
		Actions: []*famiv1.ProjectAction{{Code: "01", Title: "Scuola"}, {Code: "02", Title: "Accesso ai servizi"}}}}))(t, "project").GetName()
	mustOK(admin.ExtendProject(ctx, &famiv1.ExtendProjectRequest{Name: project, Extension: &famiv1.Extension{EndDate: "2023-06-30", ActReference: "Decreto"}}))(t, "extend")
	network := func(id string, members ...string) string {
		n := &famiv1.Network{DisplayName: "Rete " + id, LeadPartner: members[0], Municipalities: []string{"016024"},
			Projects: []*famiv1.NetworkProject{{Project: project, Actions: []string{"02"}}}}
		for i, m := range members {
			role := famiv1.MemberRole_MEMBER_ROLE_PARTNER
			if i == 0 {
				role = famiv1.MemberRole_MEMBER_ROLE_LEAD
			}
			n.Members = append(n.Members, &famiv1.Member{Partner: m, Role: role})
		}
		return mustOK(admin.CreateNetwork(ctx, &famiv1.CreateNetworkRequest{Parent: parent, NetworkId: id, Network: n}))(t, "network").GetName()
	}
	bergamo := network("bergamo", udp, cpia, ets)
	dalmine := network("dalmine", cpia, ets)

	mustOK(admin.CreateAccount(ctx, &famiv1.CreateAccountRequest{Parent: parent, AccountId: "operatore", Password: matrixPassword,
		Account: &famiv1.Account{DisplayName: "Operatore MKACCOUNT7f3a", Role: famiv1.Role_ROLE_CONSULTANT}}))(t, "account")
	mustOK(admin.CreateServiceToken(ctx, &famiv1.CreateServiceTokenRequest{Parent: parent, SystemId: "sistema", DisplayName: "Sistema MKTOKEN1c9e"}))(t, "service token")

	prot := newSurfaceAs(t, ts, kind, tok)
	mustOK(prot.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "bozza", Protocol: &famiv1.Protocol{
		Network: bergamo, Title: "Bozza MKDRAFT91b2", Body: "Testo", Parties: []*famiv1.Party{
			{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}}))(t, "draft protocol")
	signed := mustOK(prot.CreateProtocol(ctx, &famiv1.CreateProtocolRequest{Parent: parent, ProtocolId: "udp-cpia", Protocol: &famiv1.Protocol{
		Network: bergamo, Title: "Protocollo UdP-CPIA", Body: "Art. 1 MKBODY0d93", ValidFrom: "2024-01-01", Parties: []*famiv1.Party{
			{Partner: udp, Role: famiv1.PartyRole_PARTY_ROLE_PROPONENT, Commitments: "MKCOMMIT7a21"}, {Partner: cpia, Role: famiv1.PartyRole_PARTY_ROLE_SIGNATORY}}}}))(t, "protocol")
	signed = mustOK(prot.OpenProtocolForSignature(ctx, &famiv1.OpenProtocolForSignatureRequest{Name: signed.GetName()}))(t, "open")
	for _, party := range []string{udp, cpia} {
		staff := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "test:staff:" + party, Role: principal.NetworkMember, Region: "lombardia", Partner: party, Name: "Firmatario"})
		signed = mustOK(staff.SignProtocol(ctx, &famiv1.SignProtocolRequest{Name: signed.GetName(), ContentHash: signed.GetContentHash()}))(t, "sign")
	}

	mtg := newSurfaceAs(t, ts, kind, tok)
	m := matrixMeeting(bergamo, "tavolo")
	m.Title, m.Place = "Tavolo MKMEETING2a7f", "Sala MKPLACE44c8"
	m = mustOK(mtg.CreateMeeting(ctx, &famiv1.CreateMeetingRequest{Parent: parent, MeetingId: "tavolo", Meeting: m}))(t, "meeting")
	mustOK(mtg.RecordAttendance(ctx, &famiv1.RecordAttendanceRequest{Name: m.GetName(), Attendance: []*famiv1.PartnerAttendance{{Partner: udp, Attendees: 2}}}))(t, "attendance")
	mustOK(mtg.RecordMinutes(ctx, &famiv1.RecordMinutesRequest{Name: m.GetName(), Minutes: "Verbale MKMINUTES5d0c"}))(t, "minutes")

	contact := mustOK(newSurfaceAs(t, ts, kind, tok).CreateContact(ctx, &famiv1.CreateContactRequest{Parent: parent, ContactId: "mkcontactid7c9e", Contact: &famiv1.Contact{
		DisplayName: "Mario MKCONTACT8d2e", Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_CULTURAL_MEDIATOR, Partner: udp,
		Email: "mkcontactmail3f1a@example.it", Phone: "+39 035 000000"}}))(t, "contact").GetName()
	consultant := newSurfaceFor(t, ts, kind, auth.TokenSpec{Subject: "mkconsultant4b2d", Role: principal.Consultant, Region: "lombardia", Name: "Consulente"})
	reviewer := newSurfaceAs(t, ts, kind, tok)
	entry := func(network, date string, minutes, reached int32, activity famiv1.SupportActivity) string {
		e := matrixEntry(network, date, minutes)
		e.Activity, e.Notes = activity, "Note MKNOTES88e1"
		e.OperatorsReached[0].Count = reached
		if reached == 3 {
			// The operators met, named from the contacts register.
			e.Contacts = []string{contact}
		}
		return mustOK(consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: parent, SupportEntry: e}))(t, "entry").GetName()
	}
	// Approved: Bergamo's workshop, 2025-Q1, two entries reaching 5
	// operators; Dalmine's, reaching 2 (suppressed).
	approved := []string{
		entry(bergamo, "2025-02-03", 60, 3, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP),
		entry(bergamo, "2025-03-03", 30, 2, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP),
		entry(dalmine, "2025-02-04", 120, 2, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP),
	}
	mustOK(reviewer.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: parent, Names: approved}))(t, "approve")
	rejected := entry(bergamo, "2025-02-05", 600, 9, famiv1.SupportActivity_SUPPORT_ACTIVITY_COMMUNICATION)
	mustOK(reviewer.RejectSupportEntry(ctx, &famiv1.RejectSupportEntryRequest{Name: rejected, Reason: "Motivo MKREJECT3e6a"}))(t, "reject")
	// Monitoring: Lab'Impact's plan as its own project, 2021-q1 approved,
	// 2021-q2 approved then under correction (its approved revision is
	// published), 2021-q3 a draft (never published).
	plan := labImpact()
	plan.Code = "PROG-PLAN"
	planned := mustOK(admin.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: parent, ProjectId: "lab-plan", Project: plan}))(t, "planned project").GetName()
	mon := newSurfaceAs(t, ts, kind, tok)
	for q := 1; q <= 3; q++ {
		r := labImpactQuarter(q)
		r.Notes = "Note MKREPORTNOTES1b7c"
		r.Deviations = []*famiv1.Deviation{{Activity: "02.1", Description: "Scostamento MKDEVIATION5a3f", Cause: "Ritardo"}}
		id := "2021-q" + string(rune('0'+q))
		name := mustOK(mon.CreateMonitoringReport(ctx, &famiv1.CreateMonitoringReportRequest{Parent: planned, MonitoringReportId: id, MonitoringReport: r}))(t, "report "+id).GetName()
		if q == 3 {
			continue
		}
		mustOK(mon.SubmitMonitoringReport(ctx, &famiv1.SubmitMonitoringReportRequest{Name: name}))(t, "submit "+id)
		mustOK(mon.ApproveMonitoringReport(ctx, &famiv1.ApproveMonitoringReportRequest{Name: name}))(t, "approve "+id)
		if q == 2 {
			mustOK(mon.CorrectMonitoringReport(ctx, &famiv1.CorrectMonitoringReportRequest{Name: name, Reason: "Correzione MKCORRECTION9e2d"}))(t, "correct "+id)
		}
	}

	pending := matrixEntry(bergamo, "2025-02-06", 480)
	pending.Activity, pending.Notes = famiv1.SupportActivity_SUPPORT_ACTIVITY_NETWORK_DEVELOPMENT, "MKPENDING6f14"
	mustOK(consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: parent, SupportEntry: pending}))(t, "pending entry")
}

// get fetches an open-data path anonymously.
func get(t *testing.T, ts *testServer, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.httpURL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// A transport of its own: no transparent gzip, so the test sees what
	// the server sends.
	return fetch(t, &http.Client{Transport: &http.Transport{DisableCompression: true}}, req)
}

func mustGet(t *testing.T, ts *testServer, path string) []byte {
	t.Helper()
	res, body := get(t, ts, path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, res.StatusCode, body)
	}
	return body
}

func readCSV(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestOpenData checks /opendata/ end to end, anonymously: the catalogue is
// JSON-LD whose datasets link CSV and JSON distributions that download;
// no personal or unpublished data leaks into any file; drafts, rejected
// and unapproved entries stay out; small counts of persons are
// suppressed; the CSVs validate against their Table Schemas with an
// independent validator; ETag and Last-Modified revalidate (304), gzip is
// served on request, and a change moves only the datasets it touches.
func TestOpenData(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{OpenData: opendata.Options{Burst: 1000, Rate: 1000}})
	openDataFixture(t, ts)

	catalog := mustGet(t, ts, "/opendata/catalog.jsonld")
	var doc any
	if err := json.Unmarshal(catalog, &doc); err != nil {
		t.Fatalf("catalog.jsonld is not JSON: %v", err)
	}
	expanded, err := ld.NewJsonLdProcessor().Expand(doc, ld.NewJsonLdOptions(""))
	if err != nil {
		t.Fatalf("catalog.jsonld is not valid JSON-LD: %v", err)
	}
	const dcat, dct = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
	var datasets []map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			if types, _ := v["@type"].([]any); slices.Contains(types, any(dcat+"Dataset")) {
				datasets = append(datasets, v)
			}
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(expanded)
	files := map[string][]byte{"catalog.jsonld": catalog}
	var names []string
	for _, ds := range datasets {
		if _, ok := ds[dct+"license"]; ok {
			t.Errorf("dataset %v: the licence belongs to its distributions", ds["@id"])
		}
		formats := map[string]bool{}
		dists, _ := ds[dcat+"distribution"].([]any)
		for _, d := range dists {
			dist := d.(map[string]any)
			url := dist[dcat+"downloadURL"].([]any)[0].(map[string]any)["@id"].(string)
			lic := dist[dct+"license"].([]any)[0].(map[string]any)["@id"]
			if lic != "https://creativecommons.org/licenses/by/4.0/" {
				t.Errorf("%s: licence %v, want CC BY 4.0", url, lic)
			}
			path := strings.TrimPrefix(url, ts.httpURL())
			files[strings.TrimPrefix(path, opendata.Prefix)] = mustGet(t, ts, path)
			formats[filepath.Ext(path)] = true
		}
		if !formats[".csv"] || !formats[".json"] {
			t.Errorf("dataset %v has distributions %v, want CSV and JSON", ds["@id"], formats)
		}
		names = append(names, ds["@id"].(string))
	}
	if len(datasets) != 5 {
		t.Fatalf("the catalogue has %d datasets (%q), want 5", len(datasets), names)
	}
	for _, f := range []string{"datapackage.json", "feed.atom", ""} {
		files[f] = mustGet(t, ts, opendata.Prefix+f)
	}

	t.Run("no_personal_or_unpublished_data", func(t *testing.T) {
		for name, body := range files {
			for _, m := range openDataMarkers {
				if bytes.Contains(bytes.ToLower(body), []byte(strings.ToLower(m))) {
					t.Errorf("%s contains %s", name, m)
				}
			}
		}
		protocols := readCSV(t, files["protocolli.csv"])
		if len(protocols) != 1 || protocols[0]["protocollo"] != "regions/lombardia/protocols/udp-cpia" || protocols[0]["stato"] != "IN_FORCE" {
			t.Errorf("protocolli.csv: got %v, want only the protocol in force", protocols)
		}
	})

	t.Run("datasets", func(t *testing.T) {
		projects := readCSV(t, files["progetti.csv"])
		if len(projects) != 2 {
			t.Fatalf("progetti.csv: %d rows, want 2", len(projects))
		}
		p := projects[0]
		for k, want := range map[string]string{"cup": "E89F18000510007", "fondo": "FAMI_2014_2020", "importo_euro": "9250000.00", "data_fine": "2023-06-30",
			"data_fine_originaria": "2021-12-31", "proroghe": "1", "comuni": "016024 016011", "reti": "Rete bergamo | Rete dalmine", "beneficiario": "Ente udp-bergamo"} {
			if p[k] != want {
				t.Errorf("progetti.csv %s: got %q, want %q", k, p[k], want)
			}
		}
		networks := readCSV(t, files["reti.csv"])
		if len(networks) != 2 || networks[0]["membri"] != "3" || networks[0]["membri_plan_office"] != "1" || networks[0]["capofila"] != "Ente udp-bergamo" {
			t.Errorf("reti.csv: got %v", networks)
		}
		hours := readCSV(t, files["ore_supporto.csv"])
		want := []map[string]string{
			{"regione": "lombardia", "rete": "regions/lombardia/networks/bergamo", "nome_rete": "Rete bergamo", "trimestre": "2025-Q1", "attivita": "WORKSHOP",
				"ore_approvate": "1.50", "interventi": "2", "operatori_raggiunti": "5", "operatori_soppressi": "false"},
			{"regione": "lombardia", "rete": "regions/lombardia/networks/dalmine", "nome_rete": "Rete dalmine", "trimestre": "2025-Q1", "attivita": "WORKSHOP",
				"ore_approvate": "2.00", "interventi": "1", "operatori_raggiunti": "", "operatori_soppressi": "true"},
		}
		if !slices.EqualFunc(hours, want, func(a, b map[string]string) bool {
			return len(a) == len(b) && strings.Join(mapPairs(a), ",") == strings.Join(mapPairs(b), ",")
		}) {
			t.Errorf("ore_supporto.csv: got %v, want %v (approved entries only, 2 operators suppressed)", hours, want)
		}
		var js struct {
			Dati []map[string]any `json:"dati"`
		}
		if err := json.Unmarshal(files["ore_supporto.json"], &js); err != nil || len(js.Dati) != 2 || js.Dati[1]["operatori_raggiunti"] != nil || js.Dati[0]["operatori_raggiunti"] != float64(5) {
			t.Errorf("ore_supporto.json: got %v (%v), want typed rows with a null suppressed count", js.Dati, err)
		}
		reports := readCSV(t, files["monitoraggio.csv"])
		if len(reports) != 2 || reports[0]["trimestre"] != "2021-q1" || reports[1]["trimestre"] != "2021-q2" || reports[1]["revisione"] != "1" {
			t.Fatalf("monitoraggio.csv: got %v, want 2021-q1 and 2021-q2 revision 1 (approved only)", reports)
		}
		for k, want := range map[string]string{"indicatori": "OUT-01=24 reti | OUT-02=450 ore | OUT-03=100 incontri | RES-01=300 presenze",
			"impegnato_euro": "5000000.00", "pagato_euro": "4200000.00", "rimborsi_richiesti_euro": "1500000.00", "persone_raggiunte": "20", "operatori_formati": "5"} {
			if got := reports[0][k]; got != want {
				t.Errorf("monitoraggio.csv 2021-q1 %s: got %q, want %q", k, got, want)
			}
		}
		if got := reports[1]["indicatori"]; !strings.HasPrefix(got, "OUT-01=28 reti") {
			t.Errorf("monitoraggio.csv 2021-q2 indicatori: got %q, want the approved revision's (OUT-01=28)", got)
		}
		var feed struct {
			Entries []struct {
				ID string `xml:"id"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(files["feed.atom"], &feed); err != nil || len(feed.Entries) != 5 {
			t.Errorf("feed.atom: %d entries (%v), want 5", len(feed.Entries), err)
		}
	})

	t.Run("csv_validates_against_table_schema", func(t *testing.T) {
		modules := os.Getenv("RACCORDO_TABLESCHEMA_JS")
		if modules == "" {
			t.Skip("set RACCORDO_TABLESCHEMA_JS to a node_modules with npm's tableschema (.ci/run does) to validate with an independent validator")
		}
		dir := t.TempDir()
		for name, body := range files {
			if name != "" {
				if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		script, _ := filepath.Abs("testdata/validate-tableschema.js")
		cmd := exec.CommandContext(t.Context(), "node", script, dir)
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tableschema: %v\n%s", err, out)
		}
		t.Logf("tableschema:\n%s", out)
	})

	t.Run("revalidation_and_gzip", func(t *testing.T) {
		res, body := get(t, ts, "/opendata/progetti.csv")
		etag, lastMod := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
		if etag == "" || lastMod == "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("headers %v: want ETag, Last-Modified and text/csv", res.Header)
		}
		if res, _ := get(t, ts, "/opendata/progetti.csv", "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
		}
		if res, _ := get(t, ts, "/opendata/progetti.csv", "If-Modified-Since", lastMod); res.StatusCode != http.StatusNotModified {
			t.Errorf("If-Modified-Since: status %d, want 304", res.StatusCode)
		}
		res, gz := get(t, ts, "/opendata/progetti.csv", "Accept-Encoding", "gzip, deflate")
		if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("ETag") == etag {
			t.Errorf("gzip: headers %v, want Content-Encoding gzip and its own ETag", res.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, body) {
			t.Error("the gzipped file differs from the plain one")
		}
		if res, _ := get(t, ts, "/opendata/progetti.csv", "Accept-Encoding", "gzip", "If-None-Match", res.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match on the gzipped file: status %d, want 304", res.StatusCode)
		}
		if res, _ := get(t, ts, "/opendata/nope.csv"); res.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown file: status %d, want 404", res.StatusCode)
		}

		// A new project changes progetti, not the other datasets.
		resNet, networksBefore := get(t, ts, "/opendata/reti.csv")
		admin := newSurfaceAs(t, ts, "connect", ts.mintToken(regionAdminSpec("veneto")))
		mustOK(admin.CreateProject(t.Context(), &famiv1.CreateProjectRequest{Parent: "regions/veneto", ProjectId: "progetto-nuovo", Project: &famiv1.Project{
			Code: "PROG-1", Title: "Nuovo", Fund: famiv1.Fund_FUND_FSE_PLUS, StartDate: "2025-01-01", EndDate: "2026-12-31"}}))(t, "project")
		if res, _ := get(t, ts, "/opendata/progetti.csv", "If-None-Match", etag); res.StatusCode != http.StatusOK {
			t.Errorf("after a new project, If-None-Match with the old ETag: status %d, want 200", res.StatusCode)
		}
		if res, body := get(t, ts, "/opendata/reti.csv", "If-None-Match", resNet.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
			t.Errorf("reti.csv after a new project: status %d, want 304 (unchanged: %v)", res.StatusCode, bytes.Equal(body, networksBefore))
		}
	})
}

// TestOpenDataRateLimit checks the per-client limit of anonymous readers:
// past the burst, 429 with Retry-After.
func TestOpenDataRateLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{OpenData: opendata.Options{Rate: 0.01, Burst: 3}})
	for i := range 3 {
		if res, _ := get(t, ts, "/opendata/"); res.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200", i+1, res.StatusCode)
		}
	}
	res, _ := get(t, ts, "/opendata/catalog.jsonld")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("past the burst: status %d, Retry-After %q; want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// The API is not open data: it still needs a token.
	if res, _ := get(t, ts, "/v1/regions/lombardia/projects"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous REST list: status %d, want 401", res.StatusCode)
	}
}

func mapPairs(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
