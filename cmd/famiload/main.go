// Command famiload puts load on a running famid, over gRPC, Connect,
// gRPC-Web or REST, and reports throughput, goodput, refusals (with or
// without a Retry-After) and latency, as text or JSON. It runs in its own
// process, so that its work is not counted as the server's: pin the two to
// different cores (taskset) when measuring. docs/benchmarks.md shows how
// the overload figures are taken with it.
//
//	famiload -data-dir data -surface all -op get -mode overload -c 16,64 -rounds 3
//
// Modes: closed (each of -c callers calls again as soon as it has its
// answer), open (calls arrive at -rate per second whatever the answers)
// and overload (the best closed loop over -c, then an open loop at -factor
// times its goodput, in the same run; the ratio is the goodput kept under
// overload). With -client-throttle and -client-max-conns the overload's
// open loop is run once for each kind of client, after the same peak: the
// SDK's client-side throttle (sdk.Throttle, whose own rejections are
// reported apart from the server's refusals) and a bound on the HTTP
// clients' connections.
//
//	famiload ... -mode overload -client-throttle 0,2 -client-max-conns 0,64
//
// With -server-cpu-quota (Linux, root) famid is confined to a share of
// one core for the run, so that a generator on one core can offer it
// twice its capacity; the peak and the overload are then measured under
// the same quota.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/loadgen"
	"github.com/raccordo/raccordo/internal/principal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newApp(os.Stdout, os.Stderr).run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "famiload:", err)
		}
		os.Exit(2)
	}
}

// app is what a run of famiload is given besides its flags: where it
// writes, and its clock.
type app struct {
	stdout, stderr io.Writer
	// now is the clock the tokens of -data-dir are signed on: the
	// machine's, which famid shares. The tests run famiload in the process
	// of the server they start, and put it on the server's clock.
	now func() time.Time
}

// newApp returns an app writing to stdout and stderr, on the machine's
// clock.
func newApp(stdout, stderr io.Writer) *app {
	return &app{stdout: stdout, stderr: stderr, now: time.Now}
}

// options are famiload's flags.
type options struct {
	target                 loadgen.Target
	surfaces, ops, regions []string
	mode                   string
	concurrencies          []int
	clients                []loadgen.Clients
	rate, factor           float64
	serverCPUQuota         float64
	duration               time.Duration
	minServed              int64
	rounds, maxInFlight    int
	dataDir, token         string
	cpuProfile             string
	json                   bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("famiload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target.GRPCAddr, "grpc-addr", "127.0.0.1:9090", "famid's gRPC address")
	fs.StringVar(&o.target.HTTPURL, "http-url", "http://127.0.0.1:8080", "famid's HTTP address, for Connect, gRPC-Web and REST")
	fs.BoolVar(&o.target.H2C, "h2c", false, "carry Connect, gRPC-Web and REST over one cleartext HTTP/2 connection instead of HTTP/1.1 connections")
	fs.DurationVar(&o.target.Timeout, "timeout", 5*time.Second, "deadline of each call (a call over it is an error)")
	fs.IntVar(&o.target.ServerPID, "server-pid", 0, "famid's process id, when on this machine (Linux): report the server's CPU time within each load's time (what the goodput per server CPU-second divides by) and, apart, while the late calls are waited for")
	fs.Float64Var(&o.serverCPUQuota, "server-cpu-quota", 0, "confine -server-pid to this many CPUs (0.4: 40% of one core) while famiload runs, with a cgroup it creates and removes (Linux, cgroup v1, root), so that famiload can offer it twice its capacity; both get a weight of 8 processes against the machine's others")
	surfaces := fs.String("surface", loadgen.GRPC, "surfaces, comma-separated: grpc, connect, grpcweb, rest, or all")
	ops := fs.String("op", loadgen.Get, "calls, comma-separated: get (GetPartner) or create (CreatePartner, a durable write)")
	regions := fs.String("regions", "lombardia", "regions the calls go to in turn, comma-separated")
	fs.StringVar(&o.mode, "mode", "closed", "closed, open or overload")
	conc := fs.String("c", "64", "closed-loop callers, comma-separated: each is a run (closed), or a candidate for the peak (overload)")
	throttles := fs.String("client-throttle", "0", "K of the SDK's client-side throttle (sdk.Throttle) on the overload's clients, comma-separated: each is an open loop after the same peak (0: none)")
	maxConns := fs.String("client-max-conns", "0", "HTTP connections the overload's Connect, gRPC-Web and REST clients may open at most, comma-separated: each is an open loop after the same peak, with each -client-throttle (0: no bound; not over gRPC, one connection)")
	fs.Float64Var(&o.rate, "rate", 0, "open-loop arrivals per second (mode open)")
	fs.Float64Var(&o.factor, "factor", 2, "the overload's arrival rate over the peak goodput (mode overload)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each load")
	fs.Int64Var(&o.minServed, "min-served", 0, "keep each load going past -duration until this many calls are served, so that a busy machine still gives a measurement (0: -duration only)")
	fs.IntVar(&o.rounds, "rounds", 1, "times to repeat every load; the surfaces are interleaved within a round")
	fs.IntVar(&o.maxInFlight, "max-in-flight", 10000, "open-loop calls awaiting an answer at most; arrivals beyond are dropped and counted")
	fs.StringVar(&o.dataDir, "data-dir", "", "famid's data dir: sign a region_admin token for each region with its key (famid on this machine)")
	fs.StringVar(&o.token, "token", "", "bearer token for every region (default: env FAMILOAD_TOKEN); ignored with -data-dir")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write famiload's own CPU profile to this file (what the generator spends per call)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := o.setLists(*surfaces, *ops, *regions, *conc); err != nil {
		return o, err
	}
	if err := o.setClients(*throttles, *maxConns); err != nil {
		return o, err
	}
	if err := o.check(); err != nil {
		return o, err
	}
	if o.token == "" {
		o.token = os.Getenv("FAMILOAD_TOKEN")
	}
	return o, nil
}

