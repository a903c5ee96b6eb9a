package aip

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/sdk/paging"
)

// MaxPageBytes is the size budget of one page: a List stops adding items
// once the next would take the page beyond it, and says so with its
// next_page_token like any page cut short. A single item larger than the
// budget still makes a page of its own, so paging always progresses.
// Resources of a few MB each (protocol bodies) would otherwise make one
// page of a thousand of them weigh gigabytes.
const MaxPageBytes = 2 << 20

// Page is one page of a List being filled, bounded by the requested size
// and by MaxPageBytes. Every List fills its page through it, and the page
// keeps the position the next page resumes after:
//
//	page, after, err := aip.StartPage(ctx, req)
//	... walk the listing after the position after:
//	if !page.Add(item, position) {
//		stop
//	}
//	append item
//	...
//	res.NextPageToken = page.Next()
type Page struct {
	size  int
	n     int
	bytes int
	read  int    // the items the listing read for the page, kept or not (Skip)
	last  string // the position of the last item added
	full  bool   // an item was refused: the listing goes on after last
	key   string // the request the page answers (requestKey)
	// national is the scan budget of the national page this one is a
	// region's part of (ListAcross), nil for a regional request.
	national *scanBudget
}

// NewPage returns an empty page of the requested size (see PageSize).
func NewPage(pageSize int32) (*Page, error) {
	size, err := PageSize(pageSize)
	if err != nil {
		return nil, err
	}
	return &Page{size: size}, nil
}

// StartPage opens a List request's page: an empty page of the requested
// size, bound to req (see Resume), and the position req's page token
// resumes after ("" for the first page). A region's page of a national
// one (ctx from ListAcross) also spends what is left of the national
// page's scan budget (Skip). Errors name page_size or page_token.
func StartPage(ctx context.Context, req ListRequest) (*Page, string, error) {
	page, err := NewPage(req.GetPageSize())
	if err != nil {
		return nil, "", err
	}
	after, err := page.Resume(req)
	if err != nil {
		return nil, "", err
	}
	page.national, _ = ctx.Value(scanBudgetKey{}).(*scanBudget)
	return page, after, nil
}

// PageOf returns an empty page of size items, for a List whose size the
// caller has already validated and bounded (an export's larger pages, the
// change feed's). It is bound to no request: one whose Next is used is
// first bound with Resume.
func PageOf(size int) *Page { return &Page{size: size} }

// Resume binds p to req, the request whose page it is, and returns the
// position req's page token resumes after ("" for the first page): a
// token issued for another request is refused (DecodeToken), and the
// page's Next is valid only for a request that differs from req in
// page_token and page_size alone (AIP-158).
func (p *Page) Resume(req PagedRequest) (string, error) {
	p.key = requestKey(req)
	return decodeKeyed(tokenVersion, oldTokenVersions, p.key, req.GetPageToken())
}

// Take reports whether m joins the page, and counts it if so. It answers
// false when the page already holds its size, or when m would take it past
// MaxPageBytes (unless the page is empty): the caller then ends the page
// with a next_page_token at the last item taken.
//
// A region's page of a national page walked region by region (Across)
// also takes m into the national page, and answers false when m would
// take that past its size or MaxPageBytes (unless it is empty): a region
// whose list ends within its page must not let the next region add
// another MaxPageBytes, and so on across the 21.
func (p *Page) Take(m proto.Message) bool {
	n := proto.Size(m)
	filled := p.filled()
	if !p.fits(n) || filled != nil && !filled.fits(n) {
		return false
	}
	p.take(n)
	if filled != nil {
		filled.take(n)
	}
	return true
}

// fits reports whether an item of n bytes may join p: p holds fewer than
// its size, and is empty or stays within MaxPageBytes with it.
func (p *Page) fits(n int) bool {
	return p.n < p.size && (p.n == 0 || p.bytes+n <= MaxPageBytes)
}

// take counts an item of n bytes into p.
func (p *Page) take(n int) {
	p.n++
	p.bytes += n
}

// filled is the national page p's items also fill (scanBudget.page), nil
// for a regional request or a merged national page.
func (p *Page) filled() *Page {
	if p.national == nil {
		return nil
	}
	return p.national.page
}

// Add is Take for a List that pages by position: position is m's place in
// the listing's order (a key the listing resumes after). When m does not
// join, the page is over, and Next resumes after the last item added.
func (p *Page) Add(m proto.Message, position string) bool {
	if !p.Take(m) {
		p.full = true
		return false
	}
	p.last = position
	p.count()
	return true
}

