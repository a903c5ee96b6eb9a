package opendata

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/csvfile"
	"github.com/raccordo/raccordo/internal/disclosure"
	"github.com/raccordo/raccordo/internal/money"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/territory"
)

// column is one field of a dataset and of its Table Schema.
type column struct {
	name, typ, title, description string
	// enum, when set, lists the values the column may take.
	enum []string
	// pattern, when set, is the regular expression string values match.
	pattern  string
	required bool
}

// table is one dataset: its description, its columns and its rows, each
// cell as text ("" is a missing value). Its rows are written (add) as its
// list is walked, straight into its CSV and JSON (files.go), so that a
// build holds the files it makes, not the resources they come from.
type table struct {
	name, title, description string
	keywords                 []string
	columns                  []column
	primaryKey               []string
	// rows counts the rows added; csvBody and jsonRows hold them
	// rendered (files.go).
	rows     int
	csvOut   *csvfile.Writer
	csvBody  bytes.Buffer
	jsonRows bytes.Buffer
}

// The smallest count of persons published: smaller counts could point at
// someone, so they are suppressed and flagged (disclosure's rule, the one
// surveys show their results to readers by).
const minPersons = disclosure.MinPersons

// enumNames lists an enum's values as open data spells them: the value
// names without their prefix, in number order, without the unspecified zero.
func enumNames(prefix string, values map[int32]string) []string {
	var out []string
	for i := int32(1); ; i++ {
		n, ok := values[i]
		if !ok {
			return out
		}
		out = append(out, strings.TrimPrefix(n, prefix))
	}
}

// enumName is one enum value as open data spells it; "" for the
// unspecified zero.
func enumName[E interface {
	~int32
	String() string
}](prefix string, value E) string {
	if value == 0 {
		return ""
	}
	return strings.TrimPrefix(value.String(), prefix)
}

var (
	fundNames      = enumNames("FUND_", famiv1.Fund_name)
	objectiveNames = enumNames("SPECIFIC_OBJECTIVE_", famiv1.SpecificObjective_name)
	networkStates  = enumNames("NETWORK_STATE_", famiv1.NetworkState_name)
	activityNames  = enumNames("SUPPORT_ACTIVITY_", famiv1.SupportActivity_name)
	partnerKinds   = enumNames("PARTNER_KIND_", famiv1.PartnerKind_name)
	// publicProtocolStates are the states open data publishes: every
	// state but DRAFT, whose text is not final.
	publicProtocolStates = slices.DeleteFunc(enumNames("PROTOCOL_STATE_", famiv1.ProtocolState_name),
		func(s string) bool { return s == "DRAFT" })
)

// joins is what one dataset's rows need of another's list: a partner's
// display name and kind, a project's implementing networks. It is all a
// build keeps of what it reads besides the files it makes.
type joins struct {
	partners map[string]publicPartner
	// implementers are the display names of the networks that implement
	// each project, by the project's name, in the networks' list order.
	implementers map[string][]string
}

// publicPartner is what the datasets publish of a partner, by its name: the
// rest of it (contacts, fiscal code, addresses) is not kept.
type publicPartner struct {
	displayName string
	kind        famiv1.PartnerKind
}

