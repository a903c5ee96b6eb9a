package aip

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/territory"
	"github.com/raccordo/raccordo/sdk/paging"
)

// Merge is the order of a national list that merges its regions' lists
// into one (MergeAcross) instead of walking them region by region: a list
// by time (meetings by start time) is read newest or oldest first across
// Italy, not Abruzzo's then Basilicata's.
//
// Position gives an item's position in its region's list, the one its
// regional page token resumes after (what the List passes Page.Add); the
// regional list must page in the byte order of these positions, ascending,
// or descending when Desc. Items of several regions at the same position
// follow in region id order.
type Merge struct {
	Position func(proto.Message) string
	Desc     bool
}

// A merged national token is its own version: the key of the national
// request (requestKey), then, for each region not yet read to its end, its
// id and the position in its list the next page resumes after ("" for its
// start), each length-prefixed as positions are any bytes, or its id and
// "!" for a region left out (unreachable) on an earlier page.
const mergeTokenVersion = 'm'

// leftOutMark is a left-out region's length in a merged token.
const leftOutMark = "!"

// mergeState is where a merged national list stands: at holds the position
// of each region still to read ("" for its start), out the regions left
// out on an earlier page (ids, in id order), which each later page names
// in unreachable without reading them: their items there would come
// before what was answered since. A region read to its end is in neither.
type mergeState struct {
	at  map[string]string
	out []string
}

func encodeMerge(key string, st mergeState) string {
	var b strings.Builder
	for _, id := range RegionIDs() {
		if pos, ok := st.at[id]; ok {
			b.WriteString(id + ":" + strconv.Itoa(len(pos)) + ":" + pos)
		} else if slices.Contains(st.out, id) {
			b.WriteString(id + ":" + leftOutMark + ":")
		}
	}
	return encodeKeyed(mergeTokenVersion, key, b.String())
}

func decodeMerge(key, token string) (mergeState, error) {
	st := mergeState{at: map[string]string{}}
	if token == "" {
		for _, id := range RegionIDs() {
			st.at[id] = ""
		}
		return st, nil
	}
	rest, err := decodeKeyed(mergeTokenVersion, "", key, token)
	if err != nil {
		// A list that merges now walked the regions in id order before
		// (ListMeetings did): Across's token for this very request is
		// one of that earlier version, not a foreign one.
		if _, _, aerr := decodeAcross(key, token); aerr == nil {
			return mergeState{}, errOutOfDate()
		}
		return mergeState{}, err
	}
	bad := ErrForeignToken()
	for rest != "" {
		id, after, ok := strings.Cut(rest, ":")
		size, pos, ok2 := strings.Cut(after, ":")
		_, known := territory.LookupRegion(id)
		_, seen := st.at[id]
		if !ok || !ok2 || !known || seen || slices.Contains(st.out, id) {
			return mergeState{}, bad
		}
		if size == leftOutMark {
			st.out, rest = append(st.out, id), pos
			continue
		}
		n, err := strconv.Atoi(size)
		if err != nil || n < 0 || n > len(pos) {
			return mergeState{}, bad
		}
		st.at[id], rest = pos[:n], pos[n:]
	}
	if len(st.at) == 0 {
		return mergeState{}, bad
	}
	return st, nil
}

// errLeftOut is what the ListFunc of a national List answers for a region
// it leaves out (Skip), having named it in unreachable: Across passes over
// the region, MergeAcross also keeps it out of the later pages.
var errLeftOut = errors.New("aip: region left out of a national list")

// MergeAcross pages a list over every region in one order, by the
// position of its items (position), descending when desc (see Merge), as
// a merge of the regions' lists: each page reads, from every region not
// yet read to its end, a few items after that region's position (a share
// of the page, firstRead), and answers the first of them in the merged
// order, as many as its size and MaxPageBytes allow (bytes is an item's
// size as answered: each region's page is within MaxPageBytes, the merged
// answer is bounded here). A region whose items read are all answered
// before the page is full is read again, for what the page still lacks,
// before any item after them is answered: so a page holds about its own
// size of items beyond the 21 shares, where reading a whole page of each
// region held and read again on the next page up to 21 pages. An item is
// answered only when no region could still hold one before it: a region
// whose page ended at its scan budget with no item bounds the national
// page at the position its page reached. Its page token holds each
// region's position and is bound to req as Across's is. An error of one
// region's list is returned as it is.
func MergeAcross[T any](req ListRequest, desc bool, position func(T) string, bytes func(T) int, list ListFunc[T]) ([]T, string, error) {
	items, next, _, err := mergeAcross(req, desc, position, bytes, list)
	return items, next, err
}

