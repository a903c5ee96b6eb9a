package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/peterbourgon/ff/v3"

	"github.com/raccordo/raccordo/internal/accounts"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/etcd"
)

// options is famid's configuration: the server's, plus what only the
// command needs.
type options struct {
	server      server.Config
	logLevel    slog.Level
	logJSON     bool
	showVersion bool
	checkHealth bool
	readyFile   string
}

// parseOptions reads the configuration from, by precedence, the command
// line, FAMID_* environment variables and the config file named by
// --config (FAMID_CONFIG): one "flag-name value" per line, # comments.
// Every value is parsed strictly: a bad one is refused with the name of
// the flag and, when it came from there, of the variable.
func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	c := &o.server
	fs := flag.NewFlagSet("famid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: famid [flags]\n\nEvery flag can also be set as FAMID_<FLAG> (--max-message-bytes as FAMID_MAX_MESSAGE_BYTES) or in the --config file.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.String("config", "", "optional config file: one \"flag-name value\" per line, # comments")
	fs.BoolVar(&o.showVersion, "version", false, "print the version, commit and Go version, then exit")
	fs.BoolVar(&o.checkHealth, "check-health", false, "ask the server on --http-addr for /readyz and exit 0 if it is ready (a container HEALTHCHECK)")
	fs.StringVar(&c.DataDir, "data-dir", "data", "directory of the bbolt files and, on either store, of the signing keys (keys/)")
	fs.StringVar(&c.GRPCAddr, "grpc-addr", server.DefaultGRPCAddr, "gRPC listen address")
	fs.StringVar(&c.HTTPAddr, "http-addr", server.DefaultHTTPAddr, "HTTP listen address: REST, Connect, gRPC-Web, OpenAPI, health")
	listenerVar(fs, &c.MetricsAddr, "metrics-addr", server.DefaultMetricsAddr, "operators' listen address for /metrics (Prometheus, no token: keep it off the public network)")
	listenerVar(fs, &c.AdminAddr, "admin-addr", "", "operators' listen address for pprof and /metrics")
	fs.StringVar(&o.readyFile, "ready-file", "", "once every listener is bound, write their addresses (JSON) to this file, atomically, and remove it on a clean stop; with port 0 in the addresses, how a supervisor or test learns the ports")
	fs.StringVar(&c.MunicipalitiesFile, "municipalities", "", "ISTAT municipality list (CSV) to check ISTAT codes against")
	fs.Func("opendata-url", "scheme and host of the open-data catalogue's links, e.g. https://dati.example.it, when famid sits behind a proxy (default: each request's own host)", func(v string) error {
		if !isOrigin(strings.TrimSuffix(v, "/")) {
			return fmt.Errorf("%q is not a scheme and host: write https://host[:port]", v)
		}
		c.OpenData.PublicURL = v
		return nil
	})
	fs.Var(origins{&c.CORSOrigins}, "cors-origin", "browser `origin` allowed to call the API cross-site (repeat, or comma-separated); none when empty")
	c.MaxMessageBytes = server.DefaultMaxMessageBytes
	fs.Var(&byteSize{n: &c.MaxMessageBytes, min: 4 << 10, max: 1 << 30}, "max-message-bytes", "largest request message or REST body: 4MB, 4MiB, 512KiB or bytes")
	durationVar(fs, &c.RequestTimeout, "request-timeout", server.DefaultRequestTimeout, "deadline of a call that sets none")
	durationVar(fs, &c.ShutdownTimeout, "shutdown-timeout", server.DefaultShutdownTimeout, "bound on the graceful shutdown (SIGINT/SIGTERM)")
	durationVar(fs, &c.DrainDelay, "drain-delay", 0, "after SIGTERM, how long /readyz and gRPC health say NOT_SERVING before the listeners close")
	durationVar(fs, &c.LockTimeout, "lock-timeout", time.Second, "wait for the data dir's lock before failing")
	durationVar(fs, &c.RequestRetention, "request-retention", bolt.DefaultRequestRetention, "how long a request_id is remembered for idempotent retries")
	// A record forgotten sooner than an hour would leave a token the
	// verifier still accepts (its clock leeway) without a record to revoke.
	durationAtLeast(fs, &c.ServiceTokenRetention, "service-token-retention", accounts.DefaultServiceTokenRetention, time.Hour,
		"how long the record of an expired service token stays listed as EXPIRED, for audit, before it is forgotten; at least 1h")
	fs.Int64Var(&c.ChangeRetention, "change-retention", bolt.DefaultChangeRetention, "changes each region's log keeps, older ones compacted; -1 keeps all")
	fs.IntVar(&c.MaxConcurrentCalls, "max-concurrent-calls", server.DefaultMaxConcurrentCalls, "unary calls in progress at once, counted from their arrival; more are refused as they arrive, unread, with RESOURCE_EXHAUSTED / 429 and Retry-After")
	fs.IntVar(&c.GRPCMaxConnections, "grpc-max-connections", server.DefaultGRPCMaxConnections, "most open gRPC connections; more wait")
	durationVar(fs, &c.GRPCIdleTimeout, "grpc-idle-timeout", server.DefaultGRPCIdleTimeout, "close a gRPC connection without calls after this long")
	durationVar(fs, &c.GRPCMaxConnectionAge, "grpc-max-connection-age", server.DefaultGRPCMaxConnectionAge, "close any gRPC connection after this long, its calls given a minute")
	fs.IntVar(&c.MaxStreams, "max-streams", server.DefaultMaxStreams, "most open streams (watches) in all")
	fs.IntVar(&c.MaxStreamsPerPrincipal, "max-streams-per-caller", server.DefaultMaxStreamsPerPrincipal, "most open streams (watches) per caller")
	fs.Func("store", "storage: bbolt (files in --data-dir) or etcd (a cluster several famid share) (default bbolt)", func(v string) error {
		if v != server.StoreBolt && v != server.StoreEtcd {
			return fmt.Errorf("%q is not a store: write %s or %s", v, server.StoreBolt, server.StoreEtcd)
		}
		c.Store = v
		return nil
	})
	fs.Func("etcd-endpoints", "comma-separated etcd client URLs, for --store=etcd", func(v string) error {
		c.Etcd.Endpoints = nil
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				c.Etcd.Endpoints = append(c.Etcd.Endpoints, e)
			}
		}
		return nil
	})
	fs.StringVar(&c.Etcd.Prefix, "etcd-prefix", "", "prefix of every etcd key (default /raccordo/)")
	fs.StringVar(&c.Etcd.CertFile, "etcd-cert", "", "etcd client certificate, PEM")
	fs.StringVar(&c.Etcd.KeyFile, "etcd-key", "", "etcd client certificate's key, PEM")
	fs.StringVar(&c.Etcd.CAFile, "etcd-ca", "", "CA of the etcd members' certificates, PEM")
	fs.StringVar(&c.Etcd.Username, "etcd-username", "", "etcd user")
	fs.StringVar(&c.Etcd.Password, "etcd-password", "", "etcd password; prefer FAMID_ETCD_PASSWORD to the command line")
	durationVar(fs, &c.Etcd.DialTimeout, "etcd-dial-timeout", 5*time.Second, "bound of the first connection to etcd")
	durationVar(fs, &c.Etcd.RequestTimeout, "etcd-request-timeout", etcd.DefaultRequestTimeout, "bound of each etcd round trip of a write")
	fs.IntVar(&c.Etcd.MaxTxnOps, "etcd-max-txn-ops", etcd.DefaultMaxTxnOps, "the cluster's --max-txn-ops")
	c.Etcd.MaxTxnBytes = etcd.DefaultMaxTxnBytes
	fs.Var(&byteSize{n: &c.Etcd.MaxTxnBytes, min: 64 << 10, max: 1 << 30}, "etcd-max-txn-bytes", "largest etcd transaction, below the cluster's --max-request-bytes: 1MiB, 1.5MB or bytes")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")
	fs.TextVar(&c.AccessLogLevel, "access-log-level", slog.LevelInfo, "level of the line logged for each call: debug hides it at the default --log-level")
	fs.BoolVar(&o.logJSON, "log-json", false, "log JSON lines instead of text")

	err := ff.Parse(fs, args,
		ff.WithEnvVarPrefix("FAMID"),
		ff.WithConfigFileFlag("config"),
		ff.WithConfigFileParser(ff.PlainParser),
	)
	if pe := (*os.PathError)(nil); errors.As(err, &pe) {
		// The file itself (missing, unreadable): ff says only "open FILE".
		return nil, fmt.Errorf("--config (FAMID_CONFIG): %w", err)
	}
	if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	// An empty --data-dir (set so believing that famid on etcd needs
	// none; an empty FAMID_DATA_DIR is as none, ff's rule) was taken
	// for data, in the working directory, wherever famid was started:
	// the signing keys, secrets, went there, and a start from elsewhere
	// made new ones.
	if strings.TrimSpace(c.DataDir) == "" {
		return nil, errors.New("--data-dir is empty: famid keeps its signing keys there (keys/), and its bbolt files or, on etcd, its backups in progress; " +
			"name a directory of its own (the default is data, in the working directory)")
	}
	return o, nil
}

