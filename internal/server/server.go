// Package server wires the platform's services onto its two listeners: gRPC
// (grpc-go, with reflection and health) and HTTP (Connect, gRPC and gRPC-Web
// through connect-go, with reflection; REST through grpc-gateway; the
// OpenAPI documents; /healthz, /readyz), plus the operators' listeners:
// metrics (/metrics) and the opt-in admin one (pprof). Every surface runs the same pipeline, so deadlines,
// logging, metrics, traces, error translation and authorisation cannot
// drift between them.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fullstorydev/grpchan/inprocgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/admin"
	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/dashboard"
	"github.com/raccordo/raccordo/internal/evaluation"
	"github.com/raccordo/raccordo/internal/feed"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/monitoring"
	"github.com/raccordo/raccordo/internal/opendata"
	"github.com/raccordo/raccordo/internal/protocols"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/support"
	"github.com/raccordo/raccordo/internal/territory"
)

// Config is the server's configuration; cmd/famid fills it from flags.
type Config struct {
	// DataDir holds the bbolt files (system.db and regions/*.db) and the
	// signing keys; on etcd, the signing keys and the backups in progress.
	// Required: Open refuses an empty one (ErrNoDataDir).
	DataDir string
	// Store is the storage backend: StoreBolt (the default) or StoreEtcd.
	Store string
	// Etcd configures the etcd backend.
	Etcd EtcdConfig
	// GRPCAddr and HTTPAddr are the listen addresses; port 0 picks a free
	// port (see Server.GRPCAddr and Server.HTTPAddr).
	GRPCAddr string
	HTTPAddr string
	// MunicipalitiesFile is an ISTAT municipality list (CSV); empty means
	// ISTAT codes are checked for format only.
	MunicipalitiesFile string
	// RequestTimeout bounds every unary call without a shorter deadline.
	RequestTimeout time.Duration
	// MaxMessageBytes bounds a request message (and a REST body).
	MaxMessageBytes int
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout time.Duration
	// LockTimeout bounds the wait for the data dir's file locks.
	LockTimeout time.Duration
	// RequestRetention is how long request_ids are remembered.
	RequestRetention time.Duration
	// BookmarkInterval is how often an idle watch gets a bookmark.
	BookmarkInterval time.Duration
	// ChangeRetention is how many recent changes each region's change log
	// keeps (0: bolt.DefaultChangeRetention; negative: all).
	ChangeRetention int64
	// MaxStreams and MaxStreamsPerPrincipal bound the open streams (watches),
	// in total and per caller; beyond them a stream is refused with
	// RESOURCE_EXHAUSTED and a Retry-After.
	MaxStreams             int
	MaxStreamsPerPrincipal int
	// MaxConcurrentCalls bounds the unary calls in progress, on every
	// surface together, each counted from its arrival at the listener
	// until its handler returns; beyond it a call is refused as it
	// arrives, before its request is read, with RESOURCE_EXHAUSTED (REST:
	// 429) and a Retry-After.
	MaxConcurrentCalls int
	// admissionHold is how long a call admitted on arrival keeps its slot
	// before reaching its handler; only tests change it.
	admissionHold time.Duration
	// refusedBodyLimit is the longest request body a refusal at the
	// concurrency limit leaves net/http to read on HTTP/1.x; only
	// benchmarks change it (see shedder.settle).
	refusedBodyLimit int64
	// noRPCLines is how many access lines of calls that name no RPC are
	// written a minute (defaultNoRPCLines); only tests change it.
	noRPCLines int
	// wrapRevocations, when set, wraps the revocation list the token
	// checks consult; only tests set it, to count the checks.
	wrapRevocations func(auth.Revocations) auth.Revocations
	// overloadLines is how many access lines of calls refused at the
	// concurrency limit each surface writes a minute
	// (defaultOverloadLines); only tests change it.
	overloadLines int
	// readHeaderTimeout is how long every HTTP listener waits for a
	// request's headers (defaultReadHeaderTimeout); only tests change it.
	readHeaderTimeout time.Duration
	// GRPCMaxConnections caps the gRPC listener's open connections; more
	// wait in the kernel's backlog until one closes.
	GRPCMaxConnections int
	// GRPCIdleTimeout closes a gRPC connection without calls for that long
	// (a GOAWAY the client reconnects after); GRPCMaxConnectionAge closes
	// any connection after that long, its calls given a grace period, so
	// no connection is held for ever.
	GRPCIdleTimeout      time.Duration
	GRPCMaxConnectionAge time.Duration
	// LoginTokenTTL is the lifetime of a token from Login.
	LoginTokenTTL time.Duration
	// ServiceTokenRetention is how long the record of an expired service
	// token stays listed, as EXPIRED, before it is forgotten
	// (0: accounts.DefaultServiceTokenRetention).
	ServiceTokenRetention time.Duration
	// Now is the server's one clock: every decision that depends on the
	// time reads it (token expiry and its leeway, service-token states and
	// retention, revocation pruning, login lockouts, survey closing,
	// calendar days and feed windows, the times records are stamped with,
	// request_id retention). time.Now when nil; tests pass a fake clock
	// (internal/fakeclock) and move it instead of waiting. Durations
	// measured (latency, deadlines, timers) stay on the real clock.
	Now func() time.Time
	// AdminAddr, when set, is the listen address of the operators'
	// listener: pprof under /debug/pprof/ and /metrics. Off by default:
	// profiles show the process's internals.
	AdminAddr string
	// MetricsAddr, when set, is the listen address of the metrics
	// listener: /metrics alone, for Prometheus. Off when empty; famid's
	// default is DefaultMetricsAddr, on loopback. The metrics are not on
	// the HTTP listener, which is public: they show who calls what, how
	// often and failing how (login failures, limits hit), and each
	// region's activity.
	MetricsAddr string
	// CORSOrigins are the browser origins (https://portale.regione.it)
	// allowed to call REST, Connect and gRPC-Web cross-site; none when
	// empty.
	CORSOrigins []string
	// DrainDelay is how long the server keeps serving after shutdown
	// begins while /readyz and gRPC health already say NOT_SERVING, so a
	// load balancer stops sending new calls before the listeners close.
	DrainDelay time.Duration
	// TracerProvider receives the server's spans; nil traces nothing.
	// cmd/famid builds one from the OTEL_* environment (internal/telemetry).
	TracerProvider trace.TracerProvider
	// OpenData configures /opendata/ (public URL, publisher, per-client
	// rate limit); the zero value is usable.
	OpenData opendata.Options
	// SurveyBurst is how many survey opens and answers one client address
	// may make at once before being slowed to one a second; 0 means 60.
	SurveyBurst int
	// InsecureNoAuth turns authentication and authorisation off. It exists
	// only so a benchmark can measure what auth costs; famid has no flag
	// for it.
	InsecureNoAuth bool
	// PasswordCost is the cost of the password hashes the server makes:
	// the zero value, argon2id at OWASP's minimum, but in tests, which pass
	// auth.TestPasswordCost (servertest does). famid has no flag for it, and
	// none could set it: a cost is a Go value (auth.PasswordCost).
	PasswordCost auth.PasswordCost
	Logger       *slog.Logger
	// AccessLogLevel is the level of the line logged for each call
	// (info when zero); calls that fail with INTERNAL are logged at warn
	// at least. Below the Logger's level, calls are not logged and the
	// line costs nothing.
	AccessLogLevel slog.Level
}

