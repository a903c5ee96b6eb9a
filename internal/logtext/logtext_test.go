package logtext_test

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/logtext"
)

// same logs r through logtext and through slog.TextHandler and fails when
// the lines differ.
func same(t *testing.T, opts *slog.HandlerOptions, r slog.Record, derive func(slog.Handler) slog.Handler) {
	t.Helper()
	var got, want bytes.Buffer
	h, ref := logtext.New(&got, opts), slog.Handler(slog.NewTextHandler(&want, opts))
	if derive != nil {
		h, ref = derive(h), derive(ref)
	}
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if err := ref.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("line differs from slog.TextHandler's:\n got %q\nwant %q", got.String(), want.String())
	}
}

func record(msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(time.Date(2026, 11, 29, 22, 4, 57, 123456789, time.FixedZone("CET", 3600)), slog.LevelInfo, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

// Every string slog quotes, and every one it does not, comes out the same,
// as key, value and message.
func TestStringsAsSlogWritesThem(t *testing.T) {
	var samples []string
	for c := range 256 {
		samples = append(samples, string(rune(c)), "a"+string([]byte{byte(c)})+"b")
	}
	samples = append(samples, "", " ", "=", `"`, `\`, "a b", "a=b", "/fami.v1.PartnerService/GetPartner", "127.0.0.1", "::1",
		"test:region_admin:lombardia", "città", "\u00a0", "\u2028", "\u200b", "\ufeff", "\U0001F600", "\xff", "\xe2\x82", "tab\there", "new\nline")
	for _, s := range samples {
		same(t, nil, record(s, slog.String(s+"k", s), slog.String("v", s)), nil)
	}
}

// Every kind the fast path formats, and every other, comes out the same.
func TestKindsAsSlogWritesThem(t *testing.T) {
	for _, a := range []slog.Attr{
		slog.Int("int", -42), slog.Int64("min", math.MinInt64), slog.Uint64("max", math.MaxUint64),
		slog.Float64("f", 0.1), slog.Float64("nan", math.NaN()), slog.Float64("inf", math.Inf(-1)), slog.Float64("big", 1e21),
		slog.Bool("t", true), slog.Bool("f", false),
		slog.Duration("d", 1234567*time.Nanosecond), slog.Duration("zero", 0), slog.Duration("neg", -time.Hour),
		slog.Time("at", time.Unix(0, 0).UTC()), slog.Any("err", context.Canceled), slog.Any("nil", nil),
		slog.Any("bytes", []byte("a b")), slog.Group("g", slog.String("a", "b")), slog.Group("empty"),
		{}, slog.String("", "no key"), slog.Any("level", slog.LevelWarn),
	} {
		same(t, nil, record("rpc", slog.String("procedure", "/x/Y"), a, slog.Int("after", 1)), nil)
	}
}

// The built-in fields follow slog's rules: no time when it is zero, levels
// between the named ones, and the options that change the line.
func TestRecordsAsSlogWritesThem(t *testing.T) {
	zero := slog.NewRecord(time.Time{}, slog.LevelWarn+2, "no time", 0)
	zero.AddAttrs(slog.String("a", "b"))
	same(t, nil, zero, nil)
	same(t, nil, record("many", slog.String("a", "1"), slog.String("b", "2"), slog.String("c", "3"), slog.String("d", "4"),
		slog.String("e", "5"), slog.String("f", "6"), slog.Duration("g", time.Millisecond)), nil)
	replace := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	same(t, replace, record("replaced", slog.String("a", "b")), nil)
	same(t, nil, record("derived", slog.String("a", "b")), func(h slog.Handler) slog.Handler {
		return h.WithAttrs([]slog.Attr{slog.String("server", "famid")}).WithGroup("call")
	})
}

func TestEnabled(t *testing.T) {
	h := logtext.New(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("Enabled does not follow the level option")
	}
	if !logtext.New(&bytes.Buffer{}, nil).Enabled(context.Background(), slog.LevelInfo) {
		t.Error("info is not enabled by default")
	}
}

// Lines written at once from many goroutines, through both paths, stay
// whole.
func TestConcurrentLinesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logtext.New(&buf, nil))
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				if g%2 == 0 {
					log.Info("fast", "g", g, "i", i)
				} else {
					log.Info("slow", "err", context.Canceled, "i", i)
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "time=") || !strings.Contains(l, " i=") {
			t.Fatalf("broken line %q", l)
		}
	}
}

func FuzzSameAsTextHandler(f *testing.F) {
	for _, s := range []string{"", "a b", "città", "\xff", "x=y", "\u00a0"} {
		f.Add(s, s, int64(-1), 0.5)
	}
	f.Fuzz(func(t *testing.T, key, value string, n int64, x float64) {
		same(t, nil, record(value, slog.String(key, value), slog.Int64("n", n), slog.Float64("x", x), slog.Duration("d", time.Duration(n))), nil)
	})
}

func BenchmarkAccessLine(b *testing.B) {
	for _, tc := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"logtext", func(w *bytes.Buffer) slog.Handler { return logtext.New(w, nil) }},
		{"slog", func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var w bytes.Buffer
			h := tc.new(&w)
			r := record("rpc", slog.String("procedure", "/fami.v1.PartnerService/GetPartner"), slog.String("protocol", "grpc"), slog.String("peer", "127.0.0.1"),
				slog.String("principal", "test:region_admin:lombardia"), slog.String("code", "OK"), slog.Duration("duration", 345*time.Microsecond))
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				h.Handle(context.Background(), r)
			}
		})
	}
}
