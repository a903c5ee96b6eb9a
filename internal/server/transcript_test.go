package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// The harness of the scenarios that run on every surface: each surface
// records a transcript of its steps and outcomes, and the transcripts must
// be identical.

// transcript is what a scenario records on one surface.
type transcript struct {
	t     *testing.T
	steps []string
	// render renders a step's result without what differs between servers
	// (times).
	render func(proto.Message) string
	// messages has failed steps record their error message too: only for
	// scenarios whose messages name no times.
	messages bool
}

// onSurface is where a scenario runs: its transcript, its own fresh server
// and the surface it calls through.
type onSurface struct {
	*transcript
	ctx  context.Context
	ts   *testServer
	kind string
}

// as returns a client of the scenario's surface for a principal.
func (on *onSurface) as(spec auth.TokenSpec) surface {
	return newSurfaceFor(on.t, on.ts, on.kind, spec)
}

// onEverySurface runs a scenario through grpc-go, Connect, gRPC-Web and
// REST, each with its own transcript and fresh server started with cfg,
// and requires the four transcripts to be identical.
func onEverySurface(t *testing.T, cfg server.Config, render func(proto.Message) string, messages bool, run func(on *onSurface)) {
	t.Helper()
	var (
		mu          sync.Mutex
		transcripts = map[string][]string{}
	)
	t.Run("surface", func(t *testing.T) {
		onEachSurface(t, cfg, func(t *testing.T, ts *testServer, kind string) {
			tr := &transcript{t: t, render: render, messages: messages}
			defer func() {
				mu.Lock()
				transcripts[kind] = tr.steps
				mu.Unlock()
			}()
			run(&onSurface{transcript: tr, ctx: t.Context(), ts: ts, kind: kind})
		})
	})
	want := transcripts[surfaceKinds[0]]
	if len(want) == 0 {
		t.Fatalf("the %s scenario recorded nothing", surfaceKinds[0])
	}
	for _, kind := range surfaceKinds[1:] {
		if d := diffLines(want, transcripts[kind]); d != "" {
			t.Errorf("the %s transcript differs from the %s one (-%s +%s):\n%s", kind, surfaceKinds[0], surfaceKinds[0], kind, d)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("%s transcript:\n%s", surfaceKinds[0], strings.Join(want, "\n"))
	}
}

func (tr *transcript) record(format string, args ...any) {
	tr.steps = append(tr.steps, fmt.Sprintf(format, args...))
}

// ok records a step that must succeed, with its result, and reports
// whether it did.
func (tr *transcript) ok(step string, err error, res proto.Message) bool {
	tr.t.Helper()
	if err != nil {
		tr.t.Errorf("%s: got error %v, want success", step, err)
		tr.record("%s: ERROR %v", step, err)
		return false
	}
	tr.record("%s: OK %s", step, tr.render(res))
	return true
}

// must is ok for steps the rest of the scenario depends on.
func (tr *transcript) must(step string, err error, res proto.Message) {
	tr.t.Helper()
	if !tr.ok(step, err, res) {
		tr.t.FailNow()
	}
}

// succeeded is must for a typed call, returning its result:
// succeeded[*famiv1.Meeting](tr, step)(client.GetMeeting(...)).
func succeeded[T proto.Message](tr *transcript, step string) func(T, error) T {
	return func(res T, err error) T {
		tr.t.Helper()
		if err != nil {
			tr.t.Fatalf("%s: %v", step, err)
		}
		tr.record("%s: OK %s", step, tr.render(res))
		return res
	}
}

// fails records a step that must fail and checks its error: the gRPC code,
// the HTTP status (on REST, the one server.HTTPStatus gives the code and
// reason), the ErrorInfo reason and domain, the field violations, and that
// the message contains every one of words.
func (tr *transcript) fails(step string, err error, want wantErr, words ...string) {
	tr.t.Helper()
	checkErr(tr.t, step, err, want)
	e, ok := asCallError(err)
	if !ok {
		tr.record("%s: %v", step, err)
		return
	}
	for _, w := range words {
		if !strings.Contains(e.Message, w) {
			tr.t.Errorf("%s: message %q does not say %q", step, e.Message, w)
		}
	}
	line := fmt.Sprintf("%s: %s http=%d reason=%s fields=%v", step, upperSnake(e.Code), restStatus(e), e.Reason, e.Fields)
	if tr.messages {
		line += fmt.Sprintf(" detail=%q", e.Message)
	}
	tr.steps = append(tr.steps, line)
}

// rendered adapts a typed summary to a transcript's render.
func rendered[T proto.Message](summary func(T) string) func(proto.Message) string {
	return func(m proto.Message) string { return summary(m.(T)) }
}

// onEachSurface runs test on each surface, in parallel, each against its
// own fresh server started with cfg.
func onEachSurface(t *testing.T, cfg server.Config, test func(t *testing.T, ts *testServer, kind string)) {
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			test(t, startServer(t, cfg), kind)
		})
	}
}

// onEachSurfaceLogged is onEachSurface for tests that read the server's
// log: each surface's server writes its warnings and errors to a buffer
// of its own, handed to test.
func onEachSurfaceLogged(t *testing.T, test func(t *testing.T, ts *testServer, kind string, log *syncbuf.Buffer)) {
	for _, kind := range surfaceKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var log syncbuf.Buffer
			test(t, startServer(t, server.Config{Logger: textLog(&log, slog.LevelWarn)}), kind, &log)
		})
	}
}