// Defaults for the zero values of Config.
const (
	DefaultGRPCAddr        = "127.0.0.1:9090"
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultRequestTimeout  = 30 * time.Second
	DefaultMaxMessageBytes = 4 << 20
	DefaultShutdownTimeout = 10 * time.Second

	DefaultGRPCMaxConnections   = 1000
	DefaultGRPCIdleTimeout      = 5 * time.Minute
	DefaultGRPCMaxConnectionAge = 2 * time.Hour
)

// DefaultMetricsAddr is famid's metrics listener (Config.MetricsAddr,
// off when empty): loopback only, so a scraper on another host needs the
// operator to choose an address; 9464 is the Prometheus exporter port
// OpenTelemetry's exporter uses.
const DefaultMetricsAddr = "127.0.0.1:9464"

// grpcAgeGrace is how long the calls of a connection past its maximum age
// may finish (a watch then reconnects and resumes from its revision).
const grpcAgeGrace = time.Minute

// grpcHandshakeTimeout bounds a new connection's HTTP/2 handshake: one
// that opens TCP and sends nothing is dropped.
const grpcHandshakeTimeout = 10 * time.Second

// ErrNoDataDir is Open's refusal of a Config without a DataDir.
var ErrNoDataDir = errors.New("server.Config.DataDir is empty: the server keeps its signing keys there (keys/), and its bbolt files or, on etcd, its backups in progress; name a directory of its own")