// tables builds the datasets through the services, nationally
// (regions/-), as the national reader in ctx, walking each list a page at a
// time and writing each item's rows as it comes: of the lists it keeps only
// joins. The networks are walked before the projects, whose rows name the
// networks implementing them. A national read that leaves a region out
// (its data damaged, AIP-217) fails the build with an *UnreachableError: a
// national dataset silently missing a region is never published.
func (h *Handler) tables(ctx context.Context) ([]*table, error) {
	j := &joins{partners: map[string]publicPartner{}, implementers: map[string][]string{}}
	projects, networks, protocols, hours, monitoring := projectsTable(), networksTable(), protocolsTable(), hoursTable(), monitoringTable()
	var left []string
	err := nationally(ctx, h.src.Partners.ListPartners, &famiv1.ListPartnersRequest{Parent: aip.AllRegions, ShowArchived: true},
		(*famiv1.ListPartnersResponse).GetPartners, &left, func(p *famiv1.Partner) error {
			j.partners[p.GetName()] = publicPartner{displayName: p.GetDisplayName(), kind: p.GetKind()}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if err := nationally(ctx, h.src.Networks.ListNetworks, &famiv1.ListNetworksRequest{Parent: aip.AllRegions},
		(*famiv1.ListNetworksResponse).GetNetworks, &left, func(n *famiv1.Network) error {
			for _, p := range n.GetProjects() {
				j.implementers[p.GetProject()] = append(j.implementers[p.GetProject()], n.GetDisplayName())
			}
			if err := networks.add(j.networkRow(n)); err != nil {
				return err
			}
			return leaveOut(ctx, n.GetName(), &left, h.addHours(ctx, hours, n))
		}); err != nil {
		return nil, err
	}
	var reports *regionReports // the region of the projects listed
	if err := nationally(ctx, h.src.Projects.ListProjects, &famiv1.ListProjectsRequest{Parent: aip.AllRegions},
		(*famiv1.ListProjectsResponse).GetProjects, &left, func(p *famiv1.Project) error {
			if err := projects.add(j.projectRow(p)); err != nil {
				return err
			}
			if reports == nil || reports.region != regionOf(p.GetName()) {
				reports = h.reportsIn(regionOf(p.GetName()))
			}
			return leaveOut(ctx, p.GetName(), &left, h.addReports(ctx, monitoring, p, reports))
		}); err != nil {
		return nil, err
	}
	// Drafts are never published; a protocol's text (objectives and body,
	// up to megabytes each) is named only by its content hash.
	if err := nationally(ctx, h.src.Protocols.ListProtocols, &famiv1.ListProtocolsRequest{Parent: aip.AllRegions},
		(*famiv1.ListProtocolsResponse).GetProtocols, &left, func(p *famiv1.Protocol) error {
			if p.GetState() == famiv1.ProtocolState_PROTOCOL_STATE_DRAFT || p.GetState() == famiv1.ProtocolState_PROTOCOL_STATE_UNSPECIFIED {
				return nil
			}
			return protocols.add(j.protocolRow(p))
		}); err != nil {
		return nil, err
	}
	if len(left) > 0 {
		slices.Sort(left)
		return nil, &UnreachableError{Regions: slices.Compact(left)}
	}
	return []*table{projects, networks, protocols, hours, monitoring}, nil
}

// nationally walks every page of req, a national list (regions/-), one
// page at a time (aip.Each), giving keep each item of a page (items picks
// them out of its answer) and adding to left the regions a page left out
// (AIP-217).
func nationally[Req aip.ListRequest, Resp interface {
	GetNextPageToken() string
	GetUnreachable() []string
}, T any](ctx context.Context, list func(context.Context, Req) (Resp, error), req Req, items func(Resp) []T, left *[]string, keep func(T) error) error {
	return aip.Each(ctx, list, req, func(res Resp) error {
		*left = append(*left, res.GetUnreachable()...)
		for _, it := range items(res) {
			if err := keep(it); err != nil {
				return err
			}
		}
		return nil
	})
}

// leaveOut is the error of a read of one network's hours or one project's
// reports, made while the national lists are walked. An error that leaves
// its region out (aip.Skip: the region was damaged, or refused, after its
// list was read; or the damaged record is one the lists do not read) names
// the region in left, as a national list does, so the build is refused
// naming it and the last good files stay served; it used to fail the
// build with an error that named no region.
func leaveOut(ctx context.Context, name string, left *[]string, err error) error {
	if err != nil && aip.Skip(ctx, regionOf(name), err) {
		*left = append(*left, "regions/"+regionOf(name))
		return nil
	}
	return err
}

// addReports adds to t the last approved revision of each quarterly
// report of p, read from in, its region's reports: the report itself when
// APPROVED; under correction (a later revision not yet approved), the
// approved revision the correction keeps; nothing for a report never
// approved.
func (h *Handler) addReports(ctx context.Context, t *table, p *famiv1.Project, in *regionReports) error {
	reports, err := in.of(ctx, p.GetName())
	if err != nil {
		return err
	}
	kept := map[string]*famiv1.MonitoringReport{}
	for _, r := range reports {
		if strings.Contains(r.GetName(), "@") {
			kept[r.GetName()] = r
		}
	}
	for _, r := range reports {
		switch {
		case strings.Contains(r.GetName(), "@"):
			continue
		case r.GetState() == famiv1.MonitoringReportState_MONITORING_REPORT_STATE_APPROVED:
		case r.GetRevision() > 1:
			name := r.GetName() + "@" + strconv.Itoa(int(r.GetRevision()-1))
			if r = kept[name]; r == nil {
				// Not listed (approved since the page was read): by name.
				if r, err = h.src.Monitoring.GetMonitoringReport(ctx, &famiv1.GetMonitoringReportRequest{Name: name}); err != nil {
					return err
				}
			}
		default:
			continue
		}
		if err := t.add(reportRow(p, r)); err != nil {
			return err
		}
	}
	return nil
}

// regionReports reads the reports of one region's projects, with their
// kept approved revisions, project by project in the order the projects
// are listed (by id), through one List across every project of the region
// (the parent regions/{r}/projects/-) read a page at a time: a page of
// reports serves many projects. It used to take a List per project, and a
// Get per report under correction.
type regionReports struct {
	src    Sources
	region string
	// page is what the last page read holds of the projects not yet
	// asked for; token the next page's, "" after the last.
	page  []*famiv1.MonitoringReport
	token string
	done  bool
	// err is the list's first error, which every later project of the
	// region meets too.
	err error
}

func (h *Handler) reportsIn(region string) *regionReports {
	return &regionReports{src: h.src, region: region}
}

// of returns the reports of project, which comes after every project
// asked for before: the reports of projects before it that nobody asked
// for (created since the projects were listed) are passed over.
func (in *regionReports) of(ctx context.Context, project string) ([]*famiv1.MonitoringReport, error) {
	var out []*famiv1.MonitoringReport
	for in.err == nil {
		for len(in.page) > 0 {
			owner, _, _ := strings.Cut(in.page[0].GetName(), "/"+resource.MonitoringReports+"/")
			if owner > project {
				return out, nil
			}
			if owner == project {
				out = append(out, in.page[0])
			}
			in.page = in.page[1:]
		}
		if in.done {
			return out, nil
		}
		res, err := in.src.Monitoring.ListMonitoringReports(ctx, &famiv1.ListMonitoringReportsRequest{Parent: "regions/" + in.region + "/projects/" + resource.AnyParent,
			ShowApprovedRevisions: true, PageSize: aip.MaxPageSize, PageToken: in.token})
		in.err = err
		in.page, in.token, in.done = res.GetMonitoringReports(), res.GetNextPageToken(), res.GetNextPageToken() == ""
	}
	return nil, in.err
}

// Approved support hours are read over every date of the programming
// periods the platform serves (the support summary's range is bounded).
const (
	hoursFrom = "2000-01-01"
	hoursTo   = "2049-12-31"
)

var approvedOnly = []famiv1.SupportEntryState{famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED}

// addHours adds to t a network's approved hours per quarter and activity,
// read through the support summary: the quarters with any, then each
// quarter by activity.
func (h *Handler) addHours(ctx context.Context, t *table, n *famiv1.Network) error {
	region, _, err := aip.ParseName("network", n.GetName(), "networks")
	if err != nil {
		return err
	}
	parent := "regions/" + region
	quarters, err := h.src.Support.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: hoursFrom, EndDate: hoursTo,
		GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_QUARTER, States: approvedOnly, Network: n.GetName()})
	if err != nil {
		return err
	}
	for _, q := range quarters.GetGroups() {
		start, end, err := quarterDates(q.GetKey())
		if err != nil {
			return err
		}
		acts, err := h.src.Support.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: parent, StartDate: start, EndDate: end,
			GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY, States: approvedOnly, Network: n.GetName()})
		if err != nil {
			return err
		}
		for _, a := range acts.GetGroups() {
			reach, suppressed := persons(a.GetOperatorsReached())
			if err := t.add([]string{regionOf(n.GetName()), n.GetName(), n.GetDisplayName(), q.GetKey(),
				enumName("SUPPORT_ACTIVITY_", a.GetActivity()),
				strconv.FormatFloat(float64(a.GetTotalMinutes())/60, 'f', 2, 64), strconv.FormatInt(a.GetEntries(), 10), reach, suppressed}); err != nil {
				return err
			}
		}
	}
	return nil
}