// ScanPerItem and MinScan make a filtered List's scan budget: a page
// reads at most ScanPerItem times its size in records, and never fewer
// than MinScan, before it ends, full or not (Skip). Issue 17: a filter
// that keeps little (a display name among thousands of partners) must not
// decode a whole region for one page. 20 was the change feed's bound
// already, which reads it from here (ListChanges reads at most
// ScanPerItem changes per change it may answer); the floor keeps a small
// page_size from paging a sparse filter in steps of a few records: a
// page reading a thousand partners takes 1.5-2.8 ms on the loaded test
// machine, against 30-73 ms for the 20,000 of a large region
// (docs/benchmarks.md, "A filtered List's scan bounded per page"), and a
// page of the most, 1,000, reads at most 20,000.
const (
	ScanPerItem = 20
	MinScan     = 1000
)

// scanLimit is the scan budget of a page of size items.
func scanLimit(size int) int { return max(ScanPerItem*size, MinScan) }

// scanBudget is what a national page (regions/-) may still read, across
// the regions it spans: the budget of one page of its size, not one per
// region, so that a filter keeping little reads at most that much for the
// whole page rather than up to 21 times it.
//
// page is the national page itself when its regions' pages fill it in
// turn (Across): every item they take joins it (Take), so that the
// national page as a whole keeps to its size and MaxPageBytes. It is nil
// for a merged national page (MergeAcross), whose regions' pages hold
// more than it answers: it bounds what it answers itself.
type scanBudget struct {
	left int
	page *Page
}

// scanBudgetKey is the context key of a national page's scanBudget.
type scanBudgetKey struct{}

// withScanBudget is ctx carrying the scan budget of a national page of
// size items, which every regional page started with it spends; when
// fill, the regional pages also fill the national page (scanBudget.page).
func withScanBudget(ctx context.Context, size int, fill bool) context.Context {
	b := &scanBudget{left: scanLimit(size)}
	if fill {
		b.page = PageOf(size)
	}
	return context.WithValue(ctx, scanBudgetKey{}, b)
}

// count counts an item the listing read for the page, against the page's
// own budget and its national page's.
func (p *Page) count() {
	p.read++
	if p.national != nil {
		p.national.left--
	}
}

// Skip counts an item the listing read at position and the List's filter
// left out, and reports whether the listing may read on. It answers false
// once the page has read its scan budget (ScanPerItem, MinScan) without
// filling, or, for a region's part of a national page, once the national
// page has read its own across the regions: the page then ends, with
// fewer items than its size, even none, and a next_page_token resuming
// after position, as AIP-158 allows. A client reads on while the token
// is set, whatever the page holds.
func (p *Page) Skip(position string) bool {
	p.count()
	if p.read < scanLimit(p.size) && (p.national == nil || p.national.left > 0) {
		return true
	}
	p.last, p.full = position, true
	return false
}

// Next is the page's next_page_token: the position of the last item
// added, once an item was refused, for the request the page was bound to
// (Resume); "" when the listing ended within the page.
func (p *Page) Next() string {
	if !p.full {
		return ""
	}
	return encodeKeyed(tokenVersion, p.key, p.last)
}

// Len is the number of items taken.
func (p *Page) Len() int { return p.n }

// Each walks every page req lists, one page at a time (paging.Walk): it asks
// list for pages of MaxPageSize with req's parent and filters
// (paging.Page) and gives each answer to visit. It holds no page once
// visit returns, so a caller that counts or aggregates keeps one page in
// memory, whatever the listing's length. It stops at the first error of
// list or visit, and when ctx is done.
func Each[Req ListRequest, Resp interface{ GetNextPageToken() string }](ctx context.Context,
	list func(context.Context, Req) (Resp, error), req Req, visit func(Resp) error) error {
	return paging.Walk(ctx, func(token string) (string, error) {
		res, err := list(ctx, paging.Page(req, req.GetParent(), MaxPageSize, token))
		if err != nil {
			return "", err
		}
		if err := visit(res); err != nil {
			return "", err
		}
		return res.GetNextPageToken(), nil
	})
}

// ListAll reads every item req lists (see Each), for a caller that needs
// them all at once; items picks a page's items out of its answer. A caller
// that only counts or aggregates walks the pages with Each instead.
func ListAll[Req ListRequest, Resp interface{ GetNextPageToken() string }, T any](ctx context.Context,
	list func(context.Context, Req) (Resp, error), req Req, items func(Resp) []T) ([]T, error) {
	var out []T
	err := Each(ctx, list, req, func(res Resp) error {
		out = append(out, items(res)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
