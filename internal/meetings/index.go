package meetings

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// The indexes every write keeps in step with the meetings, in the same
// transaction. Their keys start with a date ("YYYY-MM-DD..."), so key order
// is time order; the values carry what lists filter on, so a list decodes
// only the meetings it returns.
//
// The store scans an index by prefix, forwards from after a position
// (IndexScanAfter) or backwards from before one (IndexScanBefore). Each
// index is partitioned by month: a companion index lists the months that
// have keys (with their count), and a scan reads the months in range one
// prefix at a time, so that a page skips the months outside its filter's
// range. A page resumes at its token's position, in either order.
var (
	// byStart holds "{start time, UTC}\x00{meeting id}" -> meeting attrs.
	byStart = monthIndex{keys: "meeting_by_start", months: "meeting_by_start_months"}
	// allItems holds "{due date}\x00{meeting id}\x00{item id}" -> item
	// attrs, for every action item.
	allItems = monthIndex{keys: "meeting_action_items", months: "meeting_action_items_months"}
	// openItems is allItems for the OPEN items only: the overdue ones are
	// its keys before today.
	openItems = monthIndex{keys: "meeting_open_action_items", months: "meeting_open_action_items_months"}
)

// timeKeyLayout writes a time with a fixed width, so that keys sort in
// time order (years are four digits: meetings are from 2014 to 2100).
const timeKeyLayout = "2006-01-02T15:04:05.000000000Z"

func timeKey(ts *timestamppb.Timestamp) string {
	return ts.AsTime().UTC().Format(timeKeyLayout)
}

// startKey is a meeting's key in byStart.
func startKey(mt *famiv1.Meeting) string {
	return store.Key(timeKey(mt.GetStartTime()), resource.ID(mt.GetName()))
}

// itemKey is an action item's key in allItems and openItems.
func itemKey(mt *famiv1.Meeting, it *famiv1.ActionItem) string {
	return store.Key(it.GetDueDate(), resource.ID(mt.GetName()), it.GetId())
}

// networkIDs joins the ids of a meeting's networks with spaces (ids have
// none).
func networkIDs(mt *famiv1.Meeting) string {
	ids := make([]string, len(mt.GetNetworks()))
	for i, n := range mt.GetNetworks() {
		ids[i] = resource.ID(n)
	}
	return strings.Join(ids, " ")
}

// meetingAttrs is what ListMeetings filters on: state, kind, network ids,
// facilitator (last: a subject may hold any character).
type meetingAttrs struct {
	state, kind int
	networks    []string
	facilitator string
}

func encodeMeetingAttrs(mt *famiv1.Meeting) string {
	return store.Key(strconv.Itoa(int(mt.GetState())), strconv.Itoa(int(mt.GetKind())), networkIDs(mt), mt.GetFacilitator())
}

func decodeMeetingAttrs(v string) meetingAttrs {
	parts, _ := store.SplitKey(v, 4)
	st, _ := strconv.Atoi(parts[0])
	kind, _ := strconv.Atoi(parts[1])
	return meetingAttrs{state: st, kind: kind, networks: strings.Fields(parts[2]), facilitator: parts[3]}
}

// itemAttrs is what ListActionItems filters on: status, owner partner id,
// network ids of the meeting.
type itemAttrs struct {
	status   int
	owner    string
	networks []string
}

func encodeItemAttrs(mt *famiv1.Meeting, it *famiv1.ActionItem) string {
	return store.Key(strconv.Itoa(int(it.GetStatus())), resource.ID(it.GetOwner()), networkIDs(mt))
}

func decodeItemAttrs(v string) itemAttrs {
	parts, _ := store.SplitKey(v, 3)
	st, _ := strconv.Atoi(parts[0])
	return itemAttrs{status: st, owner: parts[1], networks: strings.Fields(parts[2])}
}

