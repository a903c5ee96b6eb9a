package aip

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/territory"
	"github.com/raccordo/raccordo/sdk/paging"
)

// AllRegions is the wildcard parent of AIP-159: "regions/-" reads every
// region at once (the national view). Only the ministry may use it; the
// policy refuses it to everyone else.
const AllRegions = "regions/-"

// IsAllRegions reports whether parent is the wildcard parent.
func IsAllRegions(parent string) bool { return parent == AllRegions }

// RegionIDs returns the ids of the 21 regions and autonomous provinces in
// id order: the order of every national list.
func RegionIDs() []string {
	var ids []string
	for _, r := range territory.Regions() {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

// A national page token is its own version, so that a token of one region's
// list is never mistaken for a national one or the other way round: the
// key of the national request (requestKey), the region the next page
// starts in and that region's own page token, and the check every token
// ends with (tokenCheck). Version 'n' tokens carried no key, version 'o'
// tokens no check; both are refused as out of date.
const (
	acrossTokenVersion     = 's'
	oldAcrossTokenVersions = "no"
)

func encodeAcross(key, region, inner string) string {
	return encodeKeyed(acrossTokenVersion, key, region+"/"+inner)
}

func decodeAcross(key, token string) (region, inner string, err error) {
	rest, err := decodeKeyed(acrossTokenVersion, oldAcrossTokenVersions, key, token)
	if err != nil || token == "" {
		return "", "", err
	}
	region, inner, ok := strings.Cut(rest, "/")
	if _, known := territory.LookupRegion(region); ok && known {
		return region, inner, nil
	}
	return "", "", ErrForeignToken()
}

// ListFunc lists one page of a region: at most pageSize items after
// pageToken (the region's own token), and the token of the next page.
type ListFunc[T any] func(region string, pageSize int32, pageToken string) ([]T, string, error)

// Across pages a list over every region, in region id order and within a
// region in that list's own order, so pages stay consistent however the
// results fall across regions. Its page token is opaque and holds the
// region to resume in and the position there, and is bound to req, the
// national request, as a regional token is to its request (Page.Resume).
// An error of one region's list is returned as it is (ListAcross decides
// which ones leave a region out).
func Across[T any](req ListRequest, list ListFunc[T]) ([]T, string, error) {
	size, err := PageSize(req.GetPageSize())
	if err != nil {
		return nil, "", err
	}
	key := requestKey(req)
	start, inner, err := decodeAcross(key, req.GetPageToken())
	if err != nil {
		return nil, "", err
	}
	ids := RegionIDs()
	i := 0
	if start != "" {
		i = slices.Index(ids, start)
	}
	var out []T
	for ; i < len(ids); i++ {
		items, next, err := list(ids[i], int32(size-len(out)), inner)
		if errors.Is(err, errLeftOut) {
			items, next, err = nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, items...)
		inner = ""
		if next != "" {
			return out, encodeAcross(key, ids[i], next), nil
		}
		if len(out) == size && i+1 < len(ids) {
			return out, encodeAcross(key, ids[i+1], ""), nil
		}
	}
	return out, "", nil
}

// ListRequest is an AIP List request: its parent, page_size and page_token
// fields are the standard ones.
type ListRequest interface {
	PagedRequest
	GetParent() string
}

// InRegionOf narrows an all-regions List request to the one region of
// name, a filter of the request (field) naming a resource of collection
// that lives in one region: its items are that region's, and the other
// regions would refuse a filter not theirs. It returns req itself when its
// parent is a region or name is empty, else a copy with the parent set.
func InRegionOf[Req ListRequest](req Req, field, name, collection string) (Req, error) {
	if !IsAllRegions(req.GetParent()) || name == "" {
		return req, nil
	}
	region, err := RegionOfName(field, name, collection)
	if err != nil {
		var zero Req
		return zero, err
	}
	return WithParent(req, "regions/"+region), nil
}

// WithParent returns a copy of req, a request with a string parent field,
// whose parent is parent; req's other fields are kept. It panics when req
// has no such field.
func WithParent[Req proto.Message](req Req, parent string) Req {
	return withString(req, "parent", parent)
}

// withString returns a copy of req whose string field called field is
// value; req's other fields are kept. It panics when req has no such
// field.
func withString[Req proto.Message](req Req, field protoreflect.Name, value string) Req {
	r := proto.CloneOf(req)
	m := r.ProtoReflect()
	m.Set(m.Descriptor().Fields().ByName(field), protoreflect.ValueOfString(value))
	return r
}

// ListAcross answers a List request whose parent is AllRegions: it calls
// list once per region, with a copy of req whose parent, page_size and
// page_token are that region's, so every filter and rule of the regional
// list applies unchanged; page picks the items and the next page token out
// of a regional response. The regional lists share one scan budget, the
// national page's (StartPage with the ctx list is given): a region's page
// that meets the end of it ends there, with its token, and so does the
// national page. A region whose list fails with an error that leaves it
// out (Skip) is passed over, the rest of its items with it, and named in
// unreachable ("regions/{region}", in region id order), on the page where
// it was met.
func ListAcross[Req ListRequest, Resp any, T any](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error), page func(Resp) ([]T, string)) (items []T, next string, unreachable []string, err error) {
	return listAcross(ctx, req, list, page, Across[T], true)
}

// listAcross is ListAcross with the order of the national page: walk
// calls a ListFunc for the regions it reads (Across, MergeAcross). fill
// says that walk answers every item of the regions' pages, as Across
// does, which then also fill the national page and so keep it within
// MaxPageBytes as a whole (Page.Take); a walk that answers fewer than it
// reads (MergeAcross) bounds its answer itself.
func listAcross[Req ListRequest, Resp any, T any](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error), page func(Resp) ([]T, string),
	walk func(ListRequest, ListFunc[T]) ([]T, string, error), fill bool) (items []T, next string, unreachable []string, err error) {
	size, err := PageSize(req.GetPageSize())
	if err != nil {
		return nil, "", nil, err
	}
	national := withScanBudget(ctx, size, fill)
	items, next, err = walk(req, func(region string, size int32, token string) ([]T, string, error) {
		res, err := list(national, paging.Page(req, "regions/"+region, size, token))
		if err != nil {
			if Skip(ctx, region, err) {
				unreachable = append(unreachable, "regions/"+region)
				return nil, "", errLeftOut
			}
			return nil, "", err
		}
		items, next := page(res)
		return items, next, nil
	})
	return items, next, unreachable, err
}

