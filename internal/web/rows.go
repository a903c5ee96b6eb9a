package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/raccordo/raccordo/internal/errs"
)

// rowGroups are the forms' groups of rows a user fills and adds to: a
// network's members, a protocol's parties, a project's actions, the
// lines of its financial plan ("budget") and the activities of its
// timetable ("activity"), a report's
// deviations and people reached, a meeting's new action items. Each row
// is a set of fields named "group.i.field" (see formRows). The report's
// activities, indicators and expenditures are numbered too, but after the
// project's plan, one row per planned item, and read as such.
var rowGroups = []string{"member", "party", "action", "budget", "activity", "dev", "ppl", "ai"}

// rowKey splits a form field's name "group.i.field" of one of rowGroups
// into its group and row; ok is false for any other field. bad is true for
// a field of a group whose row is not a row number as a page writes it (a
// non-negative decimal without leading zeros, within int), or that names
// a row and no field ("member.0").
func rowKey(name string) (group string, row int, ok, bad bool) {
	group, rest, found := strings.Cut(name, ".")
	if !found || !slices.Contains(rowGroups, group) {
		return "", 0, false, false
	}
	digits, _, hasField := strings.Cut(rest, ".")
	row, err := strconv.Atoi(digits)
	if !hasField || err != nil || row < 0 || strconv.Itoa(row) != digits {
		return group, 0, false, true
	}
	return group, row, true, false
}

// maxFormRows is the most rows of one group a form may send: above every
// limit the services set on a group (500 members, 500 report lines, 200
// parties or action items), with room for the spare rows, so that a
// refused form of a hostile number of rows (a 4 MB form holds 200,000)
// is not shown again row by row, a page of some 100 MB.
const maxFormRows = 1000

// renumberRows numbers each group's rows in v 0, 1, 2... in the order of
// the numbers the form gave them, so that every reader of a group, which
// reads rows 0 to rowCount, reads every row sent: a form that skips a
// number (a hostile one, or a page whose script removed a row) lost the
// rows after the gap. Its work is bounded by the fields the form holds,
// never by the numbers they carry: "member.1000000.partner" alone becomes
// "member.0.partner". It returns why the form reader refuses v, in
// Italian, naming the field or group, or "": a field of a group whose row
// is no row number, or a group of more than maxFormRows rows.
func renumberRows(v url.Values) (refusal string) {
	rows := map[string][]int{}
	bad := ""
	for name := range v {
		group, row, isRow, isBad := rowKey(name)
		if isBad && (bad == "" || name < bad) {
			bad = name
		}
		if isRow {
			rows[group] = append(rows[group], row)
		}
	}
	if bad != "" {
		return msgf("error.form_row_detail", errs.Clip(bad, errs.MaxEcho))
	}
	for _, group := range rowGroups {
		numbers := rows[group]
		if len(numbers) == 0 {
			continue
		}
		slices.Sort(numbers)
		numbers = slices.Compact(numbers)
		if len(numbers) > maxFormRows {
			return msgf("error.form_rows_detail", maxFormRows, group)
		}
		if numbers[len(numbers)-1] == len(numbers)-1 {
			continue // 0..n-1 already
		}
		renumbered := url.Values{}
		for name, values := range v {
			g, row, isRow, _ := rowKey(name)
			if !isRow || g != group {
				continue
			}
			i, _ := slices.BinarySearch(numbers, row)
			_, field, _ := strings.Cut(strings.TrimPrefix(name, group+"."), ".")
			renumbered[group+"."+strconv.Itoa(i)+"."+field] = values
			delete(v, name)
		}
		for name, values := range renumbered {
			v[name] = values
		}
	}
	return ""
}

// rowCount is the number of rows of a group that v holds (renumbered by
// renumberRows, so 0 to n-1), whichever of its fields each row sends: a
// reader that stopped at the first row without its key field (a party
// without a partner) dropped that row and the ones after it.
func rowCount(v url.Values, group string) int {
	n := 0
	for name := range v {
		if g, row, isRow, _ := rowKey(name); isRow && g == group && row >= n {
			n = row + 1
		}
	}
	return n
}

