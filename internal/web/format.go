package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/raccordo/raccordo/internal/money"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/territory"
)

var funcs = template.FuncMap{
	"t":        msgf,
	"tn":       msgn,
	"label":    label,
	"date":     formatDate,
	"datetime": formatTimestamp,
	"span":     formatSpan,
	"duration": formatMinutes,
	"minutes":  func(m int32) string { return formatMinutes(int64(m)) },
	"euro":     money.Italian,
	"short":    shortHash,
	"id":       resource.ID,
	"page":     pageOf,
	"fld":      fld,
	"rowfld":   rowFld,
	"sel":      sel,
	"checks":   checks,
	"optional": optional,
	"list":     func(v ...any) []any { return v },
	"inc":      func(i int) int { return i + 1 },
	"quarter":  formatQuarter,
	"about":    flagAbout,
	"percent":  formatPercent,
	"number":   formatNumber,
	"options":  options,
	"choices":  choices,
	"person":   person,
	"system":   func(subject string) string { return strings.TrimPrefix(subject, principal.SystemPrefix) },
}

// person is who did something, for people to read: the display name the
// record kept beside the subject (submitted_by_display_name, a change's
// principal_display_name, ...). A record written without one (before the
// API kept names, or by a token minted without a name) gets a label made
// from the subject, never the subject as it is: an account's username
// ("mrossi@lombardia", what its owner signs in with; the account may have
// been deleted since, so its current name is not looked up), "sistema …"
// for a regional system, "anonimo" for a survey answer, "utenza tecnica"
// for any other machine credential, "piattaforma" for none.
func person(subject, name string) string {
	if n := personName(subject, name); n != "" {
		return n
	}
	if subject == "" {
		return msg("common.person_platform")
	}
	return msg("common.person_tool")
}

// personName is the name person gives subject: "" for a machine credential
// minted without a name (a bootstrap token), which names no one.
func personName(subject, name string) string {
	switch {
	case name != "":
		return name
	case strings.HasPrefix(subject, principal.AccountPrefix):
		return strings.TrimPrefix(subject, principal.AccountPrefix)
	case strings.HasPrefix(subject, principal.SystemPrefix):
		return msgf("common.person_system", strings.TrimPrefix(subject, principal.SystemPrefix))
	case subject == principal.Anonymous.Subject:
		return msg("common.person_anonymous")
	}
	return ""
}

// italianDate is the layout of a date as the pages show it and people
// type it: dd/mm/yyyy.
const italianDate = "02/01/2006"

// formatDate shows a "YYYY-MM-DD" calendar date as dd/mm/yyyy; anything else
// is shown as it is.
func formatDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format(italianDate)
}

// typedDate is the layout parseDate reads: italianDate, whose day and
// month may also be typed with one digit (1/3/2026), as Italians often
// write them; the year keeps its four.
const typedDate = "2/1/2006"

// parseDate reads a date typed as dd/mm/yyyy (typedDate) or given by a date
// input (YYYY-MM-DD) and returns it as the API's "YYYY-MM-DD"; anything
// else is passed on unchanged, for the service to refuse with a field
// violation.
func parseDate(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(typedDate, s); err == nil {
		return t.Format(time.DateOnly)
	}
	return s
}

// formatTimestamp shows an instant as dd/mm/yyyy hh:mm in Europe/Rome.
func formatTimestamp(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	t := ts.AsTime().In(territory.Rome)
	return t.Format(italianDate) + " " + clockTime(t)
}

// clockTime shows t's time of day (hh:mm, t in Europe/Rome), saying which
// of the two it is when the clocks show it twice that day, the night
// summer time ends (wallTimes): "02:30 (ora solare)". The time alone
// named two instants an hour apart.
func clockTime(t time.Time) string {
	hm := t.Format("15:04")
	h, m, _ := t.Clock()
	for _, other := range []time.Time{t.Add(-time.Hour), t.Add(time.Hour)} {
		if oh, om, _ := other.Clock(); oh != h || om != m || other.Day() != t.Day() {
			continue
		}
		if t.IsDST() {
			return msgf("time.summer", hm)
		}
		return msgf("time.winter", hm)
	}
	return hm
}

// formatSpan shows a meeting's time from start to end; one day is written
// once ("27/11/2026 dalle 13:24 alle 15:24"), as people say it.
func formatSpan(start, end *timestamppb.Timestamp) string {
	if start == nil || end == nil {
		return formatTimestamp(start) + " – " + formatTimestamp(end)
	}
	s, e := start.AsTime().In(territory.Rome), end.AsTime().In(territory.Rome)
	if s.Format(time.DateOnly) != e.Format(time.DateOnly) {
		return formatTimestamp(start) + " – " + formatTimestamp(end)
	}
	return msgf("meetings.span_day", s.Format(italianDate), clockTime(s), clockTime(e))
}

// formatMinutes shows a duration as Italian officers write it: "1 h 30 min".
func formatMinutes(m int64) string {
	h, min := m/60, m%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", min)
	case min == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, min)
}

// shortHash abbreviates a content hash for tables; the full hash is shown
// where it is signed.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
