package store

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/raccordo/raccordo/internal/errs"
)

// Records are stored framed, on every backend (ADR 12): a region's
// resources and changes (bbolt and etcd), every value of bbolt's system
// file. A frame is the byte frameMark, the CRC-32C of the payload (4
// bytes, big-endian), then the payload (a region record's deterministic
// protobuf; any bytes in the system file). A flipped bit in storage is
// then caught on read and answered DATA_LOSS for that record, never
// served as data.
//
// frameMark cannot begin a protobuf encoding (its low three bits would be
// wire type 7, which does not exist), so records written before the frame
// existed, bare protobuf, are still read, unverified; each is framed by
// its next write. Existing regions need no migration. System values are
// not all protobuf (password hashes, big-endian counters), so the mark
// cannot tell them apart: bbolt's system file is framed whole, once, on
// open (bolt's frameSystem).
//
// A store.Record (export, import, copy) carries the payload alone, so that
// a region copied between backends compares equal.
const frameMark = 0xFF

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Framed says whether the values of a region's table are stored framed:
// resources and changes, the records of a region's own data. Requests,
// indexes and types are derived or transient; an index entry can only
// point at a record, which is then checked.
func Framed(table string) bool {
	return table == TableResources || table == TableChanges
}

// Frame wraps a record's payload for storage.
func Frame(payload []byte) []byte {
	b := make([]byte, 5, 5+len(payload))
	b[0] = frameMark
	binary.BigEndian.PutUint32(b[1:5], crc32.Checksum(payload, castagnoli))
	return append(b, payload...)
}

// Unframe returns a stored record's payload: a frame's, after checking
// its checksum, or a record written before records were framed, as it is.
// ok is false on a mismatch or a truncated frame; the caller then answers
// ErrCorrupt, naming the record only then, so that a read builds no name.
func Unframe(v []byte) (payload []byte, ok bool) {
	if len(v) == 0 || v[0] != frameMark {
		return v, true // written before records were framed
	}
	return OpenFrame(v)
}

// OpenFrame returns the payload of the frame v and whether its checksum
// holds. Where every value is framed (bbolt's system file), anything else
// is damage too, a bit flipped in the mark included.
func OpenFrame(v []byte) (payload []byte, ok bool) {
	if len(v) < 5 || v[0] != frameMark || binary.BigEndian.Uint32(v[1:5]) != crc32.Checksum(v[5:], castagnoli) {
		return nil, false
	}
	return v[5:], true
}

// ErrCorrupt is the DATA_LOSS (reason RECORD_CORRUPT) of the stored record
// what, whose frame failed its check.
func ErrCorrupt(what string) error {
	return errs.RecordCorrupt.With(errs.Error{
		Message:  errs.Sprintf("the stored record of %s is damaged (checksum mismatch): restore it from a backup", what),
		Metadata: map[string]string{"record": what},
	})
}
