package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/csvfile/csvtest"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
)

// exportSupportCSV downloads the CSV, checks its framing and returns its
// rows (every page: the download follows the page tokens itself).
func exportSupportCSV(ctx context.Context, s *restSurface, req *famiv1.ExportSupportEntriesRequest) (*famiv1.ExportSupportEntriesResponse, error) {
	path := "/v1/" + req.GetParent() + "/supportEntries:export"
	res, err := s.send(ctx, http.MethodGet, path, restQuery(req, "parent"), nil)
	if err != nil {
		return nil, err
	}
	if res.Status != http.StatusOK {
		return nil, problemError(http.MethodGet, path, res)
	}
	return parseCSVExport(res)
}

// parseCSVExport checks an export's media type and framing (UTF-8 BOM,
// CRLF line ends) and parses it.
func parseCSVExport(res *restResponse) (*famiv1.ExportSupportEntriesResponse, error) {
	if mt, params, _ := mime.ParseMediaType(res.ContentType); mt != "text/csv" || params["charset"] != "utf-8" {
		return nil, fmt.Errorf("export: Content-Type %q, want text/csv; charset=utf-8", res.ContentType)
	}
	rows, err := csvtest.Read(res.Body, ',')
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("export: %v (%d rows)", err, len(rows))
	}
	out := &famiv1.ExportSupportEntriesResponse{Header: rows[0]}
	for _, row := range rows[1:] {
		out.Rows = append(out.Rows, &famiv1.ExportRow{Values: row})
	}
	return out, nil
}

// --- the scenario ---

func supportEntryName(id string) string { return lombardia + "/supportEntries/" + id }

// The principals of the support scenario.
var (
	supportConsultant  = auth.TokenSpec{Subject: "acct:lombardia:mrossi", Role: principal.Consultant, Region: "lombardia", Name: "Mario Rossi"}
	supportConsultant2 = auth.TokenSpec{Subject: "acct:lombardia:lbianchi", Role: principal.Consultant, Region: "lombardia", Name: "Laura Bianchi"}
	supportMinistry    = auth.TokenSpec{Subject: "test:ministry", Role: principal.Ministry, Name: "Ministero"}
)

// TestSupportEverySurface runs the support-hours scenario through grpc-go,
// Connect, gRPC-Web and REST, each against its own server, and requires
// the four transcripts to be identical.
func TestSupportEverySurface(t *testing.T) {
	t.Parallel()
	onEverySurface(t, server.Config{}, supportBrief, true, func(on *onSurface) {
		sc := &supportScenario{transcript: on.transcript, ctx: on.ctx, registry: newSurface(on.t, on.ts, on.kind),
			admin:       newSurfaceAs(on.t, on.ts, on.kind, on.ts.token),
			consultant:  on.as(supportConsultant),
			consultant2: on.as(supportConsultant2),
			ministry:    on.as(supportMinistry),
			anonymous:   newSurfaceAs(on.t, on.ts, on.kind, ""),
		}
		sc.run()
	})
}

// TestSupportStatesNamed: the states filter of ListSupportEntries and
// SummarizeSupportEntries refuses a state unspecified or unknown naming
// states[i], on every surface, as ListMonitoringReports' does
// (TestReportsListedByState): the three share check.Enums.
func TestSupportStatesNamed(t *testing.T) {
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		const approved = famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED
		// REST's query parser refuses an unknown number before the service
		// sees it, naming the list (the gateway does not say which item).
		unknownField := "states[1]"
		if kind == "rest" {
			unknownField = "states"
		}
		for _, c := range []struct {
			what   string
			states []famiv1.SupportEntryState
			field  string
		}{
			{"state unspecified", []famiv1.SupportEntryState{approved, famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_UNSPECIFIED}, "states[1]"},
			{"unknown state", []famiv1.SupportEntryState{approved, 99}, unknownField},
		} {
			_, err := s.ListSupportEntries(ctx, &famiv1.ListSupportEntriesRequest{Parent: lombardia, States: c.states})
			checkErr(t, "list, "+c.what, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{c.field}})
			_, err = s.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: lombardia, StartDate: "2021-01-01", EndDate: "2021-06-30", States: c.states})
			checkErr(t, "summary, "+c.what, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{c.field}})
		}
	})
}

