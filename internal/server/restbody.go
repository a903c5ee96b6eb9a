package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/raccordo/raccordo/internal/errs"
)

// errBodyNotUTF8 is a REST body that is JSON but holds a string that is
// not UTF-8, naming that string's field as the body names it
// ("parties[1].partner"; "body" when no key leads to it). protojson would
// refuse it too, naming no field ("invalid UTF-8 in string", at a line and
// column). The text repeats none of the bytes, which no answer could carry
// as they are: a key that is not UTF-8 is named with \u escapes.
func errBodyNotUTF8(body []byte) error {
	field := notUTF8Field(body)
	if field == "" {
		field = "body"
	}
	return fmt.Errorf("the text is not valid UTF-8 in field %+q", field)
}

// notUTF8Field is the path of the first key or string of the JSON text
// body that is not UTF-8: its keys joined by dots, an array's element
// indexed (errs.Indexed). It is "" for a top-level string, or when body
// does not scan as JSON (the decoder then refuses it on its own).
func notUTF8Field(body []byte) string {
	// One frame per open object or array: the key or index of the value
	// being read, and for an object whether a key comes next.
	type frame struct {
		object, wantKey bool
		key             string
		index           int
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case !f.object:
				b.WriteString(errs.Indexed("", f.index))
			case b.Len() > 0:
				b.WriteString("." + f.key)
			default:
				b.WriteString(f.key)
			}
		}
		return b.String()
	}
	d := json.NewDecoder(bytes.NewReader(body))
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.wantKey {
			top.key, top.wantKey = s, false
			if !utf8.Valid(body[start:d.InputOffset()]) {
				return path()
			}
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if _, ok := tok.(string); ok && !utf8.Valid(body[start:d.InputOffset()]) {
				return path()
			}
		}
		if len(stack) == 0 {
			return ""
		}
		// A value ended: the next is a key, or the next element.
		top = &stack[len(stack)-1]
		if top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
}

// bodySyntaxError is err with the byte a JSON syntax error quotes escaped
// as %q escapes it ('\xff'): encoding/json quotes the byte it stopped at
// as the character of the same number, so a body that is not UTF-8 came
// back as 'ÿ' and é's first byte as 'Ã'. Its text is otherwise ASCII, so
// every character from U+0080 to U+00FF in it is such a byte.
func bodySyntaxError(err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	msg := se.Error()
	var b strings.Builder
	for _, r := range msg {
		if r >= 0x80 && r <= 0xff {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return errors.New(b.String())
}