// quarterDates returns the first and last day of a quarter "YYYY-Qn".
func quarterDates(q string) (start, end string, err error) {
	year, n, ok := strings.Cut(q, "-Q")
	y, errY := strconv.Atoi(year)
	k, errK := strconv.Atoi(n)
	if !ok || errY != nil || errK != nil || k < 1 || k > 4 {
		return "", "", fmt.Errorf("opendata: unexpected quarter %q", q)
	}
	lastDay := map[int]string{1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}[k]
	return fmt.Sprintf("%04d-%02d-01", y, 3*k-2), fmt.Sprintf("%04d-%s", y, lastDay), nil
}

func regionOf(name string) string {
	rest := strings.TrimPrefix(name, "regions/")
	r, _, _ := strings.Cut(rest, "/")
	return r
}

func (j *joins) displayName(partner string) string {
	return j.partners[partner].displayName
}

var regionColumn = column{name: "regione", typ: "string", title: "Regione", description: "Identificativo della regione o provincia autonoma (es. lombardia).", required: true}

func projectsTable() *table {
	return &table{
		name:        "progetti",
		title:       "Progetti finanziati",
		description: "I progetti finanziati dal FAMI e da altri fondi registrati dalle regioni: fondo, codici di programma, importo, date, proroghe, azioni, territorio (comuni) e reti che li attuano.",
		keywords:    []string{"FAMI", "progetti", "integrazione", "migranti"},
		primaryKey:  []string{"progetto"},
		columns: []column{
			regionColumn,
			{name: "progetto", typ: "string", title: "Identificativo", description: "Nome della risorsa: regions/{regione}/projects/{id}.", required: true},
			{name: "codice", typ: "string", title: "Codice del progetto", description: "Codice del programma, es. PROG-2463."},
			{name: "cup", typ: "string", title: "CUP", description: "Codice Unico di Progetto.", pattern: "^[A-Z0-9]{15}$"},
			{name: "titolo", typ: "string", title: "Titolo"},
			{name: "fondo", typ: "string", title: "Fondo", description: "Fonte di finanziamento.", enum: fundNames},
			{name: "obiettivo_specifico", typ: "string", title: "Obiettivo specifico FAMI", enum: objectiveNames},
			{name: "codici_programma", typ: "string", title: "Codici di programma", description: "Obiettivo specifico, misura e azione del programma, separati da /."},
			{name: "beneficiario", typ: "string", title: "Beneficiario capofila"},
			{name: "importo_euro", typ: "number", title: "Importo (euro)", description: "Importo totale, proroghe onerose comprese."},
			{name: "data_inizio", typ: "date", title: "Data di inizio"},
			{name: "data_fine", typ: "date", title: "Data di fine", description: "Data di fine in vigore, proroghe comprese."},
			{name: "data_fine_originaria", typ: "date", title: "Data di fine originaria", description: "Data di fine prima delle proroghe."},
			{name: "proroghe", typ: "integer", title: "Proroghe", description: "Numero di proroghe concesse."},
			{name: "azioni", typ: "string", title: "Azioni", description: "Codice e titolo delle azioni, separati da |."},
			{name: "comuni", typ: "string", title: "Comuni", description: "Codici ISTAT dei comuni del territorio del progetto, separati da spazio."},
			{name: "reti", typ: "string", title: "Reti", description: "Reti territoriali che attuano il progetto, separate da |."},
		},
	}
}