func (c *Config) setDefaults() {
	orDefault(&c.GRPCAddr, DefaultGRPCAddr)
	orDefault(&c.HTTPAddr, DefaultHTTPAddr)
	orDefault(&c.RequestTimeout, DefaultRequestTimeout)
	orDefault(&c.MaxMessageBytes, DefaultMaxMessageBytes)
	orDefault(&c.ShutdownTimeout, DefaultShutdownTimeout)
	orDefault(&c.MaxConcurrentCalls, DefaultMaxConcurrentCalls)
	orDefault(&c.admissionHold, defaultAdmissionHold)
	orDefault(&c.refusedBodyLimit, defaultRefusedBodyLimit)
	orDefault(&c.noRPCLines, defaultNoRPCLines)
	orDefault(&c.overloadLines, defaultOverloadLines)
	orDefault(&c.readHeaderTimeout, defaultReadHeaderTimeout)
	orDefault(&c.GRPCMaxConnections, DefaultGRPCMaxConnections)
	orDefault(&c.GRPCIdleTimeout, DefaultGRPCIdleTimeout)
	orDefault(&c.GRPCMaxConnectionAge, DefaultGRPCMaxConnectionAge)
	orDefault(&c.MaxStreams, DefaultMaxStreams)
	orDefault(&c.MaxStreamsPerPrincipal, DefaultMaxStreamsPerPrincipal)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TracerProvider == nil {
		c.TracerProvider = tracenoop.NewTracerProvider()
	}
}

// orDefault sets *v to def when it is unset: zero, or for a number below
// zero.
func orDefault[T cmp.Ordered](v *T, def T) {
	var zero T
	if *v <= zero {
		*v = def
	}
}

// Server is a running famid: open with Open, serve with Run, release with
// Close. End-to-end tests use the same type as cmd/famid.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store backend
	// closeStore releases the store.
	closeStore func() error
	// storeStats reads the regions' revisions and change-log lengths; nil
	// when the backend (etcd) has no such local figures.
	storeStats func() ([]bolt.RegionStats, error)
	// storePing asks a networked store (etcd) whether it can serve now;
	// nil for bbolt, whose readiness is storeStats reading its files.
	storePing func(context.Context) error
	keys      *auth.KeySet
	admin     *admin.Service
	// openData serves /opendata/, the one anonymous surface.
	openData *opendata.Handler
	// beginShutdown ends the streams when shutdown starts.
	beginShutdown context.CancelFunc
	grpc          *grpc.Server
	health        *health.Server
	http          *http.Server
	grpcLis       net.Listener
	httpLis       net.Listener
	// gateway is the REST gateway's connection to the services.
	gateway grpc.ClientConnInterface
	metrics *metrics
	// tracing is set when Config.TracerProvider was.
	tracing bool
	// draining is set when shutdown begins: /readyz then answers 503.
	draining atomic.Bool
	// hurried ends when Hurry is called: a shutdown then waits no more.
	hurried   context.Context
	hurry     context.CancelFunc
	adminHTTP *http.Server
	adminLis  net.Listener
	// metricsHTTP serves /metrics alone on metricsLis.
	metricsHTTP *http.Server
	metricsLis  net.Listener
	closeOne    sync.Once
	// stopFollow stops following a shared store's system changes.
	stopFollow func()
	// noRPCLines is the pipeline's budget of access lines, whose drops
	// not yet logged Close logs.
	noRPCLines *lineBudget
	// overloadLines are the budgets of the refusals' access lines, whose
	// drops not yet logged Close logs.
	overloadLines *overloadLines
	// cutStreams fails the writes of the streams on the HTTP listener
	// still running once the stop waits for them no more (cutOnStop).
	cutStreams context.CancelFunc
}

