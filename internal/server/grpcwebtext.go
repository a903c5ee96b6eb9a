package server

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
)

// grpcWebText lets clients that speak gRPC-Web's text mode
// (application/grpc-web-text, the default of Google's grpc-web JavaScript
// client) reach connect-go, which speaks the binary mode: the request body
// is base64-decoded on the way in and the response base64-encoded on the
// way out. Everything else passes through untouched.
func grpcWebText(maxBytes int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		suffix, ok := strings.CutPrefix(r.Header.Get("Content-Type"), "application/grpc-web-text")
		if !ok || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		// Base64 is 4 characters for 3 bytes: bound the text accordingly.
		text, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(maxBytes)/3*4+1024))
		if err != nil {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := decodeBase64Chunks(text)
		if err != nil {
			http.Error(w, "malformed grpc-web-text body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r = r.Clone(r.Context())
		r.Header.Set("Content-Type", "application/grpc-web"+suffix)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		tw := &textResponse{ResponseWriter: w}
		next.ServeHTTP(tw, r)
		tw.finish()
	})
}

// decodeBase64Chunks decodes base64 text that may be several padded
// chunks one after another (a client may encode each message on its own).
func decodeBase64Chunks(text []byte) ([]byte, error) {
	text = bytes.TrimSpace(text)
	var out []byte
	for len(text) > 0 {
		// A chunk ends after its padding, or at the end of the text.
		end := len(text)
		if i := bytes.IndexByte(text, '='); i >= 0 {
			end = i
			for end < len(text) && text[end] == '=' {
				end++
			}
		}
		dec := make([]byte, base64.StdEncoding.DecodedLen(end))
		n, err := base64.StdEncoding.Decode(dec, text[:end])
		if err != nil {
			return nil, err
		}
		out = append(out, dec[:n]...)
		text = text[end:]
	}
	return out, nil
}

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