// projectRow is p's row of the projects dataset.
func (j *joins) projectRow(p *famiv1.Project) []string {
	originalEnd := p.GetEndDate()
	if ext := p.GetExtensions(); len(ext) > 0 {
		originalEnd = ext[0].GetPreviousEndDate()
	}
	var actions []string
	for _, a := range p.GetActions() {
		actions = append(actions, a.GetCode()+" "+a.GetTitle())
	}
	var programme []string
	if pc := p.GetProgramme(); pc != nil {
		for _, c := range []string{pc.GetSpecificObjective(), pc.GetMeasure(), pc.GetAction()} {
			if c != "" {
				programme = append(programme, c)
			}
		}
	}
	return []string{
		regionOf(p.GetName()), p.GetName(), p.GetCode(), p.GetCup(), p.GetTitle(),
		enumName("FUND_", p.GetFund()),
		enumName("SPECIFIC_OBJECTIVE_", p.GetSpecificObjective()),
		strings.Join(programme, "/"), j.displayName(p.GetBeneficiary()), money.Decimal(p.GetBudgetCents()),
		p.GetStartDate(), p.GetEndDate(), originalEnd, strconv.Itoa(len(p.GetExtensions())),
		strings.Join(actions, " | "), strings.Join(p.GetMunicipalities(), " "), strings.Join(j.implementers[p.GetName()], " | "),
	}
}