// Open opens the data dir, loads the reference data and binds both
// listeners; nothing is served until Run. Its steps run in order: the
// reference data, the store, the keys and accounts, the services, the
// pipeline every surface shares, the servers over it, the listeners.
func Open(ctx context.Context, cfg Config) (_ *Server, err error) {
	// An empty DataDir used to become "data", in whatever working
	// directory a library caller ran in: its signing keys went there, and
	// a start from elsewhere made new ones. famid refuses an empty
	// --data-dir before it gets here, naming its flag.
	if strings.TrimSpace(cfg.DataDir) == "" {
		return nil, ErrNoDataDir
	}
	tracing := cfg.TracerProvider != nil
	cfg.setDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, tracing: tracing}
	s.hurried, s.hurry = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	munis, err := s.loadMunicipalities()
	if err != nil {
		return nil, err
	}
	s.metrics = newMetrics()
	// With tracing off (no TracerProvider) nothing traces at all: no
	// otel middleware, no noop spans on the hot paths.
	var tracer trace.Tracer
	if s.tracing {
		tracer = cfg.TracerProvider.Tracer(instrumentationName)
	}
	if err := s.openStorage(ctx, tracer); err != nil {
		return nil, err
	}
	acc, err := s.openAccounts(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.upgradeRegions(ctx); err != nil {
		return nil, err
	}
	rights, err := policy()
	if err != nil {
		return nil, fmt.Errorf("rights table: %w", err)
	}
	svcs := s.newServices(acc, munis, rights)
	pipe := s.newPipeline(acc, rights, tracer)
	s.grpc = s.newGRPCServer(svcs, pipe)
	s.gateway = s.newGateway(svcs, pipe)
	handler, err := s.httpHandler(ctx, svcs, pipe)
	if err != nil {
		return nil, err
	}
	s.http = s.newHTTPServer(handler)
	if err := s.listen(); err != nil {
		return nil, err
	}
	s.log.Info("famid ready", "grpc", s.GRPCAddr(), "http", s.HTTPAddr(), "admin", s.AdminAddr(), "metrics", s.MetricsAddr(), "data_dir", absPath(cfg.DataDir))
	return s, nil
}

// loadMunicipalities loads the ISTAT municipalities list when the
// configuration names one; nil otherwise.
func (s *Server) loadMunicipalities() (*territory.Municipalities, error) {
	if s.cfg.MunicipalitiesFile == "" {
		return nil, nil
	}
	munis, err := territory.LoadMunicipalitiesFile(s.cfg.MunicipalitiesFile)
	if err != nil {
		return nil, fmt.Errorf("load municipalities: %w", err)
	}
	s.log.Info("municipalities loaded", "file", s.cfg.MunicipalitiesFile, "count", munis.Len())
	return munis, nil
}

// openStorage opens the store of every region, observed by the metrics
// (and tracer, when tracing), and logs the regions it cannot serve.
func (s *Server) openStorage(ctx context.Context, tracer trace.Tracer) error {
	ids := aip.RegionIDs()
	obs := &storeObserver{tracer: tracer, metrics: s.metrics}
	var err error
	if s.store, s.closeStore, err = openStore(ctx, s.cfg, ids, obs); err != nil {
		return err
	}
	if st, ok := s.store.(interface {
		Stats() ([]bolt.RegionStats, error)
	}); ok {
		s.storeStats = st.Stats
		s.metrics.reg.MustRegister(&storeCollector{regions: ids, stats: st.Stats})
	}
	if st, ok := s.store.(interface{ Ping(context.Context) error }); ok {
		s.storePing = st.Ping
	}
	if st, ok := s.store.(interface {
		Unserved(context.Context) (map[string]error, error)
	}); ok {
		s.metrics.reg.MustRegister(&servedCollector{regions: ids, unserved: st.Unserved})
	}
	if _, isShared := s.store.(store.SharedSystem); isShared {
		// Download the keys other processes created before loading them.
		if _, err := shareKeys(ctx, s.store, s.cfg.DataDir); err != nil {
			return err
		}
	}
	if st, ok := s.store.(interface{ Damaged() map[string]error }); ok {
		for region, err := range st.Damaged() {
			s.log.Error("region not served", "region", region, "err", err)
		}
	}
	return nil
}

