package support

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/csvfile"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/sdk/paging"
)

// exportPageSize is an export's default and largest page of entries.
const exportPageSize = 1000

// roleColumns are the operator columns of both exports, in role order.
var roleColumns = func() []string {
	var out []string
	for r := 1; r <= numRoles; r++ {
		out = append(out, "operators_"+strings.ToLower(aip.EnumName(famiv1.SupportOperatorRole(r))))
	}
	return out
}()

var entryHeader = append(append([]string{
	"name", "consultant", "consultant_display_name", "network", "activity", "date",
	"duration_minutes", "hours", "mode", "topics", "operators_reached",
}, roleColumns...),
	"meeting", "notes", "state", "reviewer", "review_time", "review_reason", "create_time", "update_time")

var summaryHeader = append([]string{
	"group", "display_name", "hours", "total_minutes", "entries", "distinct_networks", "operators_reached",
}, roleColumns...)

// ExportSupportEntries implements fami.v1.SupportService.
func (s *Service) ExportSupportEntries(ctx context.Context, req *famiv1.ExportSupportEntriesRequest) (*famiv1.ExportSupportEntriesResponse, error) {
	region, err := aip.Parent(req.GetParent())
	if err != nil {
		return nil, err
	}
	p := principal.From(ctx)
	var v errs.Violations
	check.Enum(&v, "dialect", req.GetDialect(), false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	dialect := req.GetDialect()
	if req.GetGroupBy() != famiv1.SupportGroupBy_SUPPORT_GROUP_BY_UNSPECIFIED {
		if req.GetActivity() != 0 {
			return nil, errs.InvalidField("activity", "filters entries only; a summary by activity is group_by=SUPPORT_GROUP_BY_ACTIVITY")
		}
		q, err := newSummaryQuery(p, region, req.GetStartDate(), req.GetEndDate(), req.GetGroupBy(), req.GetStates(), req.GetConsultant(), req.GetNetwork())
		if err != nil {
			return nil, err
		}
		sum, err := s.summarize(ctx, q)
		if err != nil {
			return nil, err
		}
		res := &famiv1.ExportSupportEntriesResponse{Header: summaryHeader}
		for _, g := range sum.GetGroups() {
			res.Rows = append(res.Rows, summaryRow(g, g.GetKey(), dialect))
		}
		res.Rows = append(res.Rows, summaryRow(sum.GetTotals(), "TOTAL", dialect))
		return res, nil
	}
	states := req.GetStates()
	if len(states) == 0 {
		states = countedStates
	}
	f, err := newEntryFilter(p, region, req.GetConsultant(), req.GetNetwork(), req.GetActivity(), states, req.GetStartDate(), req.GetEndDate())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	switch {
	case size < 0:
		return nil, errs.InvalidField("page_size", "must not be negative, got %d", size)
	case size == 0 || size > exportPageSize:
		size = exportPageSize
	}
	items, next, _, err := s.listEntries(ctx, region, f, aip.PageOf(size), req)
	if err != nil {
		return nil, err
	}
	res := &famiv1.ExportSupportEntriesResponse{Header: entryHeader, NextPageToken: next}
	for _, e := range items {
		res.Rows = append(res.Rows, entryRow(e, dialect))
	}
	return res, nil
}

// hours formats minutes as hours with two decimals, with the decimal
// separator of the CSV dialect.
func hours(minutes int64, d famiv1.CsvDialect) string {
	s := strconv.FormatFloat(float64(minutes)/60, 'f', 2, 64)
	if d == famiv1.CsvDialect_CSV_DIALECT_ITALIAN {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func timestamp(t *timestamppb.Timestamp) string {
	if t == nil {
		return ""
	}
	return t.AsTime().UTC().Format(time.RFC3339)
}

func entryRow(e *famiv1.SupportEntry, d famiv1.CsvDialect) *famiv1.ExportRow {
	var topics []string
	for _, t := range e.GetTopics() {
		topics = append(topics, aip.EnumName(t))
	}
	var ops [numRoles]int64
	var total int64
	for _, o := range e.GetOperatorsReached() {
		if r := int(o.GetRole()); r >= 1 && r <= numRoles {
			ops[r-1] += int64(o.GetCount())
			total += int64(o.GetCount())
		}
	}
	row := []string{
		e.GetName(), e.GetConsultant(), e.GetConsultantDisplayName(), e.GetNetwork(),
		aip.EnumName(e.GetActivity()), e.GetDate(),
		strconv.Itoa(int(e.GetDurationMinutes())), hours(int64(e.GetDurationMinutes()), d),
		aip.EnumName(e.GetMode()), strings.Join(topics, ";"),
		strconv.FormatInt(total, 10),
	}
	for _, n := range ops {
		row = append(row, strconv.FormatInt(n, 10))
	}
	row = append(row,
		e.GetMeeting(), e.GetNotes(), aip.EnumName(e.GetState()),
		e.GetReview().GetReviewer(), timestamp(e.GetReview().GetTime()), e.GetReview().GetReason(),
		timestamp(e.GetCreateTime()), timestamp(e.GetUpdateTime()))
	return &famiv1.ExportRow{Values: row}
}

func summaryRow(g *famiv1.SupportSummaryGroup, key string, d famiv1.CsvDialect) *famiv1.ExportRow {
	// Enum values go without their prefix (aip.EnumName): spreadsheets
	// read WORKSHOP better than SUPPORT_ACTIVITY_WORKSHOP.
	if g.GetActivity() != 0 {
		key = strings.TrimPrefix(key, "SUPPORT_ACTIVITY_")
	}
	row := []string{
		key, g.GetDisplayName(), hours(g.GetTotalMinutes(), d), strconv.FormatInt(g.GetTotalMinutes(), 10),
		strconv.FormatInt(g.GetEntries(), 10), strconv.Itoa(int(g.GetDistinctNetworks())), strconv.FormatInt(g.GetOperatorsReached(), 10),
	}
	var ops [numRoles]int64
	for _, o := range g.GetOperatorsByRole() {
		if r := int(o.GetRole()); r >= 1 && r <= numRoles {
			ops[r-1] = int64(o.GetCount())
		}
	}
	for _, n := range ops {
		row = append(row, strconv.FormatInt(n, 10))
	}
	return &famiv1.ExportRow{Values: row}
}

// WriteCSV writes the export req asks for as CSV; see the package-level
// WriteCSV.
func (s *Service) WriteCSV(ctx context.Context, w io.Writer, req *famiv1.ExportSupportEntriesRequest) error {
	return WriteCSV(ctx, w, req, s.ExportSupportEntries, nil)
}

// Exporter returns one page of an export: the service itself on the
// server, a client's ExportSupportEntries in famictl.
type Exporter func(context.Context, *famiv1.ExportSupportEntriesRequest) (*famiv1.ExportSupportEntriesResponse, error)

// WriteCSV writes the export req asks for as CSV (RFC 4180 through
// encoding/csv: a header row, CRLF line ends, fields quoted as needed),
// UTF-8 with a byte-order mark so spreadsheets detect the encoding. The
// separator is the comma, or the semicolon in req's Italian dialect (whose
// rows carry decimal commas: a spreadsheet set up for Italy reads
// "1,50";"x" as a number and a text without an import wizard). It
// reads the export a page at a time (each page one consistent snapshot)
// and writes nothing when the first page fails, so the caller can still
// answer with an error. Text that a spreadsheet would run as a formula
// (=, +, -, @, tab or CR at the start of a cell, or after any character a
// spreadsheet may split cells at) gets an apostrophe first (csvfile.Defuse).
// progress, when set, is told the rows written so far after each page.
//
// A file is always the whole export, from its first row: req's page_token
// is refused (INVALID_ARGUMENT naming it), since a file that started
// mid-way would look whole. A caller that pages calls ExportSupportEntries.
func WriteCSV(ctx context.Context, w io.Writer, req *famiv1.ExportSupportEntriesRequest, export Exporter, progress func(rows int)) error {
	if req.GetPageToken() != "" {
		return errs.InvalidField("page_token", "is not taken by a CSV file, which is always the whole export; page through ExportSupportEntries instead")
	}
	req = proto.CloneOf(req)
	var cw *csvfile.Writer // nil until the first page is read
	rows := 0
	return paging.Walk(ctx, func(token string) (string, error) {
		req.PageToken = token
		page, err := export(ctx, req)
		if err != nil {
			return "", err
		}
		if cw == nil {
			if err := csvfile.WriteBOM(w); err != nil {
				return "", err
			}
			cw = csvfile.NewWriter(w)
			if req.GetDialect() == famiv1.CsvDialect_CSV_DIALECT_ITALIAN {
				cw.SetComma(';')
			}
			if err := cw.Write(page.GetHeader()); err != nil {
				return "", err
			}
		}
		for _, r := range page.GetRows() {
			if err := cw.Write(r.GetValues()); err != nil {
				return "", err
			}
		}
		rows += len(page.GetRows())
		if err := cw.Flush(); err != nil {
			return "", err
		}
		if progress != nil {
			progress(rows)
		}
		return page.GetNextPageToken(), nil
	})
}