// formRows numbers the rows of a group of the form (one of rowGroups, as
// renumbered by renumberRows): every row up to the last one with a value
// in any of its fields, and spare empty ones after it. A row left empty
// between filled ones is shown again as it was sent, empty: before, the
// rows were counted up to the first whose key field was empty, and the
// rows after it were missing from the form shown again after a refusal,
// to be lost at its next save.
func formRows(fm *form, group string, spare int) []int {
	n := 0
	for name, values := range fm.Values {
		g, row, isRow, _ := rowKey(name)
		if isRow && g == group && row >= n && slices.ContainsFunc(values, func(s string) bool { return s != "" }) {
			n = row + 1
		}
	}
	rows := make([]int, n+spare)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// typedIn reports whether a row's field holds what the user typed or
// chose: a value, and, for a choice the page sends back as it showed it
// (field+"_shown": a recorded party's role), another one. A choice left
// as the page showed it is not work that a removal loses, and counting it
// would make every removal reset it too.
func typedIn(v url.Values, field string) bool {
	value := strings.TrimSpace(v.Get(field))
	shown, sent := v[field+"_shown"]
	return value != "" && (!sent || len(shown) == 0 || strings.TrimSpace(shown[0]) != value)
}

// halfRow reports whether the row of a group whose fields start with k
// ("party.1.") has its key field empty while one of its typed fields is
// not (typedIn): a row half filled by a user who forgot its key. A row
// whose every field is empty, or shows only what the page showed, is a
// removal: clearing the key is how the form removes a row.
func halfRow(v url.Values, k, key string, typed []string) bool {
	return strings.TrimSpace(v.Get(k+key)) == "" && slices.ContainsFunc(typed, func(field string) bool { return typedIn(v, k+field) })
}

// sentRows are the rows of group in v (renumbered by renumberRows) that a
// form sends to the service, in order: each whose key field is filled, and
// each half filled (halfRow), for the service to refuse its missing key,
// as it refuses it from any client (keyMissing says so on the row). Before,
// the page refused such a row itself, a copy of the service's rule, and
// the form's other faults showed only at the next save.
func sentRows(v url.Values, group, key string, typed ...string) []int {
	var rows []int
	for i := range rowCount(v, group) {
		k := group + "." + strconv.Itoa(i) + "."
		if strings.TrimSpace(v.Get(k+key)) != "" || halfRow(v, k, key, typed) {
			rows = append(rows, i)
		}
	}
	return rows
}

// keyMissing is the rowFault of a list the service names list
// ("parties"), whose i-th element the form sent from its row rows[i] of
// group (sentRows): the service's violation of an element's key, when
// the row sent none, is placed at the row's key field in the words of
// mark, which say what to do (choose it, or empty the row). Any other
// violation is left to absorb's rule, its list's.
func keyMissing(v url.Values, list, group, key string, rows []int, mark string) rowFault {
	return func(field string) (string, string, bool) {
		head, tail, _ := strings.Cut(field, ".")
		i, ok := errs.IndexIn(head, list)
		if !ok || i >= len(rows) || tail != key {
			return "", "", false
		}
		name := group + "." + strconv.Itoa(rows[i]) + "." + key
		if strings.TrimSpace(v.Get(name)) != "" {
			return "", "", false
		}
		return name, msg(mark), true
	}
}

// rowMark is where a violation of a list element's field goes on the
// element's row: the row's field (the part after "group.i.") and the
// catalogue key of the words shown there.
type rowMark struct{ field, text string }

// rowMarks is the rowFault of a list the service names list
// ("financial_plan"), whose i-th element the form sent from its row
// rows[i] of group (sentRows): a violation of an element's field that
// marks names (the service's field, "budget_cents") is placed on that
// row's field, in its words, as a party's or an action's are; a violation
// of the list as a whole, or of a field marks does not name, is left to
// absorb's rule, its list's.
func rowMarks(list, group string, rows []int, marks map[string]rowMark) rowFault {
	return func(field string) (string, string, bool) {
		head, tail, _ := strings.Cut(field, ".")
		i, ok := errs.IndexIn(head, list)
		m, known := marks[tail]
		if !ok || !known || i >= len(rows) {
			return "", "", false
		}
		return group + "." + strconv.Itoa(rows[i]) + "." + m.field, msg(m.text), true
	}
}

// eitherFault is the rowFault of a form with several lists shown row by
// row: the first of faults that places the violation.
func eitherFault(faults ...rowFault) rowFault {
	return func(field string) (string, string, bool) {
		for _, f := range faults {
			if name, text, ok := f(field); ok {
				return name, text, true
			}
		}
		return "", "", false
	}
}
