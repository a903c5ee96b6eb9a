// Package logtext is a slog.Handler that writes the lines of
// slog.TextHandler, byte for byte, with less work: a record whose
// attributes are all strings, numbers, booleans or durations (every access
// line) is formatted by one flat function into a pooled buffer, and any
// other record, or a handler derived with WithAttrs or WithGroup, goes to a
// slog.TextHandler on the same writer.
//
// Why: the access line is written at the deepest point of every call, on a
// goroutine that grpc-go and net/http's HTTP/2 server start for the call
// with a small stack; slog.TextHandler's nested frames made that stack grow
// (a copy of the whole stack) on every call, which cost more than
// formatting the line (issue 19, docs/benchmarks.md).
package logtext

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Handler writes slog.TextHandler's lines; see the package comment.
type Handler struct {
	w     *lockedWriter
	level slog.Leveler
	// text handles what the fast path does not: its output for the
	// others is the reference the tests compare with.
	text *slog.TextHandler
}

// New returns a handler writing to w. Options that change the line's
// shape (AddSource, ReplaceAttr) make every record take slog's own path.
func New(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	lw := &lockedWriter{w: w}
	text := slog.NewTextHandler(lw, opts)
	if opts != nil && (opts.AddSource || opts.ReplaceAttr != nil) {
		return text
	}
	h := &Handler{w: lw, level: slog.LevelInfo, text: text}
	if opts != nil && opts.Level != nil {
		h.level = opts.Level
	}
	return h
}

// Enabled reports whether level is at least the handler's.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// WithAttrs returns slog's handler with attrs, on the same writer.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler { return h.text.WithAttrs(attrs) }

// WithGroup returns slog's handler with the group, on the same writer.
func (h *Handler) WithGroup(name string) slog.Handler { return h.text.WithGroup(name) }

// bufs holds line buffers; a buffer grown past maxBuf by a long line is
// dropped instead of kept.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const maxBuf = 16 << 10

// Handle writes r as one line.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	p := bufs.Get().(*[]byte)
	line, ok := appendRecord((*p)[:0], &r)
	if !ok {
		bufs.Put(p)
		return h.text.Handle(ctx, r)
	}
	_, err := h.w.Write(line)
	if cap(line) <= maxBuf {
		*p = line
		bufs.Put(p)
	}
	return err
}

// appendRecord appends r's line as slog.TextHandler writes it, or reports
// false for a record with an attribute of another kind (or without a key).
func appendRecord(b []byte, r *slog.Record) ([]byte, bool) {
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, r.Time.Round(0))
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = appendString(b, r.Level.String())
	b = append(b, " msg="...)
	b = appendString(b, r.Message)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "" {
			ok = false
			return false
		}
		b = append(b, ' ')
		b = appendString(b, a.Key)
		b = append(b, '=')
		switch v := a.Value; v.Kind() {
		case slog.KindString:
			b = appendString(b, v.String())
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindUint64:
			b = strconv.AppendUint(b, v.Uint64(), 10)
		case slog.KindFloat64:
			b = strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
		case slog.KindBool:
			b = strconv.AppendBool(b, v.Bool())
		case slog.KindDuration:
			b = append(b, v.Duration().String()...)
		default:
			ok = false
		}
		return ok
	})
	return append(b, '\n'), ok
}

// appendRFC3339Millis appends t as slog's text handler does: RFC 3339 with
// exactly three digits of milliseconds.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	// RFC3339Nano trims trailing zeros: adding a tenth of a millisecond
	// keeps four digits, and the fourth is dropped.
	const prefix = len("2006-01-02T15:04:05.000")
	n := len(b)
	b = t.Truncate(time.Millisecond).Add(time.Millisecond/10).AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefix], b[n+prefix+1:]...)
}

// appendString appends s, quoted with strconv.Quote when slog's text
// handler would quote it: when it is empty or holds a space, '=', '"', a
// control character, or a rune that is not printable or not valid UTF-8.
func appendString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// lockedWriter serialises the fast path's writes with slog's.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