// ListAllRegions is ListAcross for a List whose response is the standard
// one (AIP-132): a single repeated field of the items, next_page_token
// and revision, and the unreachable field of AIP-217. It answers req
// (whose parent is AllRegions) with every region's items through list, the
// regional List itself, and leaves the revision unset: a national page
// spans the revisions of several regions.
func ListAllRegions[Req ListRequest, Resp proto.Message](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error)) (Resp, error) {
	return listAllRegions(ctx, req, list, nil)
}

// listAllRegions is ListAllRegions in region id order, or in the merged
// order of m when m is not nil (MergeAcross). A merged list's page spans
// every region, so a region left out on one page is named in unreachable
// on that page and on every later one, not read again (mergeAcross).
func listAllRegions[Req ListRequest, Resp proto.Message](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error), m *Merge) (Resp, error) {
	var zero Resp
	desc := zero.ProtoReflect().Descriptor()
	items, token := listFields(desc)
	left := desc.Fields().ByName("unreachable")
	if items == nil || token == nil || left == nil || !left.IsList() || left.Kind() != protoreflect.StringKind {
		return zero, fmt.Errorf("aip: %s is not a standard List response across regions", desc.FullName())
	}
	walk := Across[protoreflect.Value]
	var leftOut []string // by a merged list, on an earlier page
	if m != nil {
		walk = func(req ListRequest, list ListFunc[protoreflect.Value]) ([]protoreflect.Value, string, error) {
			items, next, out, err := mergeAcross(req, m.Desc, func(v protoreflect.Value) string { return m.Position(v.Message().Interface()) },
				func(v protoreflect.Value) int { return proto.Size(v.Message().Interface()) }, list)
			leftOut = out
			return items, next, err
		}
	}
	values, next, unreachable, err := listAcross(ctx, req, list, func(r Resp) ([]protoreflect.Value, string) {
		m := r.ProtoReflect()
		l := m.Get(items).List()
		out := make([]protoreflect.Value, l.Len())
		for i := range out {
			out[i] = l.Get(i)
		}
		return out, m.Get(token).String()
	}, walk, m == nil)
	if err != nil {
		return zero, err
	}
	for _, id := range leftOut {
		unreachable = append(unreachable, "regions/"+id)
	}
	slices.Sort(unreachable)
	out := zero.ProtoReflect().New()
	l := out.Mutable(items).List()
	for _, v := range values {
		l.Append(v)
	}
	if next != "" {
		out.Set(token, protoreflect.ValueOfString(next))
	}
	if len(unreachable) > 0 {
		l := out.Mutable(left).List()
		for _, name := range unreachable {
			l.Append(protoreflect.ValueOfString(name))
		}
	}
	return out.Interface().(Resp), nil
}

