package check

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
)

// UnmarshalJSON is Unmarshal for the JSON mapping (REST bodies): a JSON
// array or map object holding more elements than its field's limit is
// counted without decoding its elements, decoded as empty, and m carries
// the refusal for Bounds. protojson allocates per element, so a 4 MB body
// of "{}," costs most of a second to decode.
func UnmarshalJSON(b []byte, m proto.Message, opts protojson.UnmarshalOptions) error {
	s := jsonScan{b: b}
	s.space()
	over, found := s.object(m.ProtoReflect().Descriptor(), "", 0)
	if !found || s.bad {
		return opts.Unmarshal(b, m)
	}
	kept := slices.Concat(b[:over.start], []byte(over.empty), b[over.end:])
	if err := opts.Unmarshal(kept, m); err != nil {
		return err
	}
	refuse(m.ProtoReflect(), over.oversize)
	return nil
}

// jsonScan walks JSON text; bad records a syntax error, which is left to
// protojson to report.
type jsonScan struct {
	b   []byte
	i   int
	bad bool
}

func (s *jsonScan) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// next is the next byte after white space, 0 at the end.
func (s *jsonScan) next() byte {
	s.space()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// str skips a string and returns its text, undecoded.
func (s *jsonScan) str() []byte {
	if s.next() != '"' {
		s.bad = true
		return nil
	}
	start := s.i
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return s.b[start:s.i]
		}
	}
	s.bad = true
	return nil
}

// value skips any JSON value.
func (s *jsonScan) value(depth int) {
	switch c := s.next(); {
	case c == '"':
		s.str()
	case c == '{' || c == '[':
		if depth >= maxScanDepth {
			s.bad = true // left to protojson, whose own limit applies
			return
		}
		s.i++
		closer := closerOf(c)
		if s.next() == closer {
			s.i++
			return
		}
		for !s.bad {
			if c == '{' && s.key() == nil {
				return
			}
			s.value(depth + 1)
			if !s.more(closer) {
				return
			}
		}
	case c == 0:
		s.bad = true
	default: // number, true, false, null
		for s.i < len(s.b) && !strings.ContainsRune(",]} \t\n\r", rune(s.b[s.i])) {
			s.i++
		}
	}
}

// closerOf is the byte that closes an object or array opened by c.
func closerOf(c byte) byte {
	if c == '{' {
		return '}'
	}
	return ']'
}

// key skips an object member's key and the colon after it, and returns
// the key's text, undecoded; nil on a syntax error.
func (s *jsonScan) key() []byte {
	k := s.str()
	if s.next() != ':' {
		s.bad = true
		return nil
	}
	s.i++
	return k
}

// more skips what follows an element of an object or array: true after a
// comma (another element follows), false after closer (the end) or on a
// syntax error.
func (s *jsonScan) more(closer byte) bool {
	switch s.next() {
	case ',':
		s.i++
		return true
	case closer:
		s.i++
	default:
		s.bad = true
	}
	return false
}

// jsonOversize is an oversize found in JSON: the value at b[start:end],
// to be decoded as empty instead.
type jsonOversize struct {
	oversize
	start, end int
	empty      string
}

// object scans the object at s.i, a message md, for the first repeated or
// map field over its limit, descending like scanWire.
func (s *jsonScan) object(md protoreflect.MessageDescriptor, prefix string, depth int) (jsonOversize, bool) {
	if s.next() != '{' || depth >= maxScanDepth {
		s.value(depth)
		return jsonOversize{}, false
	}
	s.i++
	if s.next() == '}' {
		s.i++
		return jsonOversize{}, false
	}
	for !s.bad {
		key := s.key()
		if key == nil {
			break
		}
		if fd := fieldOf(md, key); fd == nil {
			s.value(depth + 1)
		} else if over, found := s.field(fd, prefix+string(fd.Name()), depth+1); found {
			return over, true
		}
		if !s.more('}') {
			break
		}
	}
	return jsonOversize{}, false
}

// field scans the value of field fd named name.
func (s *jsonScan) field(fd protoreflect.FieldDescriptor, name string, depth int) (jsonOversize, bool) {
	c := s.next()
	switch {
	case c == '"' && fd.Message() != nil && fd.Message().FullName() == "google.protobuf.FieldMask":
		return s.fieldMask(fd, name)
	case fd.IsList() && c == '[', fd.IsMap() && c == '{':
		return s.collection(fd, name, depth)
	case fd.Message() != nil && !fd.IsList() && !fd.IsMap() && !wellKnown(fd):
		return s.object(fd.Message(), name+".", depth)
	}
	s.value(depth)
	return jsonOversize{}, false
}

// collection scans the array or object at s.i, the value of the list or
// map field fd named name: it counts its elements, descending into a
// list's messages while within the limit, and reports the whole value
// when it holds more elements than the limit.
func (s *jsonScan) collection(fd protoreflect.FieldDescriptor, name string, depth int) (jsonOversize, bool) {
	limit := limitOf(fd)
	start := s.i
	closer := closerOf(s.b[s.i])
	s.i++
	n := 0
	if s.next() == closer {
		s.i++
		return jsonOversize{}, false
	}
	descend := fd.IsList() && fd.Message() != nil && !wellKnown(fd)
	for !s.bad {
		if fd.IsMap() && s.key() == nil {
			break
		}
		if descend && n < limit {
			if over, found := s.object(fd.Message(), errs.Indexed(name, n)+".", depth); found {
				return over, true
			}
		} else {
			s.value(depth)
		}
		n++
		if !s.more(closer) {
			break
		}
	}
	if s.bad || n <= limit {
		return jsonOversize{}, false
	}
	empty := "[]"
	if fd.IsMap() {
		empty = "{}"
	}
	return jsonOversize{oversize: oversize{field: name, n: n, limit: limit}, start: start, end: s.i, empty: empty}, true
}

// fieldMask counts the paths of a field mask, whose JSON form is one
// string of comma-separated paths.
func (s *jsonScan) fieldMask(fd protoreflect.FieldDescriptor, name string) (jsonOversize, bool) {
	limit := limitOf(fd.Message().Fields().ByName("paths"))
	start := s.i
	n := bytes.Count(s.str(), []byte(",")) + 1
	if s.bad || n <= limit {
		return jsonOversize{}, false
	}
	return jsonOversize{oversize: oversize{field: name + ".paths", n: n, limit: limit}, start: start, end: s.i, empty: `""`}, true
}

// fieldOf is the field a JSON key names (its JSON name or its proto name,
// as protojson accepts both).
func fieldOf(md protoreflect.MessageDescriptor, key []byte) protoreflect.FieldDescriptor {
	var name string
	if err := json.Unmarshal(key, &name); err != nil {
		return nil
	}
	if fd := md.Fields().ByJSONName(name); fd != nil {
		return fd
	}
	return md.Fields().ByTextName(name)
}

// wellKnown reports a field of a well-known type, whose JSON form is not
// an object of its fields: a list of them is counted, but their insides
// are left to protojson and Bounds.
func wellKnown(fd protoreflect.FieldDescriptor) bool {
	return fd.Message() != nil && fd.Message().ParentFile().Package() == "google.protobuf"
}