// byteSize is a flag.Value for a size as people write it: 4MB is 4,000,000
// bytes, 4MiB 4,194,304, a bare number is bytes. A value outside
// [min, max] is refused, so that a unit forgotten or misread never makes a
// 4-byte limit.
type byteSize struct {
	n        *int
	min, max int64
}

func (b *byteSize) Set(s string) error {
	v, err := humanize.ParseBytes(s)
	if err != nil {
		return fmt.Errorf("%q is not a size: write 4MB, 4MiB, 512KiB or a number of bytes", s)
	}
	if int64(v) < b.min || int64(v) > b.max {
		return fmt.Errorf("%s (%d bytes) is outside %s..%s", s, v, humanize.IBytes(uint64(b.min)), humanize.IBytes(uint64(b.max)))
	}
	*b.n = int(v)
	return nil
}

func (b *byteSize) String() string {
	if b == nil || b.n == nil {
		return ""
	}
	return humanize.IBytes(uint64(*b.n))
}

// listenerVar defines the address flag of an optional listener, off when
// the value is empty or "off". The word is there for the environment and
// the config file: an empty FAMID_* variable counts as unset, so
// FAMID_METRICS_ADDR= would leave the default listener on.
func listenerVar(fs *flag.FlagSet, p *string, name, def, usage string) {
	*p = def
	shown := def
	if shown == "" {
		shown = "off"
	}
	fs.Func(name, usage+`; "off" (or empty) turns it off (default `+shown+")", func(s string) error {
		if s == "off" {
			s = ""
		}
		*p = s
		return nil
	})
}

