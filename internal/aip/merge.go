package aip

import (
	"cmp"
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
// start), each length-prefixed as positions are any bytes.
const mergeTokenVersion = 'm'

// mergeState is where a merged national list stands: the position of each
// region still to read ("" for its start). A region read to its end is not
// in it.
type mergeState map[string]string

func encodeMerge(key string, st mergeState) string {
	var b strings.Builder
	for _, id := range RegionIDs() {
		if pos, ok := st[id]; ok {
			b.WriteString(id + ":" + strconv.Itoa(len(pos)) + ":" + pos)
		}
	}
	return encodeKeyed(mergeTokenVersion, key, b.String())
}

func decodeMerge(key, token string) (mergeState, error) {
	st := mergeState{}
	if token == "" {
		for _, id := range RegionIDs() {
			st[id] = ""
		}
		return st, nil
	}
	rest, err := decodeKeyed(mergeTokenVersion, "", key, token)
	if err != nil {
		// A list that merges now walked the regions in id order before
		// (ListMeetings did): Across's token for this very request is
		// one of that earlier version, not a foreign one.
		if _, _, aerr := decodeAcross(key, token); aerr == nil {
			return nil, errOutOfDate()
		}
		return nil, err
	}
	bad := ErrForeignToken()
	for rest != "" {
		id, after, ok := strings.Cut(rest, ":")
		size, pos, ok2 := strings.Cut(after, ":")
		n, err := strconv.Atoi(size)
		_, known := territory.LookupRegion(id)
		if _, seen := st[id]; !ok || !ok2 || err != nil || n < 0 || n > len(pos) || !known || seen {
			return nil, bad
		}
		st[id], rest = pos[:n], pos[n:]
	}
	if len(st) == 0 {
		return nil, bad
	}
	return st, nil
}

// merged is an item a region's page answered, with its place in the
// merged order.
type merged[T any] struct {
	item     T
	region   string
	position string
}

// MergeAcross pages a list over every region in one order, by the
// position of its items (position), descending when desc (see Merge): each
// page reads, from every region not yet read to its end, at most a page
// of the national page's size after that region's position, and answers
// the first of them in the merged order, as many as its size and
// MaxPageBytes allow (bytes is an item's size as answered: each region's
// page is within MaxPageBytes, the merged answer is bounded here). An
// item is answered only when no region could still hold one before it: a
// region whose page ended short of its end (full, or at its scan budget)
// bounds the national page at the position its page reached. Its page
// token holds each region's position and is bound to req as Across's is.
// An error of one region's list is returned as it is.
func MergeAcross[T any](req ListRequest, desc bool, position func(T) string, bytes func(T) int, list ListFunc[T]) ([]T, string, error) {
	size, err := PageSize(req.GetPageSize())
	if err != nil {
		return nil, "", err
	}
	key := requestKey(req)
	st, err := decodeMerge(key, req.GetPageToken())
	if err != nil {
		return nil, "", err
	}
	var found []merged[T]
	regions := map[string]*regionRead{}
	bound, bounded := "", false
	for _, id := range RegionIDs() {
		pos, ok := st[id]
		if !ok {
			continue
		}
		items, token, err := list(id, int32(size), regionalToken(req, id, pos))
		if err != nil {
			return nil, "", err
		}
		r := &regionRead{at: pos, left: len(items)}
		regions[id] = r
		for _, it := range items {
			found = append(found, merged[T]{it, id, position(it)})
		}
		if token == "" {
			continue
		}
		// The region has more, after where its page reached: no item
		// beyond that may be answered on this page.
		if r.reached, err = DecodeToken(paging.Page(req, "regions/"+id, 0, token)); err != nil {
			return nil, "", err
		}
		r.more = true
		if !bounded || before(desc, r.reached, bound) {
			bound, bounded = r.reached, true
		}
	}
	slices.SortStableFunc(found, compareIn[T](desc))
	var out []T
	page := PageOf(size)
	for _, f := range found {
		n := bytes(f.item)
		if bounded && before(desc, bound, f.position) || !page.fits(n) {
			break
		}
		page.take(n)
		out = append(out, f.item)
		r := regions[f.region]
		r.at = f.position
		r.left--
	}
	next := mergeState{}
	for id, r := range regions {
		switch {
		case r.left > 0:
			next[id] = r.at
		case r.more:
			// Every item it answered is on the page: it resumes where its
			// page reached, past what its filter left out, so that every
			// page moves on.
			next[id] = r.reached
		}
	}
	if len(next) == 0 {
		return out, "", nil
	}
	return out, encodeMerge(key, next), nil
}

// regionRead is what a page of MergeAcross read of one region: at is the
// position it resumes after, left the items of its page not answered,
// more whether its list holds more than its page, and reached where its
// page ended then.
type regionRead struct {
	at, reached string
	left        int
	more        bool
}

// compareIn orders the items of a merged page: by position, newest first
// when desc, then by region id.
func compareIn[T any](desc bool) func(a, b merged[T]) int {
	return func(a, b merged[T]) int {
		c := strings.Compare(a.position, b.position)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.region, b.region)
	}
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
