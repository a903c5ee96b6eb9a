package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/loadgen"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
)

// run runs famiload with args as main does, on the test servers' clock:
// the real famiload signs its tokens on the clock of the machine it shares
// with famid.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := newApp(stdout, stderr)
	a.now = servertest.Now
	return a.run(ctx, args)
}

// startFamid runs a famid on loopback ports over a fresh data dir; a
// server that works on one call at a time, so that some calls may be
// refused.
func startFamid(t *testing.T) (srv *server.Server, dataDir string) {
	t.Helper()
	s := servertest.Start(t, server.Config{MaxConcurrentCalls: 1})
	return s.Server, s.DataDir
}

// TestRunReportsEverySurface puts a second of load of each kind on a real
// famid, on every surface, and checks the JSON report: every call sent is
// counted once (served, refused, failed or late), calls are served,
// nothing fails, every refusal carried a Retry-After, and the overload
// figures are computed from the loads they report.
func TestRunReportsEverySurface(t *testing.T) {
	srv, dataDir := startFamid(t)
	target := []string{"-grpc-addr", srv.GRPCAddr(), "-http-url", "http://" + srv.HTTPAddr(), "-data-dir", dataDir, "-json"}
	var out bytes.Buffer
	args := append(target, "-surface", "all", "-op", "get,create", "-mode", "closed", "-c", "4", "-duration", "1s", "-min-served", strconv.Itoa(minServed))
	if err := run(watchdog(t), args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, out.Bytes())
	}
	if got, want := len(rep.Loads), 2*len(loadgen.Surfaces); got != want {
		t.Fatalf("%d loads reported, want %d", got, want)
	}
	for _, r := range rep.Loads {
		checkCounts(t, r)
	}

	out.Reset()
	args = append(target, "-surface", "grpc,rest", "-op", "get", "-mode", "overload", "-c", "2", "-duration", "500ms", "-min-served", strconv.Itoa(minServed))
	if err := run(watchdog(t), args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	rep = report{}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, out.Bytes())
	}
	if len(rep.Overloads) != 2 || len(rep.Summary) != 2 {
		t.Fatalf("%d overloads and %d summaries, want 2 of each", len(rep.Overloads), len(rep.Summary))
	}
	for _, o := range rep.Overloads {
		checkCounts(t, o.Peak)
		checkCounts(t, o.Over)
		if o.Over.Mode != "open" || o.Over.Rate != 2*o.Peak.Goodput {
			t.Errorf("%s: overload at %v/s (%s), want open loop at twice the peak %v/s", o.Surface, o.Over.Rate, o.Over.Mode, o.Peak.Goodput)
		}
		if want := o.Over.Goodput / o.Peak.Goodput; o.Ratio != want {
			t.Errorf("%s: ratio %v, want %v", o.Surface, o.Ratio, want)
		}
	}
	for i, s := range rep.Summary {
		if s.Runs != 1 || s.Ratio != rep.Overloads[i].Ratio {
			t.Errorf("summary %+v does not match its one run (ratio %v)", s, rep.Overloads[i].Ratio)
		}
	}
}

// TestRunOverloadsEachKindOfClient: with -client-throttle and
// -client-max-conns, each surface's peak is followed by an open loop for
// every pair of them, each reported and summarized on its own.
func TestRunOverloadsEachKindOfClient(t *testing.T) {
	srv, dataDir := startFamid(t)
	var out bytes.Buffer
	args := []string{"-grpc-addr", srv.GRPCAddr(), "-http-url", "http://" + srv.HTTPAddr(), "-data-dir", dataDir, "-json",
		"-surface", "grpc,rest", "-op", "get", "-mode", "overload", "-c", "2", "-duration", "300ms", "-min-served", strconv.Itoa(minServed),
		"-client-throttle", "0,2", "-client-max-conns", "0,8"}
	if err := run(watchdog(t), args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, out.Bytes())
	}
	// gRPC has one connection: no open loop bounds its connections.
	want := []loadgen.Clients{{}, {Throttle: 2}, {}, {Throttle: 2}, {MaxConns: 8}, {Throttle: 2, MaxConns: 8}}
	if len(rep.Overloads) != len(want) || len(rep.Summary) != len(want) {
		t.Fatalf("%d overloads and %d summaries, want %d of each", len(rep.Overloads), len(rep.Summary), len(want))
	}
	for i, o := range rep.Overloads {
		first := rep.Overloads[min(i/2, 1)*2]
		if o.Clients != want[i] || o.Over.Clients != o.Clients || !reflect.DeepEqual(o.Peak, first.Peak) {
			t.Errorf("overload %d (%s): clients %+v (open loop's %+v), peak %+v; want %+v after the surface's one peak %+v",
				i, o.Surface, o.Clients, o.Over.Clients, o.Peak, want[i], first.Peak)
		}
		if o.Peak.Clients != (loadgen.Clients{}) {
			t.Errorf("overload %d: the peak was measured with %+v, want plain clients", i, o.Peak.Clients)
		}
		checkCounts(t, o.Over)
		if s := rep.Summary[i]; s.Clients != o.Clients || s.Runs != 1 {
			t.Errorf("summary %d: %+v, want one run of %+v", i, s, o.Clients)
		}
	}
}