// upgradeRegions makes the one-time upgrades of the regions' records that
// the services count on once they serve, before they do. A region whose
// records cannot be read now (a damaged record, a region not served) is
// logged and upgraded at a later start; any other error stops this one.
func (s *Server) upgradeRegions(ctx context.Context) error {
	for _, u := range []struct {
		// what the step records, and what is missing in a region left out.
		what, missing string
		run           func(context.Context, store.Store, []string) ([]string, error)
	}{
		{"the meetings older surveys evaluate", "the meetings older surveys evaluate are not recorded as in use", evaluation.RecordSurveyRefs},
		{"the plans of older projects", "the plans of older projects are in no summary and outside the budget ceiling", registry.RecordProjectPlans},
	} {
		ctx, unreachable := aip.TrackUnreachable(ctx)
		if _, err := u.run(ctx, s.store, aip.RegionIDs()); err != nil {
			return fmt.Errorf("record %s: %w", u.what, err)
		}
		if regions, err := unreachable(); len(regions) > 0 {
			s.log.Error(u.missing+"; retried at the next start", "regions", regions, "err", err)
		}
	}
	return nil
}

// openAccounts loads (or creates) the signing keys and opens the
// accounts; a shared store gets the keys created here and is followed for
// the other processes' changes.
func (s *Server) openAccounts(ctx context.Context) (*accounts.Service, error) {
	// The keys are read after the store is open: its lock is what keeps a
	// second server off this data dir.
	var err error
	if s.keys, err = auth.LoadOrCreateKeys(s.cfg.DataDir); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	open := func() (*accounts.Service, error) {
		return accounts.New(ctx, s.store, s.store, s.keys, accounts.Options{
			LoginTTL: s.cfg.LoginTokenTTL, ServiceTokenRetention: s.cfg.ServiceTokenRetention, Now: s.cfg.Now,
			PasswordCost: s.cfg.PasswordCost})
	}
	if shared, isShared := s.store.(store.SharedSystem); isShared {
		return s.followShared(ctx, shared, open)
	}
	return open()
}

// newServices builds the capabilities over the store, and the open-data
// surface over them, and returns the services every transport serves. The
// change feed gives each caller the types rights lets them read.
func (s *Server) newServices(acc *accounts.Service, munis *territory.Municipalities, rights auth.Policy) []service {
	cfg := s.cfg
	s.admin = admin.New(s.store)
	reg := registry.New(s.store, munis)
	prot := protocols.New(s.store, protocols.Options{Now: cfg.Now})
	sup := support.New(s.store, support.Options{Now: cfg.Now})
	mtg := meetings.New(s.store, meetings.Options{Now: cfg.Now, Revocations: acc.Revocations()})
	acc.RevokeFeedTokens(mtg)
	svcs := apiServices(reg, acc, prot, sup, mtg)
	mon := monitoring.New(s.store, monitoring.Options{Now: cfg.Now})
	svcs = append(svcs, monitoringServices(mon, reg.Contacts(), evaluation.New(s.store),
		evaluation.NewSurveys(s.store, evaluation.SurveyOptions{Now: cfg.Now, Burst: cfg.SurveyBurst}))...)
	svcs = append(svcs, dashboardService(dashboard.New(dashboard.Sources{
		Partners: reg.Partners(), Networks: reg.Networks(), Protocols: prot, Meetings: mtg, Support: sup, Monitoring: mon, Now: cfg.Now})))
	svcs = append(svcs, overlapService(reg.Overlaps()))
	odOpts := cfg.OpenData
	if odOpts.Log == nil {
		odOpts.Log = s.log
	}
	if odOpts.Now == nil {
		odOpts.Now = cfg.Now
	}
	s.openData = opendata.New(s.store, opendata.Sources{
		Partners: reg.Partners(), Projects: reg.Projects(), Networks: reg.Networks(), Protocols: prot, Support: sup, Monitoring: mon}, odOpts)
	svcs = append(svcs, syncServices(feed.New(s.store, feed.Options{BookmarkInterval: cfg.BookmarkInterval, Types: feedTypes(rights, ownedTypes()),
		Shown: evaluation.ShownChanges}), s.admin)...)
	return svcs
}

