package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"connectrpc.com/connect"
)

// grpcWebText lets clients that speak gRPC-Web's text mode
// (application/grpc-web-text, the default of Google's grpc-web JavaScript
// client) reach connect-go, which speaks the binary mode: the request body
// is base64-decoded as connect-go reads it and the response base64-encoded
// on the way out. Everything else passes through untouched.
//
// The body is decoded as it is read, never ahead: a call is admitted (or
// refused at the concurrency limit) before any of its body is read, in
// text mode as in binary mode (see shedder).
func grpcWebText(maxBytes int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		suffix, ok := strings.CutPrefix(r.Header.Get("Content-Type"), "application/grpc-web-text")
		if !ok || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		r = r.Clone(r.Context())
		r.Header.Set("Content-Type", "application/grpc-web"+suffix)
		// Base64 is 4 characters for 3 bytes: bound the text accordingly.
		r.Body = &base64Chunks{r: http.MaxBytesReader(w, r.Body, int64(maxBytes)/3*4+1024)}
		// ContentLength stays the text's: the length of what is on the
		// connection, which a refusal goes by (shedder.settle).
		// connect-go reads a POST's body to its end, never by it.
		tw := &textResponse{ResponseWriter: w}
		next.ServeHTTP(tw, r)
		tw.finish()
	})
}

// base64Chunks decodes, as it is read, base64 text that may be several
// padded chunks one after another (a client may encode each message on
// its own). Padded base64 comes in quanta of 4 characters, so a chunk ends
// with the quantum that holds its first "="; line breaks and spaces are
// left out, as the base64 package leaves them.
type base64Chunks struct {
	r io.ReadCloser
	// text is read and not yet decoded; out[next:] is decoded and not
	// yet read.
	text, out []byte
	next      int
	// err is r's error, returned once what came before it is read; or
	// the decoding's.
	err error
}

func (d *base64Chunks) Read(p []byte) (int, error) {
	for d.next == len(d.out) {
		if d.err != nil {
			return 0, d.err
		}
		// Read onto the end of text, leaving the spaces out in place.
		kept := len(d.text)
		d.text = slices.Grow(d.text, 4096)
		n, err := d.r.Read(d.text[kept:cap(d.text)])
		for _, c := range d.text[kept : kept+n] {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				d.text = append(d.text, c)
			}
		}
		if err == nil || err == io.EOF {
			err = d.decode(err)
		}
		d.err = err
	}
	n := copy(p, d.out[d.next:])
	d.next += n
	return n, nil
}

// decode decodes the whole chunks and quanta of text; at the end (readErr
// io.EOF) all of it, so that a chunk cut short is malformed. A malformed
// body is the client's error, which connect-go answers as it is:
// INVALID_ARGUMENT.
func (d *base64Chunks) decode(readErr error) error {
	d.out, d.next = d.out[:0], 0
	done := 0
	for done < len(d.text) {
		rest := d.text[done:]
		n := len(rest) / 4 * 4
		if i := bytes.IndexByte(rest, '='); i >= 0 {
			n = (i/4 + 1) * 4
		}
		if readErr == io.EOF {
			n = min(max(n, 1), len(rest))
		}
		if n == 0 || n > len(rest) {
			break // the rest of the quantum is still to come
		}
		var err error
		if d.out, err = base64.StdEncoding.AppendDecode(d.out, rest[:n]); err != nil {
			return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("malformed grpc-web-text body: %w", err))
		}
		done += n
	}
	d.text = d.text[:copy(d.text, d.text[done:])]
	return readErr
}

func (d *base64Chunks) Close() error { return d.r.Close() }

// textResponse base64-encodes a gRPC-Web response. Whole 3-byte groups
// are encoded as they come; the rest waits for more bytes, a flush (so a
// stream's message is never held back) or the end, where it is padded.
type textResponse struct {
	http.ResponseWriter
	pending     []byte
	wroteHeader bool
}

func (t *textResponse) WriteHeader(code int) {
	if !t.wroteHeader {
		t.wroteHeader = true
		h := t.Header()
		if ct, ok := strings.CutPrefix(h.Get("Content-Type"), "application/grpc-web"); ok {
			h.Set("Content-Type", "application/grpc-web-text"+ct)
		}
		h.Del("Content-Length")
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *textResponse) Write(p []byte) (int, error) {
	if !t.wroteHeader {
		t.WriteHeader(http.StatusOK)
	}
	t.pending = append(t.pending, p...)
	whole := len(t.pending) / 3 * 3
	if err := t.emit(t.pending[:whole]); err != nil {
		return 0, err
	}
	t.pending = append(t.pending[:0], t.pending[whole:]...)
	return len(p), nil
}

func (t *textResponse) emit(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, err := io.WriteString(t.ResponseWriter, base64.StdEncoding.EncodeToString(b))
	return err
}

// Flush sends the bytes held back, padded, and flushes the connection.
func (t *textResponse) Flush() {
	if err := t.emit(t.pending); err != nil {
		return
	}
	t.pending = t.pending[:0]
	http.NewResponseController(t.ResponseWriter).Flush()
}

func (t *textResponse) finish() {
	if !t.wroteHeader {
		return
	}
	t.emit(t.pending) // an error means the client is gone: nothing to tell
}

func (t *textResponse) Unwrap() http.ResponseWriter { return t.ResponseWriter }