// minServed is the calls each load of the tests serves at least, past its
// -duration if the machine is too busy to serve them in it: a load that
// served nothing in its time measured nothing (issue 17: a 300 ms run at
// a load average of 19 did).
const minServed = 5

// watchdog is the tests' context for a run with -min-served: a server
// that never serves fails the test in minutes instead of hanging it. Its
// loads then end with what they got, which checkCounts refuses.
func watchdog(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func checkCounts(t *testing.T, r loadgen.Result) {
	t.Helper()
	if r.Sent != r.OK+r.Refused+r.Throttled+r.Errors+r.Late {
		t.Errorf("%s %s: sent %d != ok %d + refused %d + rejected by the client %d + errors %d + late %d", r.Surface, r.Op, r.Sent, r.OK, r.Refused, r.Throttled, r.Errors, r.Late)
	}
	if r.OK < minServed || r.Errors != 0 {
		t.Errorf("%s %s: %d served, %d errors %v: want at least %d served and no error", r.Surface, r.Op, r.OK, r.Errors, r.ErrorCodes, minServed)
	}
	if r.RefusedRetryAfter != r.Refused {
		t.Errorf("%s %s: %d of %d refusals with a Retry-After, want all", r.Surface, r.Op, r.RefusedRetryAfter, r.Refused)
	}
	if r.P50 <= 0 || r.P99 < r.P50 {
		t.Errorf("%s %s: p50 %v ms, p99 %v ms", r.Surface, r.Op, r.P50, r.P99)
	}
	if want := float64(r.OK) / r.Seconds; r.Goodput != want {
		t.Errorf("%s %s: goodput %v, want %v", r.Surface, r.Op, r.Goodput, want)
	}
}

// TestRunText prints one line per load, and the load average.
func TestRunText(t *testing.T) {
	srv, dataDir := startFamid(t)
	var out bytes.Buffer
	args := []string{"-grpc-addr", srv.GRPCAddr(), "-data-dir", dataDir, "-surface", "grpc", "-c", "1,2", "-duration", "100ms"}
	if err := run(t.Context(), args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "load average") || !strings.Contains(lines[1], "closed c=1") || !strings.Contains(lines[2], "closed c=2") {
		t.Errorf("got\n%s\nwant the load average, a line per load, the load average", out.String())
	}
}

// TestRunRejectsBadFlags: a mistake is named, nothing is run.
func TestRunRejectsBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-mode", "burst"}, "-mode"},
		{[]string{"-mode", "open"}, "-rate"},
		{[]string{"-c", "0"}, "-c"},
		{[]string{"-surface", "soap", "-token", "x"}, "soap"},
		{[]string{"-op", "delete", "-token", "x"}, "delete"},
		{[]string{}, "credentials"},
		{[]string{"-server-cpu-quota", "0.4", "-token", "x"}, "-server-pid"},
		{[]string{"-mode", "overload", "-client-throttle", "0.5", "-token", "x"}, "-client-throttle"},
		{[]string{"-mode", "overload", "-client-max-conns", "-1", "-token", "x"}, "-client-max-conns"},
		{[]string{"-client-throttle", "2", "-token", "x"}, "-mode overload only"},
		{[]string{"-min-served", "-1", "-token", "x"}, "-min-served"},
	} {
		t.Setenv("FAMILOAD_TOKEN", "")
		// Nothing listens on port 1: a check that reaches the network
		// fails differently.
		args := append([]string{"-grpc-addr", "127.0.0.1:1", "-http-url", "http://127.0.0.1:1", "-duration", "10ms"}, tt.args...)
		err := run(t.Context(), args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("famiload %v: %v, want an error naming %q", tt.args, err, tt.want)
		}
	}
}