// newPipeline builds the pipeline every call passes through, whatever its
// surface: authentication, policy, limits, deadline, metrics and spans.
// Shutdown begins by cancelling its shutdown context.
func (s *Server) newPipeline(acc *accounts.Service, rights auth.Policy, tracer trace.Tracer) *pipeline {
	cfg := s.cfg
	shutdown, beginShutdown := context.WithCancel(context.Background())
	s.beginShutdown = beginShutdown
	cut, cutStreams := context.WithCancel(context.Background())
	s.cutStreams = cutStreams
	p := &pipeline{
		log:               s.log,
		accessLevel:       cfg.AccessLogLevel,
		requestTimeout:    cfg.RequestTimeout,
		verifier:          auth.NewVerifier(s.keys, cfg.revocations(acc.Revocations()), cfg.Now),
		now:               cfg.Now,
		policy:            rights,
		anonymousRefusals: rights.AnonymousRefusals(),
		noAuth:            cfg.InsecureNoAuth,
		shutdown:          shutdown,
		cut:               cut,
		metrics:           s.metrics,
		tracer:            tracer,
		streams:           newStreamSlots(cfg.MaxStreams, cfg.MaxStreamsPerPrincipal),
		shed:              newShedder(cfg.MaxConcurrentCalls, cfg.admissionHold, cfg.refusedBodyLimit, s.metrics, s.log),
		undecoded:         newUndecoded(),
	}
	p.noRPCLines = newLineBudget(cfg.noRPCLines, noRPCInterval, cfg.Now, p.logSuppressed)
	s.noRPCLines = p.noRPCLines
	p.shed.lines = newOverloadLines(p, cfg.overloadLines)
	s.overloadLines = p.shed.lines
	return p
}

// revocations is the revocation list the token checks consult: r, or
// r wrapped by a test (wrapRevocations).
func (c *Config) revocations(r auth.Revocations) auth.Revocations {
	if c.wrapRevocations != nil {
		return c.wrapRevocations(r)
	}
	return r
}

// newGRPCServer builds the gRPC server of the services, with health and
// reflection, its calls admitted by pipe.
func (s *Server) newGRPCServer(svcs []service, pipe *pipeline) *grpc.Server {
	cfg := s.cfg
	grpcOpts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(pipe.grpcUnary),
		grpc.ChainStreamInterceptor(pipe.grpcStream),
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.ForceServerCodecV2(newGRPCCodec(pipe.undecoded)),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     cfg.GRPCIdleTimeout,
			MaxConnectionAge:      cfg.GRPCMaxConnectionAge,
			MaxConnectionAgeGrace: grpcAgeGrace,
		}),
		grpc.ConnectionTimeout(grpcHandshakeTimeout),
		// Unary calls are admitted, or refused, as they arrive.
		grpc.InTapHandle(pipe.shed.tap),
		// A call of a procedure the server does not serve is recorded.
		grpc.UnknownServiceHandler(pipe.grpcUnknown),
		grpc.MaxHeaderListSize(maxHeaderBytes),
	}
	if s.tracing {
		// A call of a procedure the server does not serve gets no span of
		// otelgrpc's, which would be named by what the client sent, at any
		// length: the pipeline's span records it (unknown), clipped. The
		// caller's trace context is still read, and is its parent.
		opts := append(s.otelgrpcOptions(), otelgrpc.WithFilter(pipe.serves))
		grpcOpts = append(grpcOpts, grpc.StatsHandler(otelgrpc.NewServerHandler(opts...)))
	}
	srv := grpc.NewServer(grpcOpts...)
	for _, svc := range svcs {
		svc.grpc(authFirst{srv, pipe})
	}
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(srv, s.health)
	reflection.Register(srv)
	pipe.served = servedBy(srv)
	pipe.shed.admitOnArrival(pipe.served)
	return srv
}

