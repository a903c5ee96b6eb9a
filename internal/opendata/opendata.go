// Package opendata serves the platform's open data under /opendata/: the
// one anonymous surface. Its datasets (projects, networks, protocols,
// support hours, monitoring) are derived from what the services return to a national
// reader, keeping only approved, non-personal data: no consultant, account
// or contact, no minutes or notes, no draft; counts of persons below
// minPersons are suppressed and flagged. Each dataset is served as CSV and
// JSON, described by a DCAT-AP_IT catalogue, a Frictionless data package
// and an Atom feed, with ETag/Last-Modified revalidation, gzip and a
// per-client rate limit.
package opendata

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/territory"
)

// Prefix is the path open data is served under.
const Prefix = "/opendata/"

// Sources are the services open data reads; the generated service types
// satisfy them.
type Sources struct {
	Partners interface {
		ListPartners(context.Context, *famiv1.ListPartnersRequest) (*famiv1.ListPartnersResponse, error)
	}
	Projects interface {
		ListProjects(context.Context, *famiv1.ListProjectsRequest) (*famiv1.ListProjectsResponse, error)
	}
	Networks interface {
		ListNetworks(context.Context, *famiv1.ListNetworksRequest) (*famiv1.ListNetworksResponse, error)
	}
	Protocols interface {
		ListProtocols(context.Context, *famiv1.ListProtocolsRequest) (*famiv1.ListProtocolsResponse, error)
	}
	Support interface {
		SummarizeSupportEntries(context.Context, *famiv1.SummarizeSupportEntriesRequest) (*famiv1.SummarizeSupportEntriesResponse, error)
	}
	Monitoring interface {
		ListMonitoringReports(context.Context, *famiv1.ListMonitoringReportsRequest) (*famiv1.ListMonitoringReportsResponse, error)
		GetMonitoringReport(context.Context, *famiv1.GetMonitoringReportRequest) (*famiv1.MonitoringReport, error)
	}
}

// Options configure open data; the zero value is usable.
type Options struct {
	// PublicURL is the scheme and host the catalogue's links use, e.g.
	// https://raccordo.example.it; empty: each request's own host.
	PublicURL string
	// Publisher names the body that publishes the data (DCAT
	// dct:publisher), and PublisherID its identifier (IPA code).
	Publisher, PublisherID string
	// Rate (requests per second) and Burst limit each client (an IPv4
	// address, an IPv6 /64: principal.ClientOf).
	Rate  float64
	Burst int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger
}

// The defaults of Options.
const (
	defaultPublisher   = "Ministero dell'Interno - Autorità di Gestione del FAMI"
	defaultPublisherID = "m_it"
	defaultRate        = 10
	defaultBurst       = 40
)

// reader is the principal open data reads as: the national view, whose
// results this package then reduces to public data.
var reader = principal.Principal{Subject: "system:opendata", Role: principal.Ministry, DisplayName: "Open data"}

// Handler serves /opendata/.
type Handler struct {
	st      store.Store
	src     Sources
	opts    Options
	limiter *limiter

	mu   sync.Mutex
	snap *snapshot
	// failed is the last build refused for damaged data, and for which
	// state: the same state is not built again (a damaged region stays
	// damaged until its file is restored, which changes the state).
	failed *failure
	// modified remembers, per dataset, its content hash and since when it
	// has had it, so a dataset's modification date moves only when it
	// changes.
	modified map[string]version

	// madeFiles, when set (only by BenchmarkBuild, export_test.go), is
	// called as each dataset's files are made, where a build holds most.
	madeFiles func()
}

type failure struct {
	key string
	err error
}

type version struct {
	hash string
	time time.Time
}

// New returns the open-data handler. It reads the regions' revisions from
// st (to know when to rebuild) and everything else through src.
func New(st store.Store, src Sources, opts Options) *Handler {
	if opts.Publisher == "" {
		opts.Publisher, opts.PublisherID = defaultPublisher, defaultPublisherID
	}
	if opts.Rate <= 0 {
		opts.Rate = defaultRate
	}
	if opts.Burst <= 0 {
		opts.Burst = defaultBurst
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Handler{st: st, src: src, opts: opts, limiter: newLimiter(rate.Limit(opts.Rate), opts.Burst), modified: map[string]version{}}
}

// file is one served file, plain and gzipped.
type file struct {
	contentType string
	body, gz    []byte
	etag        string
	modified    time.Time
}

// snapshot is every open-data file as of one state of the platform.
type snapshot struct {
	// key is the state: the regions' revisions, the day (protocol states
	// depend on it) and the public URL.
	key   string
	files map[string]*file
}

// state returns the key of the platform's current state and the time of
// its latest change.
func (h *Handler) state(ctx context.Context, base string) (string, time.Time, error) {
	var (
		b      strings.Builder
		latest time.Time
	)
	for _, region := range aip.RegionIDs() {
		rev := int64(0)
		err := h.st.View(ctx, region, func(tx store.ReadTx) error {
			rev = tx.Revision()
			if rev > tx.Compacted() {
				// The last change's time; a compacted log has none.
				return tx.Changes(rev-1, func(c *famiv1.Change) bool {
					if t := c.GetTime().AsTime(); t.After(latest) {
						latest = t
					}
					return false
				})
			}
			return nil
		})
		switch {
		case err == nil:
			b.WriteString(region + "=" + strconv.FormatInt(rev, 10) + ";")
		case aip.Skip(ctx, region, err):
			// A region famid does not serve (its file damaged, its
			// import into etcd unfinished) has no revision; the build
			// will name it.
			b.WriteString(region + "=unreachable;")
		default:
			return "", time.Time{}, err
		}
	}
	b.WriteString(today(h.opts.Now()) + ";" + base)
	return b.String(), latest, nil
}

func today(t time.Time) string { return t.In(territory.Rome).Format(time.DateOnly) }

// current returns the snapshot of the platform's current state, building
// it when the state changed. When the build fails (a region's data is
// damaged, say) and an earlier build succeeded, it returns that last good
// snapshot and, as stale, why the current one could not be built: the
// open data stays online, as of its last good state, and says so, but a
// dataset that would leave a region out is never published. With no good
// snapshot yet it fails.
func (h *Handler) current(ctx context.Context, base string) (snap *snapshot, stale, err error) {
	key, latest, err := h.state(ctx, base)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			h.opts.Log.Error("open data: state", "error", err)
		}
		return h.lastGood(err)
	}
	if h.snap != nil && h.snap.key == key {
		return h.snap, nil, nil
	}
	if h.failed != nil && h.failed.key == key {
		return h.lastGood(h.failed.err)
	}
	if latest.IsZero() {
		latest = h.opts.Now()
	}
	snap, err = h.build(principal.With(ctx, reader), key, base, latest.UTC().Truncate(time.Second))
	if err != nil && ctx.Err() != nil {
		return h.lastGood(err) // the client left: nothing to log or remember
	}
	if err != nil {
		h.opts.Log.Error("open data: build refused", "error", err, "serving_last_good", h.snap != nil)
		var left *UnreachableError
		if errors.As(err, &left) || errs.CodeOf(err) == errs.DataLoss {
			// Damage lasts until the region is restored, which changes
			// the state: not built, nor logged, again before.
			h.failed = &failure{key: key, err: err}
		}
		return h.lastGood(err)
	}
	h.snap, h.failed = snap, nil
	return snap, nil, nil
}