// kindColumn is the column counting a network's members of kind k.
func kindColumn(k string) string { return "membri_" + strings.ToLower(k) }

func networksTable() *table {
	t := &table{
		name:        "reti",
		title:       "Reti territoriali",
		description: "Le reti territoriali: ente capofila, membri contati per tipo di ente, comuni coperti e progetti attuati.",
		keywords:    []string{"reti territoriali", "governance multilivello", "FAMI"},
		primaryKey:  []string{"rete"},
		columns: []column{
			regionColumn,
			{name: "rete", typ: "string", title: "Identificativo", description: "Nome della risorsa: regions/{regione}/networks/{id}.", required: true},
			{name: "nome", typ: "string", title: "Nome"},
			{name: "capofila", typ: "string", title: "Ente capofila"},
			{name: "stato", typ: "string", title: "Stato", enum: networkStates},
			{name: "membri", typ: "integer", title: "Membri", description: "Numero di enti membri."},
		},
	}
	for _, k := range partnerKinds {
		t.columns = append(t.columns, column{name: kindColumn(k), typ: "integer", title: "Membri di tipo " + k})
	}
	t.columns = append(t.columns,
		column{name: "comuni", typ: "string", title: "Comuni", description: "Codici ISTAT dei comuni coperti, separati da spazio."},
		column{name: "progetti", typ: "string", title: "Progetti", description: "Progetti attuati (nome della risorsa), separati da spazio."})
	return t
}

// networkRow is n's row of the networks dataset.
func (j *joins) networkRow(n *famiv1.Network) []string {
	byKind := map[string]int{}
	for _, m := range n.GetMembers() {
		k := j.partners[m.GetPartner()].kind
		byKind[enumName("PARTNER_KIND_", k)]++
	}
	row := []string{regionOf(n.GetName()), n.GetName(), n.GetDisplayName(), j.displayName(n.GetLeadPartner()),
		enumName("NETWORK_STATE_", n.GetState()), strconv.Itoa(len(n.GetMembers()))}
	for _, k := range partnerKinds {
		row = append(row, strconv.Itoa(byKind[k]))
	}
	var projects []string
	for _, p := range n.GetProjects() {
		projects = append(projects, p.GetProject())
	}
	return append(row, strings.Join(n.GetMunicipalities(), " "), strings.Join(projects, " "))
}

