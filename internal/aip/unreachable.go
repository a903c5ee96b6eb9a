package aip

import (
	"context"
	"errors"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/errs"
)

// A national read (regions/-) answers what it can (AIP-217): a region whose
// data cannot be read now is left out and named in the response's
// unreachable field, and the rest is answered, its totals those of the
// regions read. Only one region's trouble leaves it out: its data lost
// (DATA_LOSS: a damaged record, RECORD_CORRUPT, or a region file refused
// at start, REGION_FILE_DAMAGED), until that region is restored, or its
// import into etcd unfinished (REGION_IMPORTING), until the import is run
// to its end, or its data in a format this famid does not know
// (DATA_FORMAT_UNKNOWN), until famid is upgraded. Every other error fails
// the whole read as it did: the caller's own (INVALID_ARGUMENT,
// PERMISSION_DENIED, its deadline or cancel) and any other UNAVAILABLE,
// which on this server is never one region's (the store is closed, or the
// etcd cluster holding every region does not answer).

// Skip reports whether err, met reading region (an id) as part of a
// national read in ctx, leaves that region out of the read instead of
// failing it; the read then names "regions/{region}" in its unreachable
// field. A region left out is also recorded, with err, for the call's log
// line (see TrackUnreachable).
func Skip(ctx context.Context, region string, err error) bool {
	if ctx.Err() != nil || !regionOnly(err) {
		return false
	}
	if t, ok := ctx.Value(trackerKey{}).(*tracker); ok {
		t.add("regions/"+region, err)
	}
	return true
}

// EachRegion runs read for each of regions (ids) in turn, for a national
// read that adds them up: a region whose read fails with an error that
// leaves it out (Skip) is passed over and named in unreachable
// ("regions/{region}", in the order of regions); any other error ends the
// loop and is returned. A read of one region only is that region's: its
// error is returned as it is.
func EachRegion(ctx context.Context, regions []string, read func(region string) error) (unreachable []string, err error) {
	for _, region := range regions {
		if err := read(region); err != nil {
			if len(regions) > 1 && Skip(ctx, region, err) {
				unreachable = append(unreachable, "regions/"+region)
				continue
			}
			return nil, err
		}
	}
	return unreachable, nil
}

// AskEachRegion answers a national request that adds up the regions'
// answers: it asks ask, the regional method itself, once for each of
// regions (ids) in turn, with a copy of req whose parent is that region,
// so that every rule of the regional method applies unchanged, and hands
// each answer to add with the region's name ("regions/{region}"). Regions
// are passed over and named in unreachable as EachRegion does.
func AskEachRegion[Req proto.Message, Resp any](ctx context.Context, regions []string, req Req, ask func(context.Context, Req) (Resp, error), add func(parent string, res Resp)) (unreachable []string, err error) {
	return EachRegion(ctx, regions, func(region string) error {
		parent := "regions/" + region
		res, err := ask(ctx, WithParent(req, parent))
		if err != nil {
			return err
		}
		add(parent, res)
		return nil
	})
}

// regionOnly reports whether err is one region's trouble: its data lost
// (DATA_LOSS) or its import into etcd unfinished (REGION_IMPORTING, an
// UNAVAILABLE that, unlike the others, names one region and lasts until
// that region's import is run to its end) or its data in a newer format
// (DATA_FORMAT_UNKNOWN, an UNAVAILABLE of one region too).
func regionOnly(err error) bool {
	e := errs.As(err)
	return e != nil && (e.Code == errs.DataLoss || e.Reason == errs.RegionImporting || e.Reason == errs.DataFormatUnknown)
}

type trackerKey struct{}

// tracker collects the regions the national reads of one call left out.
type tracker struct {
	mu      sync.Mutex
	regions []string
	errs    []error
}

func (t *tracker) add(region string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !slices.Contains(t.regions, region) {
		t.regions = append(t.regions, region)
		t.errs = append(t.errs, err)
	}
}

// TrackUnreachable returns a context in which Skip records the regions it
// leaves out, and a function that returns them (resource names, in the
// order met) and their errors joined, once the call is done: the edge logs
// one line per degraded call, naming the regions and why, where the inner
// regional calls, which never reach the edge, log nothing.
func TrackUnreachable(ctx context.Context) (context.Context, func() ([]string, error)) {
	t := &tracker{}
	return context.WithValue(ctx, trackerKey{}, t), func() ([]string, error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		return slices.Clone(t.regions), errors.Join(t.errs...)
	}
}
