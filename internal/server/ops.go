package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The operators' endpoints. /healthz and /readyz are on the HTTP listener,
// without a token: probes carry none, and they say only whether the server
// serves. /metrics, without a token too (scrapers are configured with an
// address, not a credential), is on listeners of its own, which should be
// reachable by operators only: the metrics listener (--metrics-addr,
// loopback by default) and the admin listener. The counts per RPC,
// surface and error, the login failures and each region's revision tell
// an outsider who uses the API, how, and when. pprof is only on the admin
// listener (--admin-addr, off by default): profiles and goroutine dumps
// show the process's internals.

// metricsHandler serves the server's Prometheus registry.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: promLogger{s}})
}

type promLogger struct{ s *Server }

func (l promLogger) Println(v ...any) { l.s.log.Warn("metrics", "err", v) }

// metricsListenerHandler is the metrics listener's: /metrics alone.
func (s *Server) metricsListenerHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metricsHandler())
	return mux
}

// adminHandler is the admin listener's: pprof and /metrics.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", s.metricsHandler())
	return mux
}

// healthz says the process is alive: it answers as long as the HTTP
// listener does.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "SERVING", "")
}

// readyz says whether the server takes calls: its data files are open and
// it is not shutting down. During the drain delay and the shutdown it
// answers 503, so a load balancer sends new calls elsewhere.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeStatus(w, http.StatusServiceUnavailable, "NOT_SERVING", "the server is shutting down")
		return
	}
	if s.storeStats != nil {
		if _, err := s.storeStats(); err != nil {
			writeStatus(w, http.StatusServiceUnavailable, "NOT_SERVING", "the data files are not readable")
			return
		}
	}
	if s.storePing != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.storePing(ctx); err != nil {
			writeStatus(w, http.StatusServiceUnavailable, "NOT_SERVING", "the etcd cluster does not answer")
			return
		}
	}
	writeStatus(w, http.StatusOK, "SERVING", "")
}

// readyTimeout bounds the store's answer to a readiness probe, below the
// usual probe timeouts (Kubernetes' default is 1 s).
const readyTimeout = 800 * time.Millisecond

// writeStatus answers a probe; like every answer of the HTTP listener it is
// no-store (privateByDefault).
func writeStatus(w http.ResponseWriter, code int, status, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(struct {
		Status string `json:"status"`
		Detail string `json:"detail,omitempty"`
	}{status, detail})
}
