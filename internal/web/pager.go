package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/sdk/paging"
)

// listPageSize is how many rows a page of a list shows: the API's default
// page (AIP-158), so that an unfiltered list page is one call.
const listPageSize = 50

// The query parameters of a paged list, after the list's prefix (a page
// with two lists pages each under its own prefix):
//
//	pagina    the API's page token of the page shown (absent: the first)
//	da        the position of the page's first row, for "Risultati 51–100"
//	indietro  the pages before it, nearest last, joined by "." (tokens are
//	          base64url, so never hold one or a "~"): each is its "da",
//	          "~" and its token ("0~" is the first page)
//
// Every other parameter of the page (its filters, the other list's paging)
// is kept in the links, so a filter and an order stay across pages.
const (
	paramToken = "pagina"
	paramBack  = "indietro"
	paramFrom  = "da"
)

// maxBack is how many pages back "Pagina precedente" reaches: the trail of
// tokens rides in the address, so it is bounded. Past it, "Prima pagina"
// still starts over.
const maxBack = 20

// maxTokenLen bounds one token taken from the address: the API's tokens
// are well under it, and a longer one is refused before any call.
const maxTokenLen = 512

// pager is the navigation of one page of a paged list: which rows it shows
// and the links to the pages around it. Templates show it with "pager".
type pager struct {
	// Label names the list the links page, for the navigation's
	// accessible name when a page holds two lists.
	Label string
	// From and To are the positions (from 1) of the page's first and last
	// rows; More is set when rows follow the last.
	From, To int
	More     bool
	// Links to the next, previous and first pages; "" where there is none.
	NextURL, PrevURL, FirstURL string
}

// Total is the number of rows of the whole list, known on its last page.
func (p *pager) Total() int { return p.To }

// Paged is set when the list spans more than one page, so that a list
// that fits in one shows no navigation.
func (p *pager) Paged() bool { return p.More || p.From > 1 || p.FirstURL != "" }

// pageRequest is where a paged list stands, as its address says.
type pageRequest struct {
	path   string
	rest   url.Values // the page's other parameters, kept in every link
	prefix string
	token  string
	back   []crumb
	from   int
}

// crumb is a page left behind: its token and the position of its first row.
type crumb struct {
	token string
	from  int
}

func (c crumb) String() string { return strconv.Itoa(c.from) + "~" + c.token }

// parseTrail reads the trail of pages left behind; ok is false when it is
// not one this application wrote.
func parseTrail(s string) (trail []crumb, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) > maxBack {
		return nil, false
	}
	for _, p := range parts {
		n, token, found := strings.Cut(p, "~")
		from, ok := parsePosition(n)
		if !found || !ok || len(token) > maxTokenLen {
			return nil, false
		}
		trail = append(trail, crumb{token, from})
	}
	return trail, true
}

// parsePosition reads a row position from the address.
func parsePosition(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n < 1_000_000_000
}

// pageRequestOf reads the paging of the list of prefix from r's address.
// A trail or position that is not well formed is dropped (the links then
// reach less far back, or count from 1); a token that is not is refused
// by the API the page asks with it.
func pageRequestOf(r *http.Request, prefix string) pageRequest {
	q := kept(r) // the other links of a page carry what a form's address does
	pr := pageRequest{path: r.URL.Path, prefix: prefix, token: q.Get(prefix + paramToken)}
	if q.Has(prefix + paramBack) {
		pr.back, _ = parseTrail(q.Get(prefix + paramBack))
	}
	if n, ok := parsePosition(q.Get(prefix + paramFrom)); ok && pr.token != "" {
		pr.from = n
	}
	dropPaging(q, prefix)
	pr.rest = q
	return pr
}

// dropPaging deletes from q the paging of the list of prefix.
func dropPaging(q url.Values, prefix string) {
	for _, k := range []string{paramToken, paramBack, paramFrom} {
		q.Del(prefix + k)
	}
}

// link is the address of the page of token, with the trail back and the
// position of its first row.
func (pr pageRequest) link(token string, back []crumb, from int) string {
	q := url.Values{}
	for k, v := range pr.rest {
		q[k] = v
	}
	if token != "" {
		q.Set(pr.prefix+paramToken, token)
		q.Set(pr.prefix+paramFrom, strconv.Itoa(from))
	}
	if len(back) > 0 {
		parts := make([]string, len(back))
		for i, c := range back {
			parts[i] = c.String()
		}
		q.Set(pr.prefix+paramBack, strings.Join(parts, "."))
	}
	if len(q) == 0 {
		return pr.path
	}
	return pr.path + "?" + q.Encode()
}

// first is the address of the list's first page, keeping its filters
// and where the page's other lists stand.
func (pr pageRequest) first() string { return pr.link("", nil, 0) }

// restart is the address of the page with every one of its lists on its
// first page, its filters kept: the way out of a refused token. A page's
// tokens are issued together (the meetings' upcoming and past lists are
// both bound to the day), so when one is refused the others most likely
// are too, and keeping them led from one error page to another.
func (pr pageRequest) restart() string {
	rest := pageRequest{path: pr.path, rest: url.Values{}}
	for k, v := range pr.rest {
		if !isPaging(k) {
			rest.rest[k] = v
		}
	}
	return rest.first()
}