// newGateway returns the connection the gateway reaches the services
// through: in process, running the same interceptors as the gRPC server
// but handing the messages over as copies instead of serialising them
// (ADR 13), and making unary calls on the caller's goroutine (inprocConn).
// The connection is also what the gateway's callers get as theirs.
func (s *Server) newGateway(svcs []service, pipe *pipeline) *inprocConn {
	ch := new(inprocgrpc.Channel).
		WithServerUnaryInterceptor(pipe.grpcUnary).
		WithServerStreamInterceptor(pipe.grpcStream)
	if s.tracing {
		// The REST call's span (the gateway's) goes on to the server side.
		ch = ch.WithClientStatsHandler(otelgrpc.NewClientHandler(s.otelgrpcOptions()...)).
			WithServerStatsHandler(otelgrpc.NewServerHandler(s.otelgrpcOptions()...))
	}
	conn := newInprocConn(ch, pipe.grpcUnary, pipe.log, !s.tracing)
	conn.refuse = pipe.refuse
	for _, svc := range svcs {
		svc.grpc(conn)
	}
	return conn
}

// maxHeaderBytes bounds a request's headers on the gRPC and every HTTP
// listener alike: room for a hostile 1 MiB token to reach the verifier,
// which refuses anything over auth.MaxTokenBytes with a proper
// UNAUTHENTICATED (401). Over it the HTTP listener answers 431 and the
// gRPC listener resets the stream; a client told the bound (HTTP/2's
// SETTINGS_MAX_HEADER_LIST_SIZE), as grpc-go's is, does not send it.
// grpc-go's own bound is 16 MiB, decoded for every call.
const maxHeaderBytes = 2 << 20

// defaultReadHeaderTimeout is how long every HTTP listener waits for a
// request's headers: a client that opens a connection and sends them
// slowly, or not at all, holds it no longer.
const defaultReadHeaderTimeout = 10 * time.Second

// newHTTPServer is the server of handler on each HTTP listener (the API's,
// the admin's and the metrics'), so that every one bounds a request's
// headers, in size and in time, and a connection's life alike.
func (s *Server) newHTTPServer(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: s.cfg.readHeaderTimeout,
		ReadTimeout:       60 * time.Second,
		// No WriteTimeout: server streams (sync) stay open; unary calls
		// are bounded by the pipeline's deadline instead.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: maxHeaderBytes,
		Protocols:      httpProtocols(),
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// listen binds the gRPC, HTTP and (when configured) admin and metrics
// listeners.
func (s *Server) listen() error {
	var err error
	if s.grpcLis, err = listenCapped(s.cfg.GRPCAddr, s.cfg.GRPCMaxConnections); err != nil {
		return fmt.Errorf("listen gRPC: %w", err)
	}
	if s.httpLis, err = net.Listen("tcp", s.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("listen HTTP: %w", err)
	}
	if s.cfg.AdminAddr != "" {
		if s.adminLis, err = net.Listen("tcp", s.cfg.AdminAddr); err != nil {
			return fmt.Errorf("listen admin: %w", err)
		}
		s.adminHTTP = s.newHTTPServer(s.adminHandler())
	}
	if s.cfg.MetricsAddr != "" {
		if s.metricsLis, err = net.Listen("tcp", s.cfg.MetricsAddr); err != nil {
			return fmt.Errorf("listen metrics: %w", err)
		}
		s.metricsHTTP = s.newHTTPServer(s.metricsListenerHandler())
	}
	return nil
}

func httpProtocols() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return p
}

// InProcess is a connection to the services from inside this process: the
// gateway's (ADR 13), through the same pipeline as every listener
// (authentication, rights, limits, validation, the store), with no socket,
// HTTP/2 framing or encoding between, and answers the caller may change
// (copies). Its calls are logged and counted under a surface of their
// own, "inproc": they are neither REST nor the web application's. A
// program that embeds the server and makes thousands of calls, such as a
// test seeding a region, uses it for what the loopback would cost.
func (s *Server) InProcess() grpc.ClientConnInterface { return callerConn{s.gateway, embedderCaller} }

// GRPCAddr is the gRPC listener's address.
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }

// HTTPAddr is the HTTP listener's address.
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// AdminAddr is the admin listener's address; empty when it is off.
func (s *Server) AdminAddr() string { return addrOf(s.adminLis) }

// MetricsAddr is the metrics listener's address; empty when it is off.
func (s *Server) MetricsAddr() string { return addrOf(s.metricsLis) }