func protocolsTable() *table {
	return &table{
		name:  "protocolli",
		title: "Protocolli di collaborazione",
		description: "I protocolli di collaborazione aperti alla firma, firmati, in vigore, scaduti, risolti o sostituiti (mai le bozze): parti, validità, stato e impronta " +
			"SHA-256 del testo firmato, ricalcolabile da chiunque.",
		keywords:   []string{"protocolli di collaborazione", "accordi", "reti territoriali"},
		primaryKey: []string{"protocollo"},
		columns: []column{
			regionColumn,
			{name: "protocollo", typ: "string", title: "Identificativo", description: "Nome della risorsa: regions/{regione}/protocols/{id}.", required: true},
			{name: "titolo", typ: "string", title: "Titolo"},
			{name: "rete", typ: "string", title: "Rete", description: "La rete del protocollo (nome della risorsa)."},
			{name: "parti", typ: "string", title: "Parti", description: "Enti firmatari con il loro ruolo, separati da |."},
			{name: "valido_dal", typ: "date", title: "Valido dal"},
			{name: "valido_al", typ: "date", title: "Valido fino al", description: "Vuoto: senza scadenza."},
			{name: "stato", typ: "string", title: "Stato", enum: publicProtocolStates},
			{name: "versione", typ: "integer", title: "Versione"},
			{name: "sostituisce", typ: "string", title: "Sostituisce", description: "La versione precedente (nome della risorsa)."},
			{name: "hash_contenuto", typ: "string", title: "Impronta del contenuto", description: "SHA-256 esadecimale della forma canonica del testo firmato.", pattern: "^[0-9a-f]{64}$"},
		},
	}
}

// protocolRow is p's row of the protocols dataset.
func (j *joins) protocolRow(p *famiv1.Protocol) []string {
	var parties []string
	for _, pt := range p.GetParties() {
		parties = append(parties, j.displayName(pt.GetPartner())+" ("+enumName("PARTY_ROLE_", pt.GetRole())+")")
	}
	return []string{regionOf(p.GetName()), p.GetName(), p.GetTitle(), p.GetNetwork(), strings.Join(parties, " | "),
		p.GetValidFrom(), p.GetValidUntil(), enumName("PROTOCOL_STATE_", p.GetState()),
		strconv.Itoa(int(p.GetVersion())), p.GetSupersedes(), p.GetContentHash()}
}

func hoursTable() *table {
	return &table{
		name:  "ore_supporto",
		title: "Ore di supporto alle reti",
		description: fmt.Sprintf("Ore di accompagnamento approvate dalle regioni per rete, attività e trimestre, con il numero di interventi e di operatori raggiunti. "+
			"I conteggi di persone inferiori a %d sono soppressi (cella vuota) e segnalati in operatori_soppressi.", minPersons),
		keywords:   []string{"supporto", "accompagnamento", "reti territoriali", "ANCI"},
		primaryKey: []string{"rete", "trimestre", "attivita"},
		columns: []column{
			regionColumn,
			{name: "rete", typ: "string", title: "Rete", description: "Nome della risorsa: regions/{regione}/networks/{id}.", required: true},
			{name: "nome_rete", typ: "string", title: "Nome della rete"},
			{name: "trimestre", typ: "string", title: "Trimestre", description: "AAAA-Qn.", pattern: "^[0-9]{4}-Q[1-4]$", required: true},
			{name: "attivita", typ: "string", title: "Attività", enum: activityNames, required: true},
			{name: "ore_approvate", typ: "number", title: "Ore approvate"},
			{name: "interventi", typ: "integer", title: "Interventi", description: "Voci di supporto approvate."},
			{name: "operatori_raggiunti", typ: "integer", title: "Operatori raggiunti", description: fmt.Sprintf("Vuoto quando inferiore a %d (soppresso).", minPersons)},
			{name: "operatori_soppressi", typ: "boolean", title: "Conteggio soppresso", description: fmt.Sprintf("true quando operatori_raggiunti è inferiore a %d e non è pubblicato.", minPersons)},
		},
	}
}

// persons is a published count of persons: empty, and flagged, below
// minPersons (but not zero).
func persons(n int64) (count, suppressed string) {
	if disclosure.Withheld(n) {
		return "", "true"
	}
	return strconv.FormatInt(n, 10), "false"
}