// setLists reads the comma-separated flags, refusing a value it does not
// know and naming the flag.
func (o *options) setLists(surfaces, ops, regions, conc string) error {
	o.surfaces, o.ops, o.regions = list(surfaces), list(ops), list(regions)
	if len(o.surfaces) == 1 && o.surfaces[0] == "all" {
		o.surfaces = loadgen.Surfaces
	}
	if s, ok := notIn(o.surfaces, loadgen.Surfaces); !ok {
		return fmt.Errorf("-surface: %q is not one of %s or all", s, strings.Join(loadgen.Surfaces, ", "))
	}
	if op, ok := notIn(o.ops, []string{loadgen.Get, loadgen.Create}); !ok {
		return fmt.Errorf("-op: %q is not %s or %s", op, loadgen.Get, loadgen.Create)
	}
	for _, c := range list(conc) {
		n, err := strconv.Atoi(c)
		if err != nil || n <= 0 {
			return fmt.Errorf("-c: %q is not a positive number", c)
		}
		o.concurrencies = append(o.concurrencies, n)
	}
	return nil
}

// setClients reads -client-throttle and -client-max-conns: the overload's
// clients are every pair of them, the throttles varying fastest.
func (o *options) setClients(throttles, maxConns string) error {
	var ks []float64
	for _, v := range list(throttles) {
		k, err := strconv.ParseFloat(v, 64)
		if err != nil || k < 0 || k > 0 && k < 1 {
			return fmt.Errorf("-client-throttle: %q is not 0 (none) or a K of at least 1", v)
		}
		ks = append(ks, k)
	}
	for _, v := range list(maxConns) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("-client-max-conns: %q is not 0 (no bound) or a positive number", v)
		}
		for _, k := range ks {
			o.clients = append(o.clients, loadgen.Clients{Throttle: k, MaxConns: n})
		}
	}
	if len(o.clients) == 0 {
		return errors.New("-client-throttle and -client-max-conns need a value each")
	}
	return nil
}

// notIn returns the first of values that allowed does not hold, and false;
// or "", true.
func notIn(values, allowed []string) (string, bool) {
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			return v, false
		}
	}
	return "", true
}

// check refuses flags that do not make a load together.
func (o *options) check() error {
	switch {
	case o.mode != "closed" && o.mode != "open" && o.mode != "overload":
		return fmt.Errorf("-mode %q is not closed, open or overload", o.mode)
	case o.mode == "open" && o.rate <= 0:
		return errors.New("-mode open needs a -rate")
	case o.mode != "open" && len(o.concurrencies) == 0:
		return errors.New("-c is empty")
	case o.duration <= 0 || o.rounds <= 0:
		return errors.New("-duration and -rounds must be positive")
	case o.minServed < 0:
		return errors.New("-min-served must not be negative")
	case o.serverCPUQuota < 0 || o.serverCPUQuota > 0 && o.target.ServerPID <= 0:
		return errors.New("-server-cpu-quota needs a positive quota and the -server-pid to confine")
	case o.mode != "overload" && !slices.Equal(o.clients, []loadgen.Clients{{}}):
		return errors.New("-client-throttle and -client-max-conns apply to -mode overload only")
	}
	return nil
}

