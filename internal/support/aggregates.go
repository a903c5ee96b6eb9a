package support

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/store"
)

// The aggregate cells.
//
// Every entry adds its figures (one entry, its minutes, its operators by
// role) to cells of indexCells, in the transaction that writes it; an
// update or a review moves them (remove the old contribution, add the new
// one), a delete removes them. A cell's key is
//
//	{scope}\x00{period}\x00{dim}\x00{state}\x00{value}\x00{network}
//
//   - scope is "*" (the whole region) or "c:" and a consultant, so a
//     consultant's own summary reads only their cells;
//   - period is "d" and a day (YYYY-MM-DD) or "m" and a month (YYYY-MM):
//     a range reads the months it covers whole and the days of the months
//     it covers in part, at most 62 days;
//   - dim is "a" (value: the activity's number) or, in scope "*" only, "c"
//     (value: the consultant). Totals, networks, months and quarters are
//     read from the "a" cells (at most 7 activities per network);
//   - state is the entry state's number, so a state filter is a prefix;
//   - network is the network's id: it makes distinct networks exact for
//     any group and range (the set of networks of the group's cells) and
//     serves the network filter and a network member's view.
//
// An entry thus touches 3 cells per period, 6 in all. A cell disappears
// when its last entry leaves, so reads only meet cells with entries: a
// summary reads at most (months + edge days) x states x groups x networks
// cells (groups: 7 activities, or the consultants), never an entry.

// numRoles is the number of SupportOperatorRole values cells count.
const numRoles = 7

// cell is what a set of entries adds up to.
type cell struct {
	entries, minutes int64
	ops              [numRoles]int64
}

func (c *cell) add(o *cell, sign int64) {
	c.entries += sign * o.entries
	c.minutes += sign * o.minutes
	for i := range c.ops {
		c.ops[i] += sign * o.ops[i]
	}
}

func (c *cell) negative() bool {
	if c.entries < 0 || c.minutes < 0 {
		return true
	}
	for _, n := range c.ops {
		if n < 0 {
			return true
		}
	}
	return false
}

// operators is the total of operators reached.
func (c *cell) operators() int64 {
	var n int64
	for _, o := range c.ops {
		n += o
	}
	return n
}

// encode writes a cell as unsigned varints: entries, minutes, then the
// operators by role up to the last role reached.
func (c *cell) encode() string {
	last := len(c.ops)
	for last > 0 && c.ops[last-1] == 0 {
		last--
	}
	b := make([]byte, 0, 4+last)
	b = binary.AppendUvarint(b, uint64(c.entries))
	b = binary.AppendUvarint(b, uint64(c.minutes))
	for _, o := range c.ops[:last] {
		b = binary.AppendUvarint(b, uint64(o))
	}
	return string(b)
}

var errCorruptCell = errors.New("support: corrupt aggregate cell")

func decodeCell(s string) (cell, error) {
	var c cell
	b := []byte(s)
	next := func() (int64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return int64(v), true
	}
	var ok bool
	if c.entries, ok = next(); !ok {
		return c, errCorruptCell
	}
	if c.minutes, ok = next(); !ok {
		return c, errCorruptCell
	}
	for i := 0; len(b) > 0 && i < numRoles; i++ {
		if c.ops[i], ok = next(); !ok {
			return c, errCorruptCell
		}
	}
	return c, nil
}

// contribution is what one entry adds to the aggregates.
type contribution struct {
	consultant string // escaped
	network    string // id
	activity   string // the enum's number
	state      string // the enum's number
	date       string
	cell       cell
}

func contributionOf(e *famiv1.SupportEntry) contribution {
	ct := contribution{
		consultant: escape(e.GetConsultant()),
		network:    idOf(e.GetNetwork()),
		activity:   strconv.Itoa(int(e.GetActivity())),
		state:      strconv.Itoa(int(e.GetState())),
		date:       e.GetDate(),
		cell:       cell{entries: 1, minutes: int64(e.GetDurationMinutes())},
	}
	for _, o := range e.GetOperatorsReached() {
		if r := int(o.GetRole()); r >= 1 && r <= numRoles {
			ct.cell.ops[r-1] += int64(o.GetCount())
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
)

func dayPeriod(date string) string    { return "d" + date }
func monthPeriod(month string) string { return "m" + month }

// cellPrefix is the key prefix of the cells of one scope, period,
// dimension and state.
func cellPrefix(scope, period, dim, state string) string {
	return scope + "\x00" + period + "\x00" + dim + "\x00" + state + "\x00"
}

// cellKeys lists the cells a contribution goes to.
func cellKeys(ct contribution) []string {
	keys := make([]string, 0, 6)
	own := scopeConsultant + ct.consultant
	for _, period := range []string{dayPeriod(ct.date), monthPeriod(ct.date[:7])} {
		keys = append(keys,
			cellPrefix(scopeRegion, period, dimActivity, ct.state)+ct.activity+"\x00"+ct.network,
			cellPrefix(scopeRegion, period, dimConsultant, ct.state)+ct.consultant+"\x00"+ct.network,
			cellPrefix(own, period, dimActivity, ct.state)+ct.activity+"\x00"+ct.network,
		)
	}
	return keys
}

// applyCells adds (sign 1) or removes (sign -1) a contribution.
func applyCells(tx store.WriteTx, ct contribution, sign int64) error {
	for _, k := range cellKeys(ct) {
		var c cell
		if v, ok := tx.IndexGet(indexCells, k); ok {
			var err error
			if c, err = decodeCell(v); err != nil {
				return err
			}
		}
		c.add(&ct.cell, sign)
		switch {
		case c.negative():
			return fmt.Errorf("support: aggregate cell %q would go negative", k)
		case c.entries == 0:
			if err := tx.IndexDelete(indexCells, k); err != nil {
				return err
			}
		default:
			if err := tx.IndexPut(indexCells, k, c.encode()); err != nil {
				return err
			}
		}
	}
	return nil
}
