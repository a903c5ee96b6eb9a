package server

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"connectrpc.com/connect"
)

// TestBase64Chunks decodes gRPC-Web text bodies as they are read, however
// the text is cut into reads: one padded chunk, several (a client may
// encode each message on its own), line breaks, and malformed text, which
// is INVALID_ARGUMENT.
func TestBase64Chunks(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString
	long := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 1000) // several reads' worth
	var wrapped strings.Builder                                    // MIME's lines of 76
	for text := enc(long); len(text) > 0; text = text[min(76, len(text)):] {
		wrapped.WriteString(text[:min(76, len(text))] + "\r\n")
	}
	cases := []struct {
		name, text string
		want       []byte // nil: malformed
	}{
		{"empty", "", []byte{}},
		{"one chunk", enc([]byte("hello, world")), []byte("hello, world")},
		{"padded chunks", enc([]byte("a")) + enc([]byte("bc")) + enc([]byte("def")) + enc([]byte("g")), []byte("abcdefg")},
		{"line breaks", "aGVs\r\nbG8=\n", []byte("hello")},
		{"long, in lines", wrapped.String(), long},
		{"cut short", "aGVsbG", nil},
		{"cut short after a chunk", enc([]byte("a")) + "aGV", nil},
		{"not base64", "aGV!bG8=", nil},
		{"padding inside a quantum", "a=Vs", nil},
	}
	readers := map[string]func(string) io.Reader{
		"whole":        func(s string) io.Reader { return strings.NewReader(s) },
		"a byte apart": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
	}
	for _, c := range cases {
		for how, reader := range readers {
			t.Run(c.name+"/"+how, func(t *testing.T) {
				got, err := io.ReadAll(&base64Chunks{r: io.NopCloser(reader(c.text))})
				if c.want == nil {
					var ce *connect.Error
					if !errors.As(err, &ce) || ce.Code() != connect.CodeInvalidArgument {
						t.Errorf("%q: got %q, %v; want INVALID_ARGUMENT", c.text, got, err)
					}
					return
				}
				if err != nil || !bytes.Equal(got, c.want) {
					t.Errorf("%q: got %q, %v; want %q", c.text, got, err, c.want)
				}
			})
		}
	}
}