// durationVar defines a duration flag that refuses negative values.
func durationVar(fs *flag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	durationAtLeast(fs, p, name, def, 0, usage)
}

// durationAtLeast defines a duration flag that refuses values under least.
func durationAtLeast(fs *flag.FlagSet, p *time.Duration, name string, def, least time.Duration, usage string) {
	*p = def
	fs.Func(name, usage+" (default "+def.String()+")", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration: write 30s, 1m30s or 24h", s)
		}
		switch {
		case d < 0:
			return fmt.Errorf("%s is negative", s)
		case d < least:
			return fmt.Errorf("%s is less than %s", s, least)
		}
		*p = d
		return nil
	})
}

// origins is a flag.Value collecting CORS origins from repeated flags or a
// comma-separated list (the form an environment variable can carry).
type origins struct{ list *[]string }

func (o origins) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if v != "*" && !isOrigin(v) {
			return fmt.Errorf("%q is not an origin: write https://host[:port]", v)
		}
		*o.list = append(*o.list, v)
	}
	return nil
}

// isOrigin reports whether v is an http(s) origin, scheme://host[:port]
// with nothing after: a browser never sends a path, so a CORS origin with
// one would match nothing, and the open-data links append their own.
func isOrigin(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

func (o origins) String() string {
	if o.list == nil {
		return ""
	}
	return strings.Join(*o.list, ",")
}
