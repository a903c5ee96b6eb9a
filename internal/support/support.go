// Package support implements fami.v1.SupportService: the log of the hours
// consultants give to local networks, its review by the region, closed
// periods and the summaries and exports built on it.
//
// Summaries never read the entries. Every write keeps, in the same
// transaction, aggregate cells per month with their days (see
// aggregates.go), so a summary over a date range reads O(months x groups x
// networks) cells, however many entries the range holds.
//
// The same type serves grpc-go and connect-go (their unary signatures are
// identical); the rules live here, below every transport. Region binding
// and roles are checked by the policy table (rights.go); this package
// checks what depends on the data: a consultant's own entries, a network
// member's networks, the ministry's aggregates-only view.
package support

import (
	"strings"
	"time"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
)

// Secondary indexes kept in each region's store, all written in the
// transaction of the change they follow.
const (
	// indexCells holds the aggregate cells summaries read (aggregates.go).
	indexCells = "support_cells"
	// indexDayMinutes maps "{consultant}\x00{date}" to the minutes of the
	// consultant's SUBMITTED and APPROVED entries that day, in decimal: the
	// 12-hour cap.
	indexDayMinutes = "support_day_minutes"
	// indexByDate maps "{date}\x00{id}" to the entry's filter attributes
	// (see attrs), so lists page in date order and filter without decoding
	// entries.
	indexByDate = "support_by_date"
	// indexByConsultant is indexByDate under "{consultant}\x00", for a
	// consultant's own list.
	indexByConsultant = "support_by_consultant"
	// indexClosed maps the id of every closed period in force to
	// "{start}\x00{end}".
	indexClosed = "support_closed"
	// indexConsultantNames maps a consultant to the display name of their
	// latest entry, for summaries by consultant.
	indexConsultantNames = "support_consultant_names"
)

// Limits of the domain.
const (
	// maxDayMinutes is the most a consultant may log on one day, all
	// entries together: 12 hours.
	maxDayMinutes = 12 * 60
	// minuteStep is the granularity of durations.
	minuteStep = 15
	// firstDate is the earliest date an entry may have: FAMI 2014-2020
	// began on 1 January 2014.
	firstDate = "2014-01-01"
	// maxOperators bounds one role's count in an entry.
	maxOperators = 10000
	// maxContacts bounds the contacts an entry names.
	maxContacts = 200
	// maxBatch bounds BatchApproveSupportEntries and
	// BatchRejectSupportEntries.
	maxBatch = 1000
	// maxSummaryYears bounds a summary's date range.
	maxSummaryYears = 50
)

// Options configure New.
type Options struct {
	// Now is the clock; defaults to time.Now. Tests set it to a fixed day.
	Now func() time.Time
	// Location is the time zone "today" is taken in, for refusing dates in
	// the future; defaults to Europe/Rome.
	Location *time.Location
}

// Service implements fami.v1.SupportService.
type Service struct {
	famiv1.UnimplementedSupportServiceServer
	store store.Store
	cal   territory.Calendar
	// noAggregates skips the aggregate cells; only the benchmark that
	// measures what they cost sets it (export_test.go).
	noAggregates bool
}

// New returns the service over a store.
func New(s store.Store, opts Options) *Service {
	return &Service{store: s, cal: territory.NewCalendar(opts.Now, opts.Location)}
}

// ref checks that name is a resource name of collection in region and
// returns its id; a violation saying what is wrong (the name's form, its
// region or its id) is recorded otherwise.
func ref(v *errs.Violations, field, name, collection, region string) (string, bool) {
	r, id, err := aip.ParseName(field, name, collection)
	switch {
	case err != nil:
		v.Add(field, "%q is not a resource name of %s: want regions/%s/%s/{id}", errs.Clip(name, errs.MaxEcho), collection, region, collection)
	case r != region:
		v.Add(field, "%q is in region %q, not %q: want regions/%s/%s/{id}", errs.Clip(name, errs.MaxEcho), errs.Clip(r, errs.MaxEcho), region, region, collection)
	default:
		if err := aip.CheckID(field, id); err != nil {
			v.AddFrom(err)
			break
		}
		return id, true
	}
	return "", false
}

// dateRange checks an optional date range; required makes both ends
// mandatory.
func dateRange(v *errs.Violations, start, end string, required bool) {
	_, okStart := check.Date(v, "start_date", start, required)
	_, okEnd := check.Date(v, "end_date", end, required)
	if okStart && okEnd && end < start {
		v.Add("end_date", "%s is before start_date %s", end, start)
	}
}

// escape makes a free-form string (a consultant's subject) safe as a key
// part: index keys separate their parts with NUL.
func escape(s string) string {
	if !strings.ContainsAny(s, "%\x00") {
		return s
	}
	return escaper.Replace(s)
}

func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return unescaper.Replace(s)
}

var (
	escaper   = strings.NewReplacer("%", "%25", "\x00", "%00")
	unescaper = strings.NewReplacer("%00", "\x00", "%25", "%")
)

// notOwn is the refusal of an entry a consultant may not reach. A
// consultant lists only their own entries, so whether another id exists
// is not theirs to know: another consultant's entry and one that does not
// exist get this same answer (ownOrMissing), as AIP-211 asks ("permission
// denied, or it might not exist"), like another region's resource
// (OUTSIDE_REGION).
func notOwn(name string) error {
	return errs.NotOwnEntry.With(errs.Error{
		Message:  "consultants may only see and change their own support entries; " + name + " is not one of yours, or does not exist",
		Metadata: map[string]string{"resource": name},
	})
}

// ownOrMissing is err, the failed read of the entry called name, as p
// sees it: a missing entry is notOwn for a consultant.
func ownOrMissing(p principal.Principal, name string, err error) error {
	if p.Role == principal.Consultant && errs.CodeOf(err) == errs.NotFound {
		return notOwn(name)
	}
	return err
}

// summariesOnly is the refusal of entry-level data to the roles that get
// aggregates only.
func summariesOnly(p principal.Principal) error {
	return errs.SummariesOnly.New("the %s role gets support summaries without consultants' details: summarize, or export with group_by, without a consultant", p.Role)
}
