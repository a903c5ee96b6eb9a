package support

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// The aggregate cells.
//
// Every entry adds its figures (one entry, its minutes, its operators by
// role) to cells of indexCells, in the transaction that writes it; an
// update or a review moves them (remove the old contribution, add the new
// one), a delete removes them. A cell's key is
//
//	{kind}{month}\x00{scope}\x00{dim}\x00{state}\x00{value}\x00{network}
//
//   - kind and month: "t" and YYYY-MM for a month's total figures, "d" and
//     YYYY-MM for the same total followed by the figures of each day of the
//     month with entries. A range reads the small "t" cells of the months
//     it covers whole and the "d" cells of the (at most two) months it
//     covers in part, summing the days inside the range;
//   - scope is "*" (the whole region) or "c:" and a consultant, so a
//     consultant's own summary reads only their cells;
//   - dim is "a" (value: the activity's number) or, in scope "*" only, "c"
//     (value: the consultant). Totals, networks, months and quarters are
//     read from the "a" cells (at most 7 activities per network);
//   - state is the entry state's number, so a state filter is a prefix;
//   - network is the network's id: it makes distinct networks exact for
//     any group and range (the set of networks of the group's cells) and
//     serves the network filter and a network member's view.
//
// An entry thus touches 6 cells, in two places of the index (its month's
// "t" and "d" cells), and 4 more plus 4 per contact when it names contacts
// (dims "e" and "k", in both scopes: see dimContact). A cell disappears when its last entry leaves, so
// reads only meet cells with entries: a summary reads at most months x
// states x groups x networks cells (groups: the 7 activities, or the
// consultants), never an entry.

// numRoles is the number of SupportOperatorRole values cells count.
const numRoles = 7

// figures is what a set of entries adds up to.
type figures struct {
	entries, minutes int64
	ops              [numRoles]int64
}

func (f *figures) add(o *figures, sign int64) {
	f.entries += sign * o.entries
	f.minutes += sign * o.minutes
	for i := range f.ops {
		f.ops[i] += sign * o.ops[i]
	}
}

func (f *figures) negative() bool {
	if f.entries < 0 || f.minutes < 0 {
		return true
	}
	for _, n := range f.ops {
		if n < 0 {
			return true
		}
	}
	return false
}

// operators is the total of operators reached.
func (f *figures) operators() int64 {
	var n int64
	for _, o := range f.ops {
		n += o
	}
	return n
}

// appendFigures writes figures as unsigned varints: entries, minutes, the
// number k of roles up to the last one reached, then those k counts.
func appendFigures(b []byte, f *figures) []byte {
	k := len(f.ops)
	for k > 0 && f.ops[k-1] == 0 {
		k--
	}
	b = binary.AppendUvarint(b, uint64(f.entries))
	b = binary.AppendUvarint(b, uint64(f.minutes))
	b = binary.AppendUvarint(b, uint64(k))
	for _, o := range f.ops[:k] {
		b = binary.AppendUvarint(b, uint64(o))
	}
	return b
}

var errCorruptCell = errors.New("support: corrupt aggregate cell")

// cellReader reads a cell's varints.
type cellReader struct {
	b   []byte
	err error
}

func (r *cellReader) next() int64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCorruptCell
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return int64(v)
}

func (r *cellReader) figures(f *figures) {
	f.entries, f.minutes = r.next(), r.next()
	k := int(r.next())
	for i := 0; i < k && r.err == nil; i++ {
		if n := r.next(); i < numRoles {
			f.ops[i] = n
		}
	}
}

// A cell's value is the month's total figures, then, for each day of the
// month with entries in increasing order, the day's number and figures.

// updateCell returns the value of a cell (old: "" for a new one) once the
// figures f are added (sign 1) or removed (sign -1) on day, and the month's
// number of entries after the change (0: the cell is empty).
func updateCell(old string, day int, f *figures, sign int64) (string, int64, error) {
	r := cellReader{b: []byte(old)}
	var total figures
	if old != "" {
		r.figures(&total)
	}
	total.add(f, sign)
	if total.negative() {
		return "", 0, errNegativeCell
	}
	out := appendFigures(make([]byte, 0, len(old)+16), &total)
	changed := false
	// change adds f to the figures of day (zero if the day had none) and
	// appends the day's record unless it is left empty.
	change := func(cur figures) error {
		cur.add(f, sign)
		if cur.negative() {
			return errNegativeCell
		}
		if cur.entries != 0 {
			out = binary.AppendUvarint(out, uint64(day))
			out = appendFigures(out, &cur)
		}
		changed = true
		return nil
	}
	for len(r.b) > 0 && r.err == nil {
		d := int(r.next())
		var cur figures
		r.figures(&cur)
		switch {
		case !changed && d == day:
			if err := change(cur); err != nil {
				return "", 0, err
			}
			continue
		case !changed && d > day:
			if err := change(figures{}); err != nil {
				return "", 0, err
			}
		}
		out = binary.AppendUvarint(out, uint64(d))
		out = appendFigures(out, &cur)
	}
	if r.err != nil {
		return "", 0, r.err
	}
	if !changed {
		if err := change(figures{}); err != nil {
			return "", 0, err
		}
	}
	return string(out), total.entries, nil
}