// lastGood returns the last good snapshot, stale because of err, or err
// when there is none. h.mu is held.
func (h *Handler) lastGood(err error) (snap *snapshot, stale, _ error) {
	if h.snap == nil {
		return nil, nil, err
	}
	return h.snap, err, nil
}

// newFile compresses body once and names it by its content. The file
// keeps both at their exact size: a snapshot holds its files until the
// platform changes, and the buffers they were made in grow to as much as
// twice what they hold (json.MarshalIndent's output, a bytes.Buffer).
func newFile(contentType string, body []byte, modified time.Time) *file {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	sum := sha256.Sum256(body)
	return &file{contentType: contentType, body: bytes.Clone(body), gz: bytes.Clone(gz.Bytes()), etag: `"` + hex.EncodeToString(sum[:16]) + `"`, modified: modified}
}

// ServeHTTP serves the open-data files: GET and HEAD, anonymous,
// revalidated with ETag (preferred) or Last-Modified, gzipped when the
// client accepts it, and limited per client (principal.ClientOf).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if wait, ok := h.limiter.allow(client(r), h.opts.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		http.Error(w, "Troppe richieste: riprovare più tardi.", http.StatusTooManyRequests)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Metodo non consentito.", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	if name == "" {
		name = "index.html"
	}
	snap, stale, err := h.current(r.Context(), h.base(r))
	var left *UnreachableError
	switch {
	case errors.As(err, &left):
		// Logged by the build; a damaged region needs an operator, so
		// no Retry-After.
		http.Error(w, "Dati aperti non disponibili: archivio danneggiato o in ripristino per "+left.displayNames()+".", http.StatusServiceUnavailable)
		return
	case err != nil:
		http.Error(w, "Dati aperti temporaneamente non disponibili.", http.StatusServiceUnavailable)
		return
	}
	f, ok := snap.files[name]
	if !ok {
		http.Error(w, "Risorsa non trovata.", http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	hd.Set("Cache-Control", "public, max-age=60")
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Vary", "Accept-Encoding")
	if stale != nil {
		// The last good snapshot: its files (and validators) are those
		// of an earlier state of the platform.
		hd.Set("Raccordo-Stale", "true")
		if errors.As(stale, &left) {
			hd.Set("Raccordo-Unreachable", strings.Join(left.Regions, ", "))
		}
	}
	body, etag := f.body, f.etag
	if acceptsGzip(r) {
		// Another representation, so another strong validator.
		body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gzip"`
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("ETag", etag)
	// ServeContent answers If-None-Match (over If-Modified-Since), HEAD
	// and ranges, and sets Last-Modified and Content-Length.
	http.ServeContent(w, r, name, f.modified, bytes.NewReader(body))
}

// base is the scheme and host of the catalogue's links.
func (h *Handler) base(r *http.Request) string {
	if h.opts.PublicURL != "" {
		return strings.TrimSuffix(h.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !found {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// client is the client r comes from, as every per-client limit counts it
// (principal.ClientOf: an IPv4 address, an IPv6 /64).
func client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return principal.ClientOf(host)
}

// limiter allows each client a burst of requests, then rate per second.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

// maxClients bounds the limiter's memory; idle (full) limiters go first.
const maxClients = 100000

func newLimiter(r rate.Limit, burst int) *limiter {
	return &limiter{rate: r, burst: burst, clients: map[string]*rate.Limiter{}}
}

// allow spends one request of client; when none is left it returns how
// long to wait.
func (l *limiter) allow(client string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	lim, ok := l.clients[client]
	if !ok {
		if len(l.clients) >= maxClients {
			for k, v := range l.clients {
				if v.TokensAt(now) >= float64(l.burst) {
					delete(l.clients, k)
				}
			}
		}
		lim = rate.NewLimiter(l.rate, l.burst)
		l.clients[client] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}