// index adds a meeting's entries to the indexes.
func index(tx store.WriteTx, mt *famiv1.Meeting) error {
	if err := byStart.put(tx, startKey(mt), encodeMeetingAttrs(mt)); err != nil {
		return err
	}
	for _, it := range mt.GetActionItems() {
		k := itemKey(mt, it)
		if err := allItems.put(tx, k, encodeItemAttrs(mt, it)); err != nil {
			return err
		}
		if it.GetStatus() == famiv1.ActionItemStatus_ACTION_ITEM_STATUS_OPEN {
			if err := openItems.put(tx, k, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// unindex removes a meeting's entries (nil: none) from the indexes.
func unindex(tx store.WriteTx, mt *famiv1.Meeting) error {
	if mt == nil {
		return nil
	}
	if err := byStart.del(tx, startKey(mt)); err != nil {
		return err
	}
	for _, it := range mt.GetActionItems() {
		k := itemKey(mt, it)
		if err := allItems.del(tx, k); err != nil {
			return err
		}
		if err := openItems.del(tx, k); err != nil {
			return err
		}
	}
	return nil
}

// monthIndex is an index whose keys start with "YYYY-MM", with a companion
// index of the months that have keys.
type monthIndex struct{ keys, months string }

// put stores value under key, counting a new key in its month.
func (ix monthIndex) put(tx store.WriteTx, key, value string) error {
	if _, ok := tx.IndexGet(ix.keys, key); !ok {
		if err := ix.count(tx, key[:7], 1); err != nil {
			return err
		}
	}
	return tx.IndexPut(ix.keys, key, value)
}

// del removes key, if present, and its count in its month.
func (ix monthIndex) del(tx store.WriteTx, key string) error {
	if _, ok := tx.IndexGet(ix.keys, key); !ok {
		return nil
	}
	if err := ix.count(tx, key[:7], -1); err != nil {
		return err
	}
	return tx.IndexDelete(ix.keys, key)
}

func (ix monthIndex) count(tx store.WriteTx, month string, delta int) error {
	n := 0
	if v, ok := tx.IndexGet(ix.months, month); ok {
		n, _ = strconv.Atoi(v)
	}
	n += delta
	if n <= 0 {
		return tx.IndexDelete(ix.months, month)
	}
	return tx.IndexPut(ix.months, month, strconv.Itoa(n))
}

// scanDesc is scan in reverse key order: it calls fn for each key k with
// from <= k, k < to (no bound when to is "") and k < before (when before
// is not ""), the last first, until fn returns false. It reads the months
// in range from the last, and each month's keys back from the bound
// (store.ReadTx.IndexScanBefore), so a page reads the keys it answers and
// the one after, where reading a month forwards read it from its first
// key. A month is a scan's prefix: on etcd, which sorts a descending range
// whole before it limits it, one month is what a page costs the cluster.
func (ix monthIndex) scanDesc(tx store.ReadTx, from, to, before string, fn func(key, value string) bool) {
	hi := to
	if before != "" && (hi == "" || before < hi) {
		hi = before
	}
	monthsBefore := "" // every month
	if hi != "" {
		monthsBefore = hi[:min(7, len(hi))] + "\x00" // the months up to hi's
	}
	tx.IndexScanBefore(ix.months, "", monthsBefore, func(m, _ string) bool {
		if len(from) >= 7 && m < from[:7] {
			return false
		}
		more := true
		tx.IndexScanBefore(ix.keys, m, hi, func(k, v string) bool {
			more = k >= from && fn(k, v)
			return more
		})
		return more
	})
}

// scan calls fn, in key order, for each key k with from <= k, k < to (no
// bound when to is "") and k > after (when after is not ""), until fn
// returns false. It reads only the months in range, one prefix at a time.
func (ix monthIndex) scan(tx store.ReadTx, from, to, after string, fn func(key, value string) bool) {
	lo := from
	if after > lo {
		lo = after
	}
	var months []string
	tx.IndexScan(ix.months, "", func(m, _ string) bool {
		if len(lo) >= 7 && m < lo[:7] {
			return true
		}
		if to != "" && len(to) >= 7 && m > to[:7] {
			return false
		}
		months = append(months, m)
		return true
	})
	for _, m := range months {
		stop := false
		// A page resumes after its token's position: its month is read
		// from there, not again from its first key (the earlier months
		// are not read at all).
		tx.IndexScanAfter(ix.keys, m, after, func(k, v string) bool {
			if k < from {
				return true
			}
			if to != "" && k >= to {
				stop = true
				return false
			}
			if !fn(k, v) {
				stop = true
				return false
			}
			return true
		})
		if stop {
			return
		}
	}
}