func addrOf(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// instrumentationName names the server's tracer.
const instrumentationName = "github.com/raccordo/raccordo/internal/server"

// propagator reads and writes the W3C trace context and baggage headers.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// otelgrpcOptions trace gRPC calls with the server's provider and no
// OpenTelemetry metrics (the pipeline's Prometheus metrics count calls).
func (s *Server) otelgrpcOptions() []otelgrpc.Option {
	return []otelgrpc.Option{
		otelgrpc.WithTracerProvider(s.cfg.TracerProvider),
		otelgrpc.WithPropagators(propagator),
		otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()),
	}
}

// Run serves until ctx is done, then shuts down gracefully: in-flight calls
// finish (within ShutdownTimeout, or until Hurry) and the data files are
// closed.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 4)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	for _, h := range []struct {
		srv *http.Server
		lis net.Listener
	}{{s.http, s.httpLis}, {s.adminHTTP, s.adminLis}, {s.metricsHTTP, s.metricsLis}} {
		if h.srv == nil {
			continue
		}
		go func() {
			if err := h.srv.Serve(h.lis); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	// gRPC health answers for the server ("") and for each service by
	// name, as load balancers and grpc_health_probe -service ask.
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		s.log.Error("listener failed", "err", err)
	}
	s.log.Info("shutting down", "drain_delay", s.cfg.DrainDelay)
	s.draining.Store(true)
	s.health.Shutdown() // every service NOT_SERVING
	if err == nil && s.cfg.DrainDelay > 0 {
		select {
		case <-time.After(s.cfg.DrainDelay):
		case <-s.hurried.Done():
		}
	}
	s.beginShutdown()
	s.stopListeners()
	return errors.Join(err, s.Close())
}

// Hurry cuts a shutdown short, the one under way or the next: the rest of
// the drain delay is skipped and the calls in progress are not waited
// for, as when the shutdown timeout has passed. famid calls it on a
// second SIGINT or SIGTERM, an operator who will not wait.
func (s *Server) Hurry() {
	if s.hurried.Err() == nil {
		s.log.Warn("shutdown hurried: the drain delay and the calls in progress are not waited for")
	}
	s.hurry()
}

// stopListeners closes every listener at once and then waits, for the
// shutdown timeout at most, or until Hurry, for the calls in progress on
// all of them. Stopped one after the other, a listener would take new
// calls while an earlier one waited for its own.
func (s *Server) stopListeners() {
	sctx, cancel := context.WithTimeout(s.hurried, s.cfg.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range []*http.Server{s.http, s.adminHTTP, s.metricsHTTP} {
		if srv == nil {
			continue
		}
		wg.Go(func() {
			if err := srv.Shutdown(sctx); err != nil {
				s.log.Warn("HTTP shutdown", "err", err)
			}
		})
	}
	wg.Go(func() {
		stopped := make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-sctx.Done():
			s.grpc.Stop()
		}
	})
	wg.Wait()
}

// Close releases everything Open acquired. It is safe to call twice.
func (s *Server) Close() error {
	var err error
	s.closeOne.Do(func() {
		if s.beginShutdown != nil {
			s.beginShutdown()
		}
		if s.cutStreams != nil {
			// Before the store closes: a stream blocked writing to a
			// client that reads nothing may hold a read transaction
			// (a backup's), which closing the data files waits for.
			s.cutStreams()
		}
		if s.grpc != nil {
			s.grpc.Stop()
		}
		for _, l := range []net.Listener{s.grpcLis, s.httpLis, s.adminLis, s.metricsLis} {
			if l != nil {
				l.Close()
			}
		}
		if s.stopFollow != nil {
			s.stopFollow()
		}
		if s.noRPCLines != nil {
			s.noRPCLines.close()
		}
		if s.overloadLines != nil {
			s.overloadLines.close()
		}
		if s.closeStore != nil {
			err = s.closeStore()
		}
	})
	return err
}

// inProcess reports whether a gRPC call came through the gateway's
// in-process channel (inprocgrpc's peer).
func inProcess(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	return ok && p.Addr != nil && p.Addr.Network() == "inproc"
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// listenCapped listens on addr and accepts at most max connections at a
// time.
func listenCapped(addr string, max int) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return netutil.LimitListener(l, max), nil
}