// isPaging reports whether the query parameter key is the paging of a
// list: paramToken, paramBack or paramFrom after the list's prefix, which
// is "" or ends in "_" ("pas_pagina").
func isPaging(key string) bool {
	for _, p := range []string{paramToken, paramBack, paramFrom} {
		if prefix, ok := strings.CutSuffix(key, p); ok && (prefix == "" || strings.HasSuffix(prefix, "_")) {
			return true
		}
	}
	return false
}

// pagerFor is the navigation of a page that shows n rows of pr's list,
// the listing going on at next ("" at its end).
func (pr pageRequest) pagerFor(label string, n int, next string) *pager {
	p := &pager{Label: label, From: pr.from + 1, To: pr.from + n, More: next != ""}
	if n == 0 {
		p.From = pr.from
	}
	if next != "" {
		back := append(append([]crumb(nil), pr.back...), crumb{pr.token, pr.from})
		if len(back) > maxBack {
			back = back[len(back)-maxBack:]
		}
		p.NextURL = pr.link(next, back, pr.from+n)
	}
	if pr.token != "" {
		p.FirstURL = pr.first()
		if len(pr.back) > 0 {
			prev := pr.back[len(pr.back)-1]
			p.PrevURL = pr.link(prev.token, pr.back[:len(pr.back)-1], prev.from)
		}
	}
	return p
}

// badPageToken is a list page asked with a page token the API refused:
// one edited by hand, issued for other filters, or out of date (a meetings
// page's, the next day). The page says so and links to the first page of
// the page's lists (restart; see fail).
type badPageToken struct {
	restart string
	err     error
}

func (e *badPageToken) Error() string { return e.err.Error() }
func (e *badPageToken) Unwrap() error { return e.err }

// namesPageToken reports whether err is INVALID_ARGUMENT naming the
// request's page_token.
func namesPageToken(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.InvalidArgument && namesField(err, "page_token")
}

// readPage reads one page of the list req asks for, with the user's
// rights, where the address r says the list stands (pageRequestOf with
// prefix): list is a generated client's List method, items picks a page's
// items out of its answer, and row makes an item's row, or drops the item
// (false) when the page's own filter (a search box, the user's networks)
// leaves it out. Rows are kept, never the items: a row holds what the
// page shows of an item.
//
// It is the one way a web page reads a long list. Without a filter it asks
// the API for one page of listPageSize. With one, it reads on, a page at a
// time, until at least listPageSize rows are kept or the listing ends, so
// a page holds fewer than 2*listPageSize rows, and the API's page token
// where it stopped is the next page's. The pager's label names the list.
func readPage[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T, Row any](s *session, r *http.Request, prefix, label string,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, items func(Resp) []T, row func(T) (Row, bool)) ([]Row, *pager, error) {
	pr := pageRequestOf(r, prefix)
	if len(pr.token) > maxTokenLen {
		return nil, nil, &badPageToken{restart: pr.restart(), err: status.Error(codes.InvalidArgument, "page_token is too long")}
	}
	var rows []Row
	next := ""
	err := paging.Walk(s.ctx, func(token string) (string, error) {
		if token == "" {
			token = pr.token
		}
		res, err := list(s.ctx, paging.Page(req, req.GetParent(), listPageSize, token))
		if err != nil {
			return "", err
		}
		for _, it := range items(res) {
			if rw, ok := row(it); ok {
				rows = append(rows, rw)
			}
		}
		next = res.GetNextPageToken()
		if len(rows) >= listPageSize {
			return "", nil
		}
		return next, nil
	})
	if err != nil {
		if namesPageToken(err) {
			return nil, nil, &badPageToken{restart: pr.restart(), err: err}
		}
		return nil, nil, err
	}
	return rows, pr.pagerFor(label, len(rows), next), nil
}

// firstItems reads the first items req lists, as many as req's page size
// (at least one), reading on (paging.Walk), each page asked for the items
// still missing, while they fall short and the listing goes on: a
// filtered List may end a page short of its size, even empty, with a next
// page token (its scan budget, aip.Page.Skip), which is no end of the
// listing. more is set when items follow those returned.
func firstItems[Req aip.ListRequest, Resp interface{ GetNextPageToken() string }, T any](ctx context.Context,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, items func(Resp) []T) (out []T, more bool, err error) {
	size := max(req.GetPageSize(), 1)
	err = paging.Walk(ctx, func(token string) (string, error) {
		res, err := list(ctx, paging.Page(req, req.GetParent(), size-int32(len(out)), token))
		if err != nil {
			return "", err
		}
		out = append(out, items(res)...)
		more = res.GetNextPageToken() != ""
		if len(out) >= int(size) {
			return "", nil
		}
		return res.GetNextPageToken(), nil
	})
	return out, more, err
}

// every is a row function that keeps every item as its own row.
func every[T any](it T) (T, bool) { return it, true }

// asBadPageToken reports err's refused page token, if that is what it is.
func asBadPageToken(err error) (*badPageToken, bool) {
	var bt *badPageToken
	ok := errors.As(err, &bt)
	return bt, ok
}