func monitoringTable() *table {
	return &table{
		name:  "monitoraggio",
		title: "Monitoraggio trimestrale dei progetti",
		description: fmt.Sprintf("Per progetto e trimestre, dai rapporti di monitoraggio approvati (l'ultima revisione approvata): valori degli indicatori, "+
			"spesa impegnata e pagata, rimborsi richiesti, persone raggiunte e operatori formati. I conteggi di persone inferiori a %d sono soppressi e segnalati.", minPersons),
		keywords:   []string{"monitoraggio", "indicatori", "spesa", "FAMI"},
		primaryKey: []string{"progetto", "trimestre"},
		columns: []column{
			regionColumn,
			{name: "progetto", typ: "string", title: "Progetto", description: "Nome della risorsa: regions/{regione}/projects/{id}.", required: true},
			{name: "codice_progetto", typ: "string", title: "Codice del progetto"},
			{name: "trimestre", typ: "string", title: "Trimestre", description: "AAAA-qN.", pattern: "^[0-9]{4}-q[1-4]$", required: true},
			{name: "revisione", typ: "integer", title: "Revisione", description: "La revisione approvata pubblicata (1, poi una in più per ogni correzione)."},
			{name: "indicatori", typ: "string", title: "Indicatori", description: "Valori cumulati alla fine del trimestre: codice=valore unità, separati da |."},
			{name: "impegnato_euro", typ: "number", title: "Impegnato nel trimestre (euro)"},
			{name: "pagato_euro", typ: "number", title: "Pagato nel trimestre (euro)"},
			{name: "rimborsi_richiesti_euro", typ: "number", title: "Rimborsi richiesti nel trimestre (euro)"},
			{name: "persone_raggiunte", typ: "integer", title: "Persone raggiunte", description: fmt.Sprintf("Cittadini di paesi terzi raggiunti; vuoto quando inferiore a %d.", minPersons)},
			{name: "persone_soppresse", typ: "boolean", title: "Conteggio di persone soppresso"},
			{name: "operatori_formati", typ: "integer", title: "Operatori formati", description: fmt.Sprintf("Vuoto quando inferiore a %d.", minPersons)},
			{name: "operatori_soppressi", typ: "boolean", title: "Conteggio di operatori soppresso"},
		},
	}
}

// reportRow is the row of the monitoring dataset of r, a report of p.
func reportRow(p *famiv1.Project, r *famiv1.MonitoringReport) []string {
	units := map[string]string{}
	for _, in := range p.GetIndicators() {
		units[in.GetCode()] = in.GetUnit()
	}
	var indicators []string
	for _, v := range r.GetIndicatorValues() {
		indicators = append(indicators, strings.TrimSpace(v.GetIndicator()+"="+strconv.FormatFloat(v.GetValue(), 'f', -1, 64)+" "+units[v.GetIndicator()]))
	}
	var committed, paid, claimed, people, trained int64
	for _, e := range r.GetExpenditures() {
		committed += e.GetCommittedCents()
		paid += e.GetPaidCents()
	}
	for _, c := range r.GetReimbursementClaims() {
		claimed += c.GetAmountCents()
	}
	for _, c := range r.GetPeopleReached() {
		people += int64(c.GetCount())
	}
	for _, c := range r.GetOperatorsTrained() {
		trained += int64(c.GetCount())
	}
	peopleN, peopleS := persons(people)
	trainedN, trainedS := persons(trained)
	return []string{regionOf(p.GetName()), p.GetName(), p.GetCode(), r.GetPeriod(), strconv.Itoa(int(r.GetRevision())),
		strings.Join(indicators, " | "), money.Decimal(committed), money.Decimal(paid), money.Decimal(claimed), peopleN, peopleS, trainedN, trainedS}
}

// UnreachableError is a build of the open data refused because its national
// reads left regions out: their data cannot be read now (a damaged record,
// a region file refused at start) until they are restored.
type UnreachableError struct {
	// Regions are the regions left out, "regions/{region}", in id order.
	Regions []string
}

func (e *UnreachableError) Error() string {
	return "the national data leaves out " + strings.Join(e.Regions, ", ") + " (damaged data: restore the region from a backup)"
}

// displayNames are the display names of the regions of e, for the public.
func (e *UnreachableError) displayNames() string {
	var names []string
	for _, name := range e.Regions {
		if r, ok := territory.LookupRegion(strings.TrimPrefix(name, "regions/")); ok {
			name = r.DisplayName
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}