// ForAllRegions opens a List method that also answers the parent AllRegions:
// for that parent it answers req through list, the method itself, region
// by region (ListAllRegions), and reports ok; for any other parent ok is
// false and the method answers the request itself.
func ForAllRegions[Req ListRequest, Resp proto.Message](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error)) (res Resp, ok bool, err error) {
	return forAllRegions(ctx, req, list, nil)
}

// forAllRegions is ForAllRegions in the order of m (listAllRegions).
func forAllRegions[Req ListRequest, Resp proto.Message](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error), m *Merge) (res Resp, ok bool, err error) {
	if !IsAllRegions(req.GetParent()) {
		return res, false, nil
	}
	res, err = listAllRegions(ctx, req, list, m)
	return res, true, err
}

// Narrow is a filter of a List request that names one resource of
// collection: Field is the filter's field, Name its value. Set on a request
// for all regions, it makes the request the resource's one region's (see
// InRegionOf).
type Narrow struct{ Field, Name, Collection string }

// OpenList opens a regional List method that also answers the parent
// AllRegions: it narrows req to the region of each filter in by that is
// set (InRegionOf), answers a request still for all regions through list,
// the method itself, region by region (ForAllRegions), and otherwise
// returns the region the method lists (Parent). done reports that the
// method is answered, by res or by err, and returns them as they are.
func OpenList[Req ListRequest, Resp proto.Message](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error), by ...Narrow) (region string, res Resp, done bool, err error) {
	return openList(ctx, req, list, nil, by)
}

// OpenMergedList is OpenList for a List whose national pages merge the
// regions' lists into the one order of m (MergeAcross) instead of walking
// them in region id order.
func OpenMergedList[Req ListRequest, Resp proto.Message](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error), m Merge, by ...Narrow) (region string, res Resp, done bool, err error) {
	return openList(ctx, req, list, &m, by)
}

func openList[Req ListRequest, Resp proto.Message](ctx context.Context, req Req, list func(context.Context, Req) (Resp, error), m *Merge, by []Narrow) (region string, res Resp, done bool, err error) {
	for _, n := range by {
		if req, err = InRegionOf(req, n.Field, n.Name, n.Collection); err != nil {
			return "", res, true, err
		}
	}
	if res, done, err = forAllRegions(ctx, req, list, m); done {
		return "", res, true, err
	}
	region, err = Parent(req.GetParent())
	return region, res, err != nil, err
}

// listFields returns a List response's one repeated message field and its
// next_page_token; nil when it has not exactly one of each.
func listFields(desc protoreflect.MessageDescriptor) (items, token protoreflect.FieldDescriptor) {
	fields := desc.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.IsList() && f.Kind() == protoreflect.MessageKind {
			if items != nil {
				return nil, nil
			}
			items = f
		}
	}
	if t := fields.ByName("next_page_token"); t != nil && t.Kind() == protoreflect.StringKind {
		token = t
	}
	return items, token
}

// ListResponse builds the standard List response Resp (AIP-132: one
// repeated field of the items, next_page_token and revision) of a page of
// items. It fails when Resp is not such a response for items of type T.
func ListResponse[Resp proto.Message, T proto.Message](items []T, next string, revision int64) (Resp, error) {
	var zero Resp
	desc := zero.ProtoReflect().Descriptor()
	itemsField, token := listFields(desc)
	rev := desc.Fields().ByName("revision")
	var t T
	if itemsField == nil || token == nil || rev == nil || rev.Kind() != protoreflect.Int64Kind ||
		itemsField.Message().FullName() != t.ProtoReflect().Descriptor().FullName() {
		return zero, fmt.Errorf("aip: %s is not a standard List response of %s", desc.FullName(), t.ProtoReflect().Descriptor().FullName())
	}
	out := zero.ProtoReflect().New()
	if len(items) > 0 {
		l := out.Mutable(itemsField).List()
		for _, it := range items {
			l.Append(protoreflect.ValueOfMessage(it.ProtoReflect()))
		}
	}
	if next != "" {
		out.Set(token, protoreflect.ValueOfString(next))
	}
	if revision != 0 {
		out.Set(rev, protoreflect.ValueOfInt64(revision))
	}
	return out.Interface().(Resp), nil
}