var errNegativeCell = errors.New("support: an aggregate cell would go negative")

// readCell returns the figures of a cell's days from first to last (1 and
// 31: the whole month, read from the total alone).
func readCell(s string, first, last int) (figures, error) {
	var f figures
	r := cellReader{b: []byte(s)}
	if first <= 1 && last >= 31 {
		r.figures(&f)
		return f, r.err
	}
	var skip figures
	r.figures(&skip)
	for len(r.b) > 0 && r.err == nil {
		d := int(r.next())
		var day figures
		r.figures(&day)
		if d > last {
			break
		}
		if d >= first {
			f.add(&day, 1)
		}
	}
	return f, r.err
}

// contribution is what one entry adds to the aggregates.
type contribution struct {
	consultant string   // escaped
	network    string   // id
	contacts   []string // ids of the contacts it names
	activity   string   // the enum's number
	state      string   // the enum's number
	month      string   // YYYY-MM
	day        int
	figures    figures
}

func contributionOf(e *famiv1.SupportEntry) contribution {
	date := e.GetDate()
	day, _ := strconv.Atoi(date[8:10])
	ct := contribution{
		consultant: escape(e.GetConsultant()),
		network:    resource.ID(e.GetNetwork()),
		activity:   strconv.Itoa(int(e.GetActivity())),
		state:      strconv.Itoa(int(e.GetState())),
		month:      date[:7],
		day:        day,
		figures:    figures{entries: 1, minutes: int64(e.GetDurationMinutes())},
	}
	for _, c := range e.GetContacts() {
		ct.contacts = append(ct.contacts, resource.ID(c))
	}
	for _, o := range e.GetOperatorsReached() {
		if r := int(o.GetRole()); r >= 1 && r <= numRoles {
			ct.figures.ops[r-1] += int64(o.GetCount())
		}
	}
	return ct
}

// Cell key parts.
const (
	scopeRegion     = "*"
	scopeConsultant = "c:"
	dimActivity     = "a"
	dimConsultant   = "c"
	// dimContact cells count, per contact (value: the contact's id), the
	// entries naming it; dimNaming cells (value: "n") the entries naming
	// contacts at all. Both exist in both scopes, so distinct contacts are
	// exact for any range, state, consultant and network: the set of
	// contacts of the cells read.
	dimContact = "k"
	dimNaming  = "e"
)

// Cell kinds.
const (
	kindTotal = "t"
	kindDays  = "d"
)

// cellPrefix is the key prefix of the cells of one kind, month, scope,
// dimension and state.
func cellPrefix(kind, month, scope, dim, state string) string {
	return store.KeyPrefix(kind+month, scope, dim, state)
}

// cellUpdate is a cell a contribution goes to (without its kind) and the
// figures it adds there.
type cellUpdate struct {
	key     string
	figures *figures
}

// cellKeys lists the cells a contribution goes to.
func cellKeys(ct contribution) []cellUpdate {
	out := []cellUpdate{
		{cellPrefix("", ct.month, scopeRegion, dimActivity, ct.state) + store.Key(ct.activity, ct.network), &ct.figures},
		{cellPrefix("", ct.month, scopeRegion, dimConsultant, ct.state) + store.Key(ct.consultant, ct.network), &ct.figures},
		{cellPrefix("", ct.month, scopeConsultant+ct.consultant, dimActivity, ct.state) + store.Key(ct.activity, ct.network), &ct.figures},
	}
	if len(ct.contacts) > 0 {
		one := &figures{entries: 1}
		for _, scope := range []string{scopeRegion, scopeConsultant + ct.consultant} {
			out = append(out, cellUpdate{cellPrefix("", ct.month, scope, dimNaming, ct.state) + store.Key("n", ct.network), one})
			for _, c := range ct.contacts {
				out = append(out, cellUpdate{cellPrefix("", ct.month, scope, dimContact, ct.state) + store.Key(c, ct.network), one})
			}
		}
	}
	return out
}

// applyCells adds (sign 1) or removes (sign -1) a contribution.
func applyCells(tx store.WriteTx, ct contribution, sign int64) error {
	for _, c := range cellKeys(ct) {
		k := c.key
		old, _ := tx.IndexGet(indexCells, kindDays+k)
		days, entries, err := updateCell(old, ct.day, c.figures, sign)
		if err != nil {
			return fmt.Errorf("support: aggregate cell %q: %w", k, err)
		}
		if entries == 0 {
			if err := tx.IndexDelete(indexCells, kindDays+k); err != nil {
				return err
			}
			if err := tx.IndexDelete(indexCells, kindTotal+k); err != nil {
				return err
			}
			continue
		}
		if err := tx.IndexPut(indexCells, kindDays+k, days); err != nil {
			return err
		}
		// The total is the head of the days cell.
		var total figures
		r := cellReader{b: []byte(days)}
		r.figures(&total)
		if err := tx.IndexPut(indexCells, kindTotal+k, string(appendFigures(nil, &total))); err != nil {
			return err
		}
	}
	return nil
}
