package check

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/errs"
)

// Decoding allocates per element: a 4 MB request of two million empty
// messages in one repeated field costs a quarter of a second of CPU in
// proto.Unmarshal alone, before Bounds can refuse it. Unmarshal counts the
// elements on the wire first, which costs no allocation per element.

// Unmarshal decodes b into m like proto.Unmarshal, unless a repeated field
// of the encoding holds more elements than its limit (MaxRepeated or
// RepeatedLimits). Then the top-level field holding it is left out
// undecoded and m carries the refusal instead, which Bounds reports as a
// violation naming the field (its path from the message carrying it). The refusal waits for Bounds because a codec
// runs before authentication and cannot answer with field violations on
// every transport (grpc-go turns a codec's error into INTERNAL).
func Unmarshal(b []byte, m proto.Message) error {
	over, ok := scanWire(b, m.ProtoReflect().Descriptor(), "", 0)
	if !ok {
		return proto.Unmarshal(b, m)
	}
	kept := make([]byte, 0, len(b))
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return protowire.ParseError(n)
		}
		vn := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if vn < 0 {
			return protowire.ParseError(vn)
		}
		if num != over.top {
			kept = append(kept, rest[:n+vn]...)
		}
		rest = rest[n+vn:]
	}
	if err := proto.Unmarshal(kept, m); err != nil {
		return err
	}
	refuse(m.ProtoReflect(), over)
	return nil
}

// refuse leaves the refusal of over among m's unknown fields, where Bounds
// finds it (wireRefusal).
func refuse(m protoreflect.Message, over oversize) {
	b := protowire.AppendTag(m.GetUnknown(), oversizeField, protowire.BytesType)
	b = protowire.AppendString(b, fmt.Sprintf("%s %d %d", over.field, over.n, over.limit))
	m.SetUnknown(b)
}

// oversizeField is the field number, unused by every message (the largest
// protobuf allows), under which Unmarshal leaves its refusal among a
// message's unknown fields.
const oversizeField protowire.Number = protowire.MaxValidNumber

// oversize is a repeated field found holding too many elements.
type oversize struct {
	top      protowire.Number // the top-level field it is in
	field    string           // its path, as Bounds names it
	n, limit int
}

// maxScanDepth bounds the scan's recursion; deeper messages are left to
// proto.Unmarshal's own limit and to Bounds.
const maxScanDepth = 32

// scanWire finds the first repeated field of the encoding b of a message
// md, at any depth within the fields it descends into, that holds more
// elements than its limit. Like Bounds it descends only into fields within
// their limit; it does not descend into map values. An encoding it cannot
// parse is left to proto.Unmarshal to refuse.
func scanWire(b []byte, md protoreflect.MessageDescriptor, prefix string, depth int) (oversize, bool) {
	var counts map[protowire.Number]int
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return oversize{}, false
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return oversize{}, false
		}
		value := b[:n]
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			continue
		}
		name := prefix + string(fd.Name())
		elems := 1
		if packed(fd, typ) {
			elems = packedLen(value, fd.Kind())
		}
		if fd.IsList() || fd.IsMap() {
			if counts == nil {
				counts = map[protowire.Number]int{}
			}
			counts[num] += elems
			limit := limitOf(fd)
			if counts[num] > limit {
				// Count the rest of the field's elements for the message.
				return oversize{top: num, field: name, n: counts[num] + countRest(b, num, fd), limit: limit}, true
			}
		}
		if fd.Kind() != protoreflect.MessageKind || fd.IsMap() || typ != protowire.BytesType || depth >= maxScanDepth {
			continue
		}
		inner, _ := protowire.ConsumeBytes(value)
		child := name + "."
		if fd.IsList() {
			child = errs.Indexed(name, counts[num]-1) + "."
		}
		if over, ok := scanWire(inner, fd.Message(), child, depth+1); ok {
			over.top = num
			return over, true
		}
	}
	return oversize{}, false
}

// countRest counts the elements of field num left in b.
func countRest(b []byte, num protowire.Number, fd protoreflect.FieldDescriptor) int {
	total := 0
	for len(b) > 0 {
		found, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(found, typ, b)
		if n < 0 {
			break
		}
		if found == num {
			if packed(fd, typ) {
				total += packedLen(b[:n], fd.Kind())
			} else {
				total++
			}
		}
		b = b[n:]
	}
	return total
}

// packed reports a packed occurrence of a repeated scalar field: one
// length-delimited run of elements.
func packed(fd protoreflect.FieldDescriptor, typ protowire.Type) bool {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind, protoreflect.StringKind, protoreflect.BytesKind:
		return false
	}
	return fd.IsList() && typ == protowire.BytesType
}

// packedLen is the number of elements of a packed repeated scalar field's
// value (its length prefix included).
func packedLen(value []byte, kind protoreflect.Kind) int {
	v, _ := protowire.ConsumeBytes(value)
	switch kind {
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return len(v) / 4
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return len(v) / 8
	}
	n := 0
	for _, c := range v {
		if c < 0x80 {
			n++
		}
	}
	return n
}

// wireRefusal reads the refusal Unmarshal left in m, if any.
func wireRefusal(m protoreflect.Message) (field string, n, limit int, ok bool) {
	for b := m.GetUnknown(); len(b) > 0; {
		num, typ, tn := protowire.ConsumeTag(b)
		if tn < 0 {
			return
		}
		b = b[tn:]
		vn := protowire.ConsumeFieldValue(num, typ, b)
		if vn < 0 {
			return
		}
		if num == oversizeField && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b[:vn])
			parts := strings.Fields(string(v))
			if len(parts) == 3 {
				n, err1 := strconv.Atoi(parts[1])
				limit, err2 := strconv.Atoi(parts[2])
				if err1 == nil && err2 == nil {
					return parts[0], n, limit, true
				}
			}
		}
		b = b[vn:]
	}
	return
}
