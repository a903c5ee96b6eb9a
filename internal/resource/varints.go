package resource

import "google.golang.org/protobuf/encoding/protowire"

// A Varint is one varint field of a stored message (an enum, a bool, an
// int64) that ReadVarints reads, by its number, into Value.
type Varint struct {
	Num   protowire.Number
	Value *uint64
}

// ReadVarints reads the fields named from a message's encoding and steps
// over every other field, as proto.Unmarshal reads them: the last value of
// a field wins, a field absent leaves its Value as it was, and a malformed
// encoding is an error. A read that needs a few scalars of a large stored
// message (a partner's kind, a monitoring cell's amounts) costs a pass
// over its bytes, with no allocation, where decoding it whole builds every
// nested message.
func ReadVarints(raw []byte, fields ...Varint) error {
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return protowire.ParseError(n)
		}
		raw = raw[n:]
		if typ == protowire.VarintType {
			if i := varintIndex(fields, num); i >= 0 {
				v, n := protowire.ConsumeVarint(raw)
				if n < 0 {
					return protowire.ParseError(n)
				}
				*fields[i].Value = v
				raw = raw[n:]
				continue
			}
		}
		if n = protowire.ConsumeFieldValue(num, typ, raw); n < 0 {
			return protowire.ParseError(n)
		}
		raw = raw[n:]
	}
	return nil
}

func varintIndex(fields []Varint, num protowire.Number) int {
	for i, f := range fields {
		if f.Num == num {
			return i
		}
	}
	return -1
}