// supportScenario records results without the times that differ between
// servers (supportBrief).
type supportScenario struct {
	*transcript
	ctx context.Context
	// registry calls the registry as the region admin.
	registry                                            surface
	admin, consultant, consultant2, ministry, anonymous surface
}

// supportBrief renders m for a transcript without the times that differ
// between servers (create, update, review and reopen times).
func supportBrief(m proto.Message) string {
	if m == nil {
		return "null"
	}
	c := proto.Clone(m)
	clearFields(c.ProtoReflect(), func(fd protoreflect.FieldDescriptor) bool {
		return fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Timestamp"
	})
	b, err := protojson.Marshal(c)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	var buf bytes.Buffer
	json.Compact(&buf, b)
	return buf.String()
}

// exportBrief renders an export without the columns of times.
func exportBrief(res *famiv1.ExportSupportEntriesResponse) string {
	var skip []int
	for i, h := range res.GetHeader() {
		if strings.HasSuffix(h, "_time") {
			skip = append(skip, i)
		}
	}
	var lines []string
	for _, r := range append([]*famiv1.ExportRow{{Values: res.GetHeader()}}, res.GetRows()...) {
		var cells []string
		for i, v := range r.GetValues() {
			if !slices.Contains(skip, i) {
				cells = append(cells, v)
			}
		}
		lines = append(lines, strings.Join(cells, "|"))
	}
	return strings.Join(lines, " / ")
}