func list(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// tokens returns a bearer token for each region: signed with the data
// dir's key at now, or the one given.
func (o options) tokens(now time.Time) (map[string]string, error) {
	tokens := map[string]string{}
	if o.dataDir == "" {
		if o.token == "" {
			return nil, errors.New("no credentials: give -data-dir, -token or FAMILOAD_TOKEN")
		}
		for _, r := range o.regions {
			tokens[r] = o.token
		}
		return tokens, nil
	}
	keys, err := auth.LoadKeys(o.dataDir)
	if err != nil {
		return nil, err
	}
	for _, r := range o.regions {
		tok, _, err := keys.Sign(auth.TokenSpec{Subject: "famiload:" + r, Role: principal.RegionAdmin, Region: r, TTL: 12 * time.Hour}, now)
		if err != nil {
			return nil, fmt.Errorf("sign a token for %s: %w", r, err)
		}
		tokens[r] = tok
	}
	return tokens, nil
}

// report is famiload's JSON output.
type report struct {
	// LoadAverage is the machine's 1-minute load average before and after
	// (Linux), since other processes' work moves the figures.
	LoadAverage [2]string `json:"loadAverage"`
	// ServerCPUQuota is the CPUs famid was confined to, if it was.
	ServerCPUQuota float64                  `json:"serverCpuQuota,omitempty"`
	Loads          []loadgen.Result         `json:"loads,omitempty"`
	Overloads      []loadgen.OverloadResult `json:"overloads,omitempty"`
	Summary        []loadgen.Summary        `json:"summary,omitempty"`
}

// run parses args and puts the load they ask for on famid, reporting on
// a's streams.
func (a *app) run(ctx context.Context, args []string) error {
	o, err := parseOptions(args, a.stderr)
	if err != nil {
		return err
	}
	if o.target.Tokens, err = o.tokens(a.now()); err != nil {
		return err
	}
	stopProfile, err := o.profile()
	if err != nil {
		return err
	}
	defer stopProfile()
	release, err := o.confine()
	if err != nil {
		return err
	}
	defer func() {
		if err := release(); err != nil {
			fmt.Fprintln(a.stderr, "famiload:", err)
		}
	}()
	rep := report{ServerCPUQuota: o.serverCPUQuota}
	rep.LoadAverage[0] = loadAverage()
	text := func(format string, v ...any) {
		if !o.json {
			fmt.Fprintf(a.stdout, format+"\n", v...)
		}
	}
	text("load average %s", rep.LoadAverage[0])
	if o.serverCPUQuota > 0 {
		text("server (pid %d) confined to %g CPU", o.target.ServerPID, o.serverCPUQuota)
	}
	for round := 1; round <= o.rounds; round++ {
		if o.rounds > 1 {
			text("round %d", round)
		}
		for _, op := range o.ops {
			for _, surface := range o.surfaces {
				if err := o.load(ctx, &rep, op, surface, text); err != nil {
					return err
				}
			}
		}
	}
	rep.LoadAverage[1] = loadAverage()
	if len(rep.Overloads) > 0 {
		rep.Summary = loadgen.Summarize(rep.Overloads)
		text("summary")
		for _, s := range rep.Summary {
			text("%s", s)
		}
	}
	text("load average %s", rep.LoadAverage[1])
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return nil
}

// load runs op on one surface in the chosen mode and adds the results to
// rep, printing them with text.
func (o options) load(ctx context.Context, rep *report, op, surface string, text func(string, ...any)) error {
	switch o.mode {
	case "overload":
		rs, err := o.target.Overload(ctx, loadgen.Overload{Surface: surface, Op: op, Regions: o.regions,
			Concurrencies: o.concurrencies, Factor: o.factor, Duration: o.duration, MaxInFlight: o.maxInFlight,
			MinServed: o.minServed, Clients: o.clients})
		if err != nil {
			return err
		}
		rep.Overloads = append(rep.Overloads, rs...)
		for _, r := range rs {
			text("%s", r)
		}
	case "open":
		r, err := o.target.Run(ctx, loadgen.Load{Surface: surface, Op: op, Regions: o.regions, Rate: o.rate,
			MaxInFlight: o.maxInFlight, Duration: o.duration, MinServed: o.minServed})
		if err != nil {
			return err
		}
		rep.Loads = append(rep.Loads, r)
		text("%s", r)
	default:
		for _, c := range o.concurrencies {
			r, err := o.target.Run(ctx, loadgen.Load{Surface: surface, Op: op, Regions: o.regions, Concurrency: c, Duration: o.duration, MinServed: o.minServed})
			if err != nil {
				return err
			}
			rep.Loads = append(rep.Loads, r)
			text("%s", r)
		}
	}
	return nil
}

// profile applies -cpuprofile: famiload's own CPU profile, written when
// stop is called.
func (o options) profile() (stop func(), err error) {
	if o.cpuProfile == "" {
		return func() {}, nil
	}
	f, err := os.Create(o.cpuProfile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// confine applies -server-cpu-quota: famid is confined to the quota, and
// famiload gets the same weight, so that the machine's other processes do
// not starve the generator either. release removes both cgroups.
func (o options) confine() (release func() error, err error) {
	if o.serverCPUQuota <= 0 {
		return func() error { return nil }, nil
	}
	server, err := loadgen.ConfineCPU(o.target.ServerPID, o.serverCPUQuota)
	if err != nil {
		return nil, err
	}
	generator, err := loadgen.WeighCPU(os.Getpid())
	if err != nil {
		return nil, errors.Join(err, server())
	}
	return func() error { return errors.Join(generator(), server()) }, nil
}

// loadAverage is the first three fields of /proc/loadavg, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
