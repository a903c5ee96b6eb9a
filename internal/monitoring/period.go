package monitoring

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/raccordo/raccordo/internal/errs"
)

// quarter is a calendar quarter, the monitoring period.
type quarter struct {
	year, n int // n is 1 to 4
}

var periodPattern = regexp.MustCompile(`^(20[0-9]{2})-q([1-4])$`)

// parsePeriod reads a period id, "2021-q1".
func parsePeriod(s string) (quarter, bool) {
	m := periodPattern.FindStringSubmatch(s)
	if m == nil {
		return quarter{}, false
	}
	y, _ := strconv.Atoi(m[1])
	return quarter{year: y, n: int(m[2][0] - '0')}, true
}

// periodOf reads a request's period, refusing one that is no quarter
// naming the field.
func periodOf(s string) (quarter, error) {
	q, ok := parsePeriod(s)
	if !ok {
		return quarter{}, errs.InvalidField("period", "%q is not a quarter: want YYYY-qN, e.g. 2021-q1", errs.Clip(s, errs.MaxEcho))
	}
	return q, nil
}

// CheckPeriod refuses a period that is no quarter, naming the field
// "period", as every summary of a quarter does: for a reader that asks
// monitoring's summaries after other reads (the dashboard), so that a bad
// period is refused before them, and whatever regions answer.
func CheckPeriod(s string) error {
	_, err := periodOf(s)
	return err
}

func (q quarter) String() string { return fmt.Sprintf("%d-q%d", q.year, q.n) }

// previous is the quarter before q. Periods sort as text, so the cells
// of the quarters before q are those up to it.
func (q quarter) previous() quarter {
	if q.n == 1 {
		return quarter{year: q.year - 1, n: 4}
	}
	return quarter{year: q.year, n: q.n - 1}
}

// start is the quarter's first day.
func (q quarter) start() time.Time {
	return time.Date(q.year, time.Month(3*q.n-2), 1, 0, 0, 0, 0, time.UTC)
}

// end is the quarter's last day.
func (q quarter) end() time.Time {
	return q.start().AddDate(0, 3, -1)
}

// date parses a YYYY-MM-DD date already validated.
func date(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}