func (sc *supportScenario) run() {
	t, ctx := sc.t, sc.ctx
	c, c2, admin := sc.consultant, sc.consultant2, sc.admin

	// Two networks for the support to go to.
	for _, id := range []string{"udp-nord", "udp-sud"} {
		_, err := sc.registry.CreatePartner(ctx, &famiv1.CreatePartnerRequest{Parent: lombardia, PartnerId: id,
			Partner: &famiv1.Partner{DisplayName: "Ufficio di Piano " + id, Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE}})
		if err != nil {
			t.Fatalf("create partner %s: %v", id, err)
		}
		seedNetworkLedBy(t, ctx, sc.registry, "rete-"+id[4:], id)
	}
	nord, sud := networkName("rete-nord"), networkName("rete-sud")
	entry := func(network, date string, minutes int32, activity famiv1.SupportActivity) *famiv1.SupportEntry {
		return &famiv1.SupportEntry{Network: network, Date: date, DurationMinutes: minutes, Activity: activity, Mode: famiv1.SupportMode_SUPPORT_MODE_IN_PERSON,
			OperatorsReached: []*famiv1.OperatorsReached{{Role: famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_CULTURAL_MEDIATOR, Count: 2}}}
	}
	create := func(cl surface, id string, se *famiv1.SupportEntry) (*famiv1.SupportEntry, error) {
		return cl.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntryId: id, SupportEntry: se})
	}

	// Log: the consultants' entries of Q1 and April 2021.
	logged := map[string]*famiv1.SupportEntry{}
	for _, l := range []struct {
		by surface
		id string
		e  *famiv1.SupportEntry
	}{
		{c, "e1", entry(nord, "2021-02-03", 120, famiv1.SupportActivity_SUPPORT_ACTIVITY_PROJECT_FOCUS)},
		{c, "e2", entry(sud, "2021-03-15", 90, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP)},
		{c, "e3", entry(nord, "2021-03-20", 60, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP)},
		{c, "e4", entry(sud, "2021-03-25", 45, famiv1.SupportActivity_SUPPORT_ACTIVITY_COMMUNICATION)},
		{c, "e5", entry(sud, "2021-04-02", 180, famiv1.SupportActivity_SUPPORT_ACTIVITY_NETWORK_DEVELOPMENT)},
		{c2, "f1", entry(nord, "2021-02-03", 240, famiv1.SupportActivity_SUPPORT_ACTIVITY_PROJECT_FOCUS)},
	} {
		res, err := create(l.by, l.id, l.e)
		sc.must("log "+l.id, err, res)
		logged[l.id] = res
	}
	if e1 := logged["e1"]; e1.GetConsultant() != supportConsultant.Subject || e1.GetConsultantDisplayName() != "Mario Rossi" ||
		e1.GetState() != famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED || e1.GetCreateTime() == nil {
		t.Errorf("log e1: got %v, want the caller as consultant, SUBMITTED, stamped", e1)
	}

	// Edit, guarded by the etag just read; the same etag again is stale.
	edit := &famiv1.UpdateSupportEntryRequest{
		SupportEntry: &famiv1.SupportEntry{Name: supportEntryName("e3"), DurationMinutes: 75, Notes: "Laboratorio sul modello di mediazione", Etag: logged["e3"].GetEtag()},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"duration_minutes", "notes"}},
	}
	res, err := c.UpdateSupportEntry(ctx, edit)
	if sc.ok("edit e3", err, res) && (res.GetDurationMinutes() != 75 || res.GetEtag() == logged["e3"].GetEtag()) {
		t.Errorf("edit e3: got %v, want 75 minutes and a new etag", res)
	}
	_, err = c.UpdateSupportEntry(ctx, edit)
	sc.fails("edit e3 with a stale etag", err, wantErr{codes.Aborted, "ETAG_MISMATCH", nil})

	// Refused with the field named, and nothing written.
	future := servertest.Now().In(rome(t)).AddDate(0, 0, 2).Format("2006-01-02")
	for _, r := range []struct {
		step  string
		entry *famiv1.SupportEntry
		field string
	}{
		{"log zero minutes", entry(nord, "2021-04-06", 0, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP), "support_entry.duration_minutes"},
		{"log negative minutes", entry(nord, "2021-04-06", -30, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP), "support_entry.duration_minutes"},
		{"log 50 minutes, not a multiple of 15", entry(nord, "2021-04-06", 50, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP), "support_entry.duration_minutes"},
		{"log a 13th hour on 2021-02-03", entry(sud, "2021-02-03", 615, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP), "support_entry.duration_minutes"},
		{"log a future date", entry(nord, future, 60, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP), "support_entry.date"},
		{"log for an unknown network", entry(networkName("rete-ovest"), "2021-04-06", 60, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP), "support_entry.network"},
	} {
		_, err := create(c, "", r.entry)
		sc.fails(r.step, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{r.field}})
	}
	// The other consultant's 2021-02-03 does not count against this one's.
	res, err = create(c, "e6", entry(sud, "2021-02-03", 600, famiv1.SupportActivity_SUPPORT_ACTIVITY_NETWORK_ACCOMPANIMENT))
	sc.ok("log the rest of 2021-02-03: 12 hours in all", err, res)

	// Another consultant's entry, and approvals, are not a consultant's.
	_, err = c2.UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{
		SupportEntry: &famiv1.SupportEntry{Name: supportEntryName("e1"), Notes: "mine"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}})
	sc.fails("edit another consultant's entry", err, wantErr{codes.PermissionDenied, "NOT_OWN_ENTRY", nil})
	_, err = c2.DeleteSupportEntry(ctx, &famiv1.DeleteSupportEntryRequest{Name: supportEntryName("e1")})
	sc.fails("delete another consultant's entry", err, wantErr{codes.PermissionDenied, "NOT_OWN_ENTRY", nil})
	_, err = c2.GetSupportEntry(ctx, &famiv1.GetSupportEntryRequest{Name: supportEntryName("e1")})
	sc.fails("read another consultant's entry", err, wantErr{codes.PermissionDenied, "NOT_OWN_ENTRY", nil})
	_, err = c.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: lombardia, Names: []string{supportEntryName("e1")}})
	sc.fails("a consultant approves", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil})
	_, err = sc.anonymous.ListSupportEntries(ctx, &famiv1.ListSupportEntriesRequest{Parent: lombardia})
	sc.fails("list without a token", err, wantErr{codes.Unauthenticated, "TOKEN_REQUIRED", nil})

	// The region approves a batch and rejects one, with a reason.
	approved, err := admin.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: lombardia,
		Names: []string{supportEntryName("e1"), supportEntryName("e2"), supportEntryName("f1"), supportEntryName("e6")}, Reason: "Verificato"})
	sc.must("approve e1, e2, f1, e6", err, approved)
	_, err = admin.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: lombardia, Names: []string{supportEntryName("e3"), supportEntryName("e1")}})
	sc.fails("approve a batch with an approved entry: nothing approved", err, wantErr{codes.FailedPrecondition, "ENTRY_NOT_SUBMITTED", []string{"names[1]"}})
	// Rejecting a selection is all or nothing too: e3 stays SUBMITTED, and
	// is rejected on its own below.
	_, err = c.BatchRejectSupportEntries(ctx, &famiv1.BatchRejectSupportEntriesRequest{Parent: lombardia, Names: []string{supportEntryName("e3")}, Reason: "no"})
	sc.fails("a consultant rejects", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil})
	_, err = admin.BatchRejectSupportEntries(ctx, &famiv1.BatchRejectSupportEntriesRequest{Parent: lombardia, Names: []string{supportEntryName("e3")}})
	sc.fails("reject a batch without a reason", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"reason"}})
	_, err = admin.BatchRejectSupportEntries(ctx, &famiv1.BatchRejectSupportEntriesRequest{Parent: lombardia,
		Names: []string{supportEntryName("e3"), supportEntryName("e1")}, Reason: "Attività non svolta con la rete"})
	sc.fails("reject a batch with an approved entry: nothing rejected", err, wantErr{codes.FailedPrecondition, "ENTRY_NOT_SUBMITTED", []string{"names[1]"}})
	_, err = admin.RejectSupportEntry(ctx, &famiv1.RejectSupportEntryRequest{Name: supportEntryName("e3")})
	sc.fails("reject without a reason", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"reason"}})
	res, err = admin.RejectSupportEntry(ctx, &famiv1.RejectSupportEntryRequest{Name: supportEntryName("e3"), Reason: "Attività non svolta con la rete"})
	sc.ok("reject e3", err, res)
	_, err = c.UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{
		SupportEntry: &famiv1.SupportEntry{Name: supportEntryName("e1"), Notes: "late"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"notes"}}})
	sc.fails("edit an approved entry", err, wantErr{codes.FailedPrecondition, "ENTRY_NOT_SUBMITTED", nil})

	// The region closes Q1 2021; e4 is still SUBMITTED inside it, so the
	// close must be forced (with a reason).
	_, err = admin.ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: lombardia, ClosedPeriodId: "q1-2021",
		ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2021-01-01", EndDate: "2021-03-31", Reason: "Trimestre rendicontato"}})
	sc.fails("close Q1 2021 with an entry awaiting review", err, wantErr{codes.FailedPrecondition, "ENTRIES_PENDING_REVIEW", nil})
	// A state conflict, as a closed period is to an entry: REST answers
	// 409, where the entries are to look at, not the request (ADR 0025).
	if e, ok := asCallError(err); ok && restStatus(e) != http.StatusConflict {
		t.Errorf("close Q1 2021 with an entry awaiting review: HTTP status %d, want %d", restStatus(e), http.StatusConflict)
	}
	q1, err := admin.ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: lombardia, ClosedPeriodId: "q1-2021", Force: true,
		ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2021-01-01", EndDate: "2021-03-31", Reason: "Trimestre rendicontato"}})
	sc.must("close Q1 2021", err, q1)
	_, err = c.ClosePeriod(ctx, &famiv1.ClosePeriodRequest{Parent: lombardia, ClosedPeriod: &famiv1.ClosedPeriod{StartDate: "2021-04-01", EndDate: "2021-06-30"}})
	sc.fails("a consultant closes a period", err, wantErr{codes.PermissionDenied, "ROLE_NOT_ALLOWED", nil})
	_, err = create(c, "e7", entry(nord, "2021-03-10", 60, famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP))
	sc.fails("log inside the closed quarter", err, wantErr{codes.FailedPrecondition, "PERIOD_CLOSED", []string{"support_entry.date"}})
	_, err = c.UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{
		SupportEntry: &famiv1.SupportEntry{Name: supportEntryName("e4"), DurationMinutes: 60}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"duration_minutes"}}})
	sc.fails("edit an entry inside the closed quarter", err, wantErr{codes.FailedPrecondition, "PERIOD_CLOSED", nil})
	_, err = c.UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{
		SupportEntry: &famiv1.SupportEntry{Name: supportEntryName("e5"), Date: "2021-03-31"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"date"}}})
	sc.fails("move an entry into the closed quarter", err, wantErr{codes.FailedPrecondition, "PERIOD_CLOSED", []string{"support_entry.date"}})
	_, err = c.DeleteSupportEntry(ctx, &famiv1.DeleteSupportEntryRequest{Name: supportEntryName("e4")})
	sc.fails("delete an entry inside the closed quarter", err, wantErr{codes.FailedPrecondition, "PERIOD_CLOSED", nil})
	_, err = admin.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: lombardia, Names: []string{supportEntryName("e4")}})
	sc.fails("approve an entry inside the closed quarter", err, wantErr{codes.FailedPrecondition, "PERIOD_CLOSED", []string{"names[0]"}})
	_, err = admin.BatchRejectSupportEntries(ctx, &famiv1.BatchRejectSupportEntriesRequest{Parent: lombardia, Names: []string{supportEntryName("e5"), supportEntryName("e4")}, Reason: "Tardiva"})
	sc.fails("reject a batch with an entry inside the closed quarter: nothing rejected", err, wantErr{codes.FailedPrecondition, "PERIOD_CLOSED", []string{"names[1]"}})
	res, err = c.UpdateSupportEntry(ctx, &famiv1.UpdateSupportEntryRequest{
		SupportEntry: &famiv1.SupportEntry{Name: supportEntryName("e5"), Mode: famiv1.SupportMode_SUPPORT_MODE_HYBRID}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"mode"}}})
	sc.ok("edit an April entry", err, res)

	// Summaries by activity and by month, for the region and the
	// ministry; a consultant's summary is their own.
	summarize := func(cl surface, step string, gb famiv1.SupportGroupBy, states ...famiv1.SupportEntryState) *famiv1.SummarizeSupportEntriesResponse {
		res, err := cl.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: lombardia, StartDate: "2021-01-01", EndDate: "2021-06-30", GroupBy: gb, States: states})
		sc.ok(step, err, res)
		return res
	}
	approvedOnly := famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_APPROVED
	byActivity := summarize(admin, "summary by activity, approved", famiv1.SupportGroupBy_SUPPORT_GROUP_BY_ACTIVITY, approvedOnly)
	if tot := byActivity.GetTotals(); tot.GetTotalMinutes() != 120+90+240+600 || tot.GetEntries() != 4 || tot.GetDistinctNetworks() != 2 || len(byActivity.GetGroups()) != 3 {
		t.Errorf("summary by activity: got %v", byActivity)
	}
	byMonth := summarize(admin, "summary by month", famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH)
	if keys := groupKeys(byMonth); !slices.Equal(keys, []string{"2021-02", "2021-03", "2021-04"}) || byMonth.GetTotals().GetTotalMinutes() != 120+90+45+180+240+600 {
		t.Errorf("summary by month: got %v", byMonth)
	}
	summarize(sc.ministry, "the ministry's summary by network", famiv1.SupportGroupBy_SUPPORT_GROUP_BY_NETWORK)
	own := summarize(c2, "a consultant's own summary by consultant", famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT)
	if keys := groupKeys(own); !slices.Equal(keys, []string{supportConsultant2.Subject}) || own.GetGroups()[0].GetDisplayName() != "Laura Bianchi" {
		t.Errorf("a consultant's own summary: got %v", own)
	}
	_, err = sc.ministry.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: lombardia, StartDate: "2021-01-01", EndDate: "2021-06-30",
		GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_CONSULTANT})
	sc.fails("the ministry's summary by consultant", err, wantErr{codes.PermissionDenied, "CONSULTANT_DETAIL_NOT_ALLOWED", nil})
	_, err = admin.SummarizeSupportEntries(ctx, &famiv1.SummarizeSupportEntriesRequest{Parent: lombardia, StartDate: "2021-06-30", EndDate: "2021-01-01"})
	sc.fails("a summary of a backwards range", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"end_date"}})

	// Lists: the region sees everything by date; a consultant their own.
	all, err := admin.ListSupportEntries(ctx, &famiv1.ListSupportEntriesRequest{Parent: lombardia})
	if sc.ok("list every entry", err, all) && !slices.Equal(names(all.GetSupportEntries()), []string{
		supportEntryName("e1"), supportEntryName("e6"), supportEntryName("f1"), supportEntryName("e2"), supportEntryName("e3"), supportEntryName("e4"), supportEntryName("e5")}) {
		t.Errorf("list every entry: got %q", names(all.GetSupportEntries()))
	}
	mine, err := c2.ListSupportEntries(ctx, &famiv1.ListSupportEntriesRequest{Parent: lombardia})
	if sc.ok("a consultant lists their own", err, mine) && !slices.Equal(names(mine.GetSupportEntries()), []string{supportEntryName("f1")}) {
		t.Errorf("a consultant lists their own: got %q", names(mine.GetSupportEntries()))
	}
	page, err := admin.ListSupportEntries(ctx, &famiv1.ListSupportEntriesRequest{Parent: lombardia, PageSize: 2,
		States: []famiv1.SupportEntryState{famiv1.SupportEntryState_SUPPORT_ENTRY_STATE_SUBMITTED}, StartDate: "2021-03-01"})
	sc.ok("list submitted entries from March, two a page", err, page)

	// Exports: the summary by month (the REST surface downloads the CSV)
	// and the entries of one network.
	exp, err := admin.ExportSupportEntries(ctx, &famiv1.ExportSupportEntriesRequest{Parent: lombardia, GroupBy: famiv1.SupportGroupBy_SUPPORT_GROUP_BY_MONTH, StartDate: "2021-01-01", EndDate: "2021-06-30"})
	if err != nil {
		t.Errorf("export the summary by month: %v", err)
	}
	sc.record("export the summary by month: %s", exportBrief(exp))
	exp, err = admin.ExportSupportEntries(ctx, &famiv1.ExportSupportEntriesRequest{Parent: lombardia, Network: nord})
	if err != nil {
		t.Errorf("export rete-nord's entries: %v", err)
	}
	sc.record("export rete-nord's entries: %s", exportBrief(exp))
	_, err = sc.ministry.ExportSupportEntries(ctx, &famiv1.ExportSupportEntriesRequest{Parent: lombardia})
	sc.fails("the ministry exports entries", err, wantErr{codes.PermissionDenied, "SUMMARIES_ONLY", nil})

	// Reopening is explicit, recorded, and lets the entry go.
	periods, err := c.ListClosedPeriods(ctx, &famiv1.ListClosedPeriodsRequest{Parent: lombardia})
	sc.ok("list closed periods", err, periods)
	// The periods a page of entries needs: those that meet its dates.
	for _, span := range [][3]string{{"2021-03-31", "2021-04-30", q1.GetName()}, {"2021-04-01", "2021-04-30", ""}, {"", "2020-12-31", ""}} {
		periods, err := c.ListClosedPeriods(ctx, &famiv1.ListClosedPeriodsRequest{Parent: lombardia, StartDate: span[0], EndDate: span[1]})
		if step := "list closed periods from " + span[0] + " to " + span[1]; sc.ok(step, err, periods) && strings.Join(names(periods.GetClosedPeriods()), " ") != span[2] {
			t.Errorf("%s: got %q, want %q", step, names(periods.GetClosedPeriods()), span[2])
		}
	}
	_, err = c.ListClosedPeriods(ctx, &famiv1.ListClosedPeriodsRequest{Parent: lombardia, StartDate: "2021-04-30", EndDate: "2021-03-31"})
	sc.fails("list closed periods of a backwards range", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"end_date"}})
	_, err = admin.ReopenPeriod(ctx, &famiv1.ReopenPeriodRequest{Name: q1.GetName()})
	sc.fails("reopen without a reason", err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"reason"}})
	reopened, err := admin.ReopenPeriod(ctx, &famiv1.ReopenPeriodRequest{Name: q1.GetName(), Reason: "Correzione richiesta dal consulente", Etag: q1.GetEtag()})
	sc.ok("reopen Q1 2021", err, reopened)
	_, err = c.DeleteSupportEntry(ctx, &famiv1.DeleteSupportEntryRequest{Name: supportEntryName("e4")})
	if err != nil {
		t.Errorf("delete e4 after reopening: %v", err)
	}
	sc.record("delete e4 after reopening: %v", err)
	periods, err = admin.ListClosedPeriods(ctx, &famiv1.ListClosedPeriodsRequest{Parent: lombardia, ShowReopened: true})
	sc.ok("list closed periods with the reopened", err, periods)
}

