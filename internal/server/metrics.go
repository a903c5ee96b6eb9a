package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// metrics are the server's Prometheus collectors. Each server has its own
// registry, so that several servers in one process (the tests) never share
// counts.
type metrics struct {
	reg *prometheus.Registry
	// rpcs and latency are labelled service, method, code and surface
	// (grpc, connect, grpcweb, rest, web, inproc): every call on every surface is
	// counted by the pipeline, once.
	rpcs    *prometheus.CounterVec
	latency *prometheus.HistogramVec
	// series caches each label set's counter and histogram (keyed by
	// seriesKey), so that a call costs no label hashing: the label sets
	// are bounded by the registered procedures, surfaces and codes.
	series sync.Map
	// streams counts the streams in progress (watches, backup downloads).
	streams *prometheus.GaugeVec
	// authFailures counts refused credentials by reason (LOGIN_FAILED for
	// a wrong password, INVALID_TOKEN, ...); rateLimited the calls refused
	// by a rate limit (TOO_MANY_LOGIN_FAILURES).
	authFailures *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	// The store's group commits, per region.
	commit      *prometheus.HistogramVec
	commitBatch *prometheus.HistogramVec
	commitWrite *prometheus.HistogramVec
}

// newMetrics registers every collector but the store's, which needs the
// store open (see storeCollector).
func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		rpcs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raccordo_rpc_requests_total",
			Help: "RPCs completed, by service, method, status code and surface (grpc, connect, grpcweb, rest).",
		}, []string{"service", "method", "code", "surface"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "raccordo_rpc_duration_seconds",
			Help:    "Time from a call's arrival in the pipeline to its answer, by service, method, status code and surface.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service", "method", "code", "surface"}),
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "raccordo_rpc_streams_active",
			Help: "Streams in progress (method Watch: the active change-feed watchers).",
		}, []string{"service", "method", "surface"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raccordo_auth_failures_total",
			Help: "Calls refused as UNAUTHENTICATED, by reason (LOGIN_FAILED: a wrong username or password).",
		}, []string{"reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raccordo_rate_limited_total",
			Help: "Calls refused by a rate limit (RESOURCE_EXHAUSTED), by service, method and reason.",
		}, []string{"service", "method", "reason"}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "raccordo_store_commit_duration_seconds",
			Help:    "Time of a group commit, from the transaction's start to its durable commit, by region.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"region"}),
		commitBatch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "raccordo_store_commit_batch_size",
			Help:    "Mutations carried by one group commit, by region.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}, []string{"region"}),
		commitWrite: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "raccordo_store_commit_write_seconds",
			Help:    "Time bbolt spent writing a commit's pages to disk, fsyncs included, by region.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"region"}),
	}
	m.reg.MustRegister(m.rpcs, m.latency, m.streams, m.authFailures, m.rateLimited, m.commit, m.commitBatch, m.commitWrite,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	return m
}

// splitProcedure splits "/fami.v1.PartnerService/GetPartner" into service
// and method.
func splitProcedure(procedure string) (service, method string) {
	service, method, _ = strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	return service, method
}

// seriesKey identifies a call's rpcs and latency series.
type seriesKey struct{ procedure, protocol, code string }

// rpcSeries is one label set's counter and histogram.
type rpcSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// observe records a finished call.
func (m *metrics) observe(c *call, code, reason string, d time.Duration) {
	key := seriesKey{c.procedure, c.protocol, code}
	s, ok := m.series.Load(key)
	if !ok {
		service, method := splitProcedure(c.procedure)
		s, _ = m.series.LoadOrStore(key, &rpcSeries{
			count:   m.rpcs.WithLabelValues(service, method, code, c.protocol),
			latency: m.latency.WithLabelValues(service, method, code, c.protocol),
		})
	}
	rs := s.(*rpcSeries)
	rs.count.Inc()
	rs.latency.Observe(d.Seconds())
	switch code {
	case "UNAUTHENTICATED":
		m.authFailures.WithLabelValues(reason).Inc()
	case "RESOURCE_EXHAUSTED":
		service, method := splitProcedure(c.procedure)
		m.rateLimited.WithLabelValues(service, method, reason).Inc()
	}
}