// mergeAcross is MergeAcross, which also keeps out of the listing's later
// pages a region its list answers errLeftOut for (its items there would
// come before what they answer), and returns in leftOut the regions left
// out on an earlier page (ids), for the page to name them too. The token
// ends with the last region read, whatever is left out.
func mergeAcross[T any](req ListRequest, desc bool, position func(T) string, bytes func(T) int, list ListFunc[T]) (items []T, token string, leftOut []string, err error) {
	size, err := PageSize(req.GetPageSize())
	if err != nil {
		return nil, "", nil, err
	}
	key := requestKey(req)
	st, err := decodeMerge(key, req.GetPageToken())
	if err != nil {
		return nil, "", nil, err
	}
	m := merging[T]{req: req, desc: desc, position: position, list: list, first: firstRead(size)}
	for _, id := range RegionIDs() {
		if pos, ok := st.at[id]; ok {
			m.regions = append(m.regions, &regionRead[T]{id: id, at: pos, reached: pos, more: true})
		}
	}
	var out []T
	page := PageOf(size)
	for len(out) < size {
		r, err := m.next(size - len(out))
		if err != nil {
			return nil, "", nil, err
		}
		if r == nil {
			break
		}
		n := bytes(r.items[0])
		if !page.fits(n) {
			break
		}
		page.take(n)
		out = append(out, m.take(r))
	}
	next := mergeState{at: map[string]string{}, out: st.out}
	for _, r := range m.regions {
		switch {
		case r.leftOut:
			next.out = append(next.out, r.id)
		case len(r.items) > 0:
			next.at[r.id] = r.at
		case r.more:
			// Every item it read is on the page: it resumes where its
			// page reached, past what its filter left out, so that every
			// page moves on.
			next.at[r.id] = r.reached
		}
	}
	if len(next.at) == 0 {
		return out, "", st.out, nil
	}
	return out, encodeMerge(key, next), st.out, nil
}

// firstRead is how many items a merged page of size first reads of each
// region: its share of the page, at least one.
func firstRead(size int) int {
	n := len(RegionIDs())
	return max(1, (size+n-1)/n)
}

// merging is one page of MergeAcross being filled.
type merging[T any] struct {
	req      ListRequest
	desc     bool
	position func(T) string
	list     ListFunc[T]
	first    int // the items first read of each region (firstRead)
	regions  []*regionRead[T]
	// bound, once bounded, is the position no item after which may be
	// answered: where a region's page reached, that ended at its scan
	// budget with no item.
	bound   string
	bounded bool
}

// regionRead is what a page of MergeAcross read of one region: items, the
// ones read and not answered yet, in order, and head, the position of the
// first of them; at, the position the next page resumes after when some
// are left; more, whether its list holds more than it read, and reached,
// where its last page ended then; leftOut, that its list left it out
// (errLeftOut).
type regionRead[T any] struct {
	id                  string
	items               []T
	head                string
	at, reached         string
	more, read, leftOut bool
}

// next returns the region whose first item read is the next of the
// merged page, nil when none may be: every region read to its end, or
// the next item after the page's bound. A region whose items read are all
// answered and that has more is read first (want items, what the page
// still lacks; at first its share), since it may hold the next one;
// once the page is bounded, only a region not read yet is: one that
// holds more and no item read bounds the page where its page reached.
func (m *merging[T]) next(want int) (*regionRead[T], error) {
	var best *regionRead[T]
	for _, r := range m.regions {
		if len(r.items) == 0 && r.more && !(m.bounded && r.read) {
			if err := m.read(r, want); err != nil {
				return nil, err
			}
		}
		if len(r.items) == 0 && r.more && (!m.bounded || before(m.desc, r.reached, m.bound)) {
			m.bound, m.bounded = r.reached, true
		}
		if len(r.items) > 0 && (best == nil || m.before(r, best)) {
			best = r
		}
	}
	if best == nil || m.bounded && before(m.desc, m.bound, best.head) {
		return nil, nil
	}
	return best, nil
}

// read reads r's next items after where its last page reached: want, or
// its share of the page on its first read.
func (m *merging[T]) read(r *regionRead[T], want int) error {
	n := want
	if !r.read {
		n = m.first
	}
	r.read = true
	items, token, err := m.list(r.id, int32(n), regionalToken(m.req, r.id, r.reached))
	if errors.Is(err, errLeftOut) {
		r.leftOut, r.more = true, false
		return nil
	}
	if err != nil {
		return err
	}
	r.items, r.at, r.more = items, r.reached, token != ""
	m.headOf(r)
	if !r.more {
		return nil
	}
	// The region has more, after where its page reached.
	r.reached, err = DecodeToken(paging.Page(m.req, "regions/"+r.id, 0, token))
	return err
}

// take answers r's first item read: the page resumes after it in r.
func (m *merging[T]) take(r *regionRead[T]) T {
	it := r.items[0]
	r.at, r.items = r.head, r.items[1:]
	m.headOf(r)
	return it
}

// headOf sets r.head to the position of r's first item read. Each item's
// position is taken once, when it becomes the first: a page compares the
// firsts of up to 21 regions for each item it answers, and a position may
// be built from the item (meetings': its start time formatted, and its
// id).
func (m *merging[T]) headOf(r *regionRead[T]) {
	if len(r.items) > 0 {
		r.head = m.position(r.items[0])
	}
}

// before reports whether a's first item comes before b's in the merged
// order: by position, newest first when desc, then by region id.
func (m *merging[T]) before(a, b *regionRead[T]) bool {
	if a.head != b.head {
		return before(m.desc, a.head, b.head)
	}
	return a.id < b.id
}

// before reports whether position a comes before b, in descending order
// when desc.
func before(desc bool, a, b string) bool {
	if desc {
		return a > b
	}
	return a < b
}

// regionalToken is the page token of region's list, for req's copy for
// region, that resumes after position ("" for its first page).
func regionalToken(req ListRequest, region, position string) string {
	if position == "" {
		return ""
	}
	return EncodeToken(WithParent(req, "regions/"+region), position)
}