func groupKeys(res *famiv1.SummarizeSupportEntriesResponse) []string {
	var out []string
	for _, g := range res.GetGroups() {
		out = append(out, g.GetKey())
	}
	return out
}

func rome(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatalf("load Europe/Rome: %v", err)
	}
	return loc
}

// TestSupportCSVExport checks the REST download itself: headers, framing,
// a multi-page export in one file, and errors as problem documents before
// any byte of CSV.
func TestSupportCSVExport(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{})
	ctx := t.Context()
	admin := newSurface(t, ts, "rest")
	seedPartners(t, ctx, admin, famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE, "udp")
	seedNetworkLedBy(t, ctx, admin, "rete", "udp")
	consultant := newSurfaceAs(t, ts, "connect", ts.mintToken(supportConsultant))
	const n = 1203 // more than one page of the export
	// The export is in date order, and entry i is the only one on its day,
	// so the order of the creations does not matter: 16 at a time let the
	// store commit them in batches (one after another took 12 s with -race).
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && !t.Failed(); i = int(next.Add(1) - 1) {
				_, err := consultant.CreateSupportEntry(ctx, &famiv1.CreateSupportEntryRequest{Parent: lombardia, SupportEntryId: fmt.Sprintf("e%04d", i), SupportEntry: &famiv1.SupportEntry{
					Network: networkName("rete"), Date: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("2006-01-02"), DurationMinutes: 30,
					Activity: famiv1.SupportActivity_SUPPORT_ACTIVITY_WORKSHOP, Mode: famiv1.SupportMode_SUPPORT_MODE_ONLINE, Notes: "Riunione, \"tavolo\" n. " + strconv.Itoa(i)}})
				if err != nil {
					t.Errorf("log entry %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	rs := newRESTSurface(t, ts, ts.token)
	res, err := rs.send(ctx, http.MethodGet, "/v1/regions/lombardia/supportEntries:export", url.Values{"startDate": {"2019-01-01"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := parseCSVExport(res)
	if err != nil {
		t.Fatalf("%v; body starts %q", err, res.Body[:min(len(res.Body), 200)])
	}
	if len(exp.GetRows()) != n || exp.GetRows()[n-1].GetValues()[0] != supportEntryName(fmt.Sprintf("e%04d", n-1)) {
		t.Errorf("export: %d rows, last %v; want %d, the last entry last", len(exp.GetRows()), exp.GetRows()[len(exp.GetRows())-1].GetValues(), n)
	}
	if !bytes.Contains(res.Body, []byte("\"Riunione, \"\"tavolo\"\" n. 7\"\r\n")) && !bytes.Contains(res.Body, []byte("\"Riunione, \"\"tavolo\"\" n. 7\",")) {
		t.Errorf("the notes are not quoted as RFC 4180 says")
	}

	// The summary, with its file name.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.httpURL()+"/v1/regions/lombardia/supportEntries:export?groupBy=SUPPORT_GROUP_BY_QUARTER&startDate=2019-01-01&endDate=2022-12-31", nil)
	req.Header.Set("Authorization", "Bearer "+ts.token)
	hres, err := newHTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hres.Body.Close()
	if got := hres.Header.Get("Content-Disposition"); got != `attachment; filename="support-summary-lombardia-by-quarter.csv"` {
		t.Errorf("Content-Disposition %q", got)
	}

	// The Italian spreadsheet dialect: semicolons, decimal commas.
	res, err = rs.send(ctx, http.MethodGet, "/v1/regions/lombardia/supportEntries:export",
		url.Values{"startDate": {"2019-01-01"}, "endDate": {"2019-01-31"}, "dialect": {"CSV_DIALECT_ITALIAN"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || !bytes.HasPrefix(res.Body, []byte("\xef\xbb\xbfname;consultant;")) ||
		!bytes.Contains(res.Body, []byte(";WORKSHOP;2019-01-01;30;0,50;ONLINE;")) || !bytes.Contains(res.Body, []byte(";\"Riunione, \"\"tavolo\"\" n. 7\";")) {
		t.Errorf("Italian export (status %d) starts %q", res.Status, res.Body[:min(len(res.Body), 600)])
	}

	// A real page token, which the paged RPC takes and the file refuses.
	first, err := newSurface(t, ts, "connect").ExportSupportEntries(ctx, &famiv1.ExportSupportEntriesRequest{Parent: lombardia, StartDate: "2019-01-01"})
	if err != nil || first.GetNextPageToken() == "" {
		t.Fatalf("the export's first page: next page token %q, %v; want one", first.GetNextPageToken(), err)
	}
	for _, tc := range []struct {
		name   string
		token  string
		query  url.Values
		status int
		reason string
		field  string
	}{
		{"no token", "", nil, http.StatusUnauthorized, "TOKEN_REQUIRED", ""},
		{"a page token", ts.token, url.Values{"startDate": {"2019-01-01"}, "pageToken": {first.GetNextPageToken()}}, http.StatusBadRequest, "INVALID_ARGUMENT", "page_token"},
		{"the ministry asks for entries", ts.mintToken(supportMinistry), nil, http.StatusForbidden, "SUMMARIES_ONLY", ""},
		{"another region", ts.mintToken(auth.TokenSpec{Subject: "v", Role: principal.RegionAdmin, Region: "veneto"}), nil, http.StatusForbidden, "OUTSIDE_REGION", ""},
		{"a bad date", ts.token, url.Values{"startDate": {"yesterday"}}, http.StatusBadRequest, "INVALID_ARGUMENT", "start_date"},
		{"an unknown enum", ts.token, url.Values{"groupBy": {"SUPPORT_GROUP_BY_WEEKDAY"}}, http.StatusBadRequest, "INVALID_ARGUMENT", ""},
		{"an unknown dialect", ts.token, url.Values{"dialect": {"CSV_DIALECT_EXCEL"}}, http.StatusBadRequest, "INVALID_ARGUMENT", ""},
		{"a dialect out of range", ts.token, url.Values{"dialect": {"9"}}, http.StatusBadRequest, "INVALID_ARGUMENT", "dialect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := newRESTSurface(t, ts, tc.token).send(ctx, http.MethodGet, "/v1/regions/lombardia/supportEntries:export", tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d; body %s", res.Status, tc.status, res.Body)
			}
			e, ok := asCallError(problemError(http.MethodGet, "export", res))
			if !ok {
				t.Fatalf("not a problem document: %s", res.Body)
			}
			if tc.reason != "" && e.Reason != tc.reason || tc.field != "" && !slices.Contains(e.Fields, tc.field) {
				t.Errorf("got %v, want reason %s naming %q", e, tc.reason, tc.field)
			}
		})
	}
}

// TestBatchNamesSayWhatIsWrong: a name in a batch review that is refused
// says what is wrong with it (its form, its region or its id), instead of
// calling every one "not a name of region lombardia's supportEntries".
func TestBatchNamesSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	onEachSurface(t, server.Config{}, func(t *testing.T, ts *testServer, kind string) {
		ctx := t.Context()
		s := newSurface(t, ts, kind)
		for _, c := range []struct{ name, want string }{
			{supportEntryName("OTHER-ID"), `"OTHER-ID" is not a valid id: use 1-63 lowercase letters`},
			{"regions/veneto/supportEntries/e1", `is in region "veneto", not "lombardia"`},
			{"OTHER-ID", `"OTHER-ID" is not a resource name of supportEntries: want regions/lombardia/supportEntries/{id}`},
		} {
			_, err := s.BatchApproveSupportEntries(ctx, &famiv1.BatchApproveSupportEntriesRequest{Parent: lombardia, Names: []string{c.name}})
			checkErr(t, "approve "+c.name, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"names[0]"}})
			wantMessageNames(t, err, c.want)
			_, err = s.BatchRejectSupportEntries(ctx, &famiv1.BatchRejectSupportEntriesRequest{Parent: lombardia, Names: []string{c.name}, Reason: "ore non documentate"})
			checkErr(t, "reject "+c.name, err, wantErr{codes.InvalidArgument, "INVALID_ARGUMENT", []string{"names[0]"}})
			wantMessageNames(t, err, c.want)
		}
	})
}