// streamStarted counts a stream in progress until the returned function
// is called.
func (m *metrics) streamStarted(c call) (done func()) {
	service, method := splitProcedure(c.procedure)
	g := m.streams.WithLabelValues(service, method, c.protocol)
	g.Inc()
	return g.Dec
}

// storeCollector reads the regions' revisions and change-log lengths at
// each scrape, so the gauges are never stale and cost nothing between
// scrapes; and says which of regions the store serves, 1 for each that
// has stats and 0 for one it refused at start (a damaged file, a data
// format it does not know). Such a region had no gauge at all, while
// /readyz stays ready since the others serve (ADR 19): the start's log
// line was its only trace.
type storeCollector struct {
	regions []string
	stats   func() ([]bolt.RegionStats, error)
}

var (
	revisionDesc  = prometheus.NewDesc("raccordo_store_revision", "The region's current revision.", []string{"region"}, nil)
	changeLogDesc = prometheus.NewDesc("raccordo_store_changelog_length", "Changes the region's change log retains (since its compaction).", []string{"region"}, nil)
	servedDesc    = prometheus.NewDesc("raccordo_store_region_served",
		"1 while the store serves the region, 0 when it does not: on bbolt its file refused at start (damaged, or of a data format it does not know), which the log's \"region not served\" explains; on etcd, read at each scrape, its data of a format it does not know, its import unfinished or its keys deleted, which its calls' errors explain.",
		[]string{"region"}, nil)
)

// servedCollector says at each scrape which regions a store without
// local stats serves (etcd, whose regions stop being served while an
// import runs or is cut short, or after their keys are deleted, long
// after the start's log line): 0 for each unserved names, 1 for the
// others. A scrape reads the cluster (one round trip per region, several at
// a time: etcd.Store.Unserved), for
// readyTimeout at most; a cluster that does not answer leaves the gauge
// out of that scrape rather than claim every region served, or fail the
// whole scrape (an invalid metric does), whose error rates matter most
// then. /readyz says the cluster is not answering.
type servedCollector struct {
	regions  []string
	unserved func(context.Context) (map[string]error, error)
}

func (c *servedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- servedDesc }

func (c *servedCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	unserved, err := c.unserved(ctx)
	if err != nil {
		return
	}
	for _, region := range c.regions {
		v := 1.0
		if _, no := unserved[region]; no {
			v = 0
		}
		ch <- prometheus.MustNewConstMetric(servedDesc, prometheus.GaugeValue, v, region)
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- revisionDesc
	ch <- changeLogDesc
	ch <- servedDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	stats, err := c.stats()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(revisionDesc, err)
		return
	}
	served := make(map[string]bool, len(stats))
	for _, s := range stats {
		served[s.Region] = true
		ch <- prometheus.MustNewConstMetric(revisionDesc, prometheus.GaugeValue, float64(s.Revision), s.Region)
		ch <- prometheus.MustNewConstMetric(changeLogDesc, prometheus.GaugeValue, float64(s.Changes), s.Region)
	}
	for _, region := range c.regions {
		v := 0.0
		if served[region] {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(servedDesc, prometheus.GaugeValue, v, region)
	}
}

// storeObserver is the store's bolt.Observer: a span for each transaction
// (a child of the call's span) and the commit histograms.
type storeObserver struct {
	tracer  trace.Tracer // nil when tracing is off
	metrics *metrics
}

func (o *storeObserver) Begin(ctx context.Context, region, op string) func(error) {
	if o.tracer == nil {
		return endNothing
	}
	_, span := o.tracer.Start(ctx, "store."+op, trace.WithAttributes(attribute.String("raccordo.region", region)))
	return func(err error) {
		switch {
		case store.RolledBack(err):
			// A validate-only write's check, rolled back with its
			// answer: no failure.
			span.SetAttributes(attribute.Bool("raccordo.validate_only", true))
		case err != nil:
			code, reason := outcome(err)
			span.SetStatus(otelcodes.Error, code+" "+reason)
		}
		span.End()
	}
}

// endNothing ends a store operation when tracing is off.
func endNothing(error) {}

func (o *storeObserver) Committed(region string, c bolt.Commit) {
	o.metrics.commit.WithLabelValues(region).Observe(c.Duration.Seconds())
	o.metrics.commitBatch.WithLabelValues(region).Observe(float64(c.Mutations))
	o.metrics.commitWrite.WithLabelValues(region).Observe(c.Write.Seconds())
}
