package store

import (
	"maps"
	"strconv"

	"github.com/raccordo/raccordo/internal/errs"
)

// Every store records the format its data is written in: a small marker,
// the decimal version (DataFormat), beside the data it describes. On bbolt
// each file (system.db, every region file) keeps it in bucket "\x00meta",
// key FormatKey; on etcd it is "{prefix}formats/system" and
// "{prefix}formats/regions/{region}". A famid refuses data whose marker
// names a format it does not know, never taking it for an old one and
// rewriting it: a downgrade then fails loudly, naming the data and what to
// do, instead of framing framed records a second time (ADR 22).
//
// Data written before the marker existed has none; it is format 1 or older
// and is read as before (bare records are recognised by their first byte,
// ADR 12). It gets the marker at its first open by a famid that knows it.

// DataFormat is the format this famid writes, and the newest it reads.
//
//	1: region records framed with a CRC-32C (store.Frame), bare ones from
//	   before read unverified; bbolt's system values framed, etcd's bare.
//
// A change that an older famid would misread (a new frame, a new layout)
// takes the next number.
const DataFormat = 1

// FormatKey is the key of the marker in a bbolt file's "\x00meta" bucket.
const FormatKey = "format-version"

// FormatMarker is the marker this famid writes.
func FormatMarker() []byte { return []byte(strconv.Itoa(DataFormat)) }

// CheckFormat checks the marker found in the store named by where (a file,
// an etcd key): nil (no marker yet) and the formats this famid knows pass;
// any other value, newer or unreadable, is refused with
// DATA_FORMAT_UNKNOWN, naming where, the format found and the remedy.
func CheckFormat(where string, found []byte) error {
	if found == nil {
		return nil
	}
	if v, err := strconv.Atoi(string(found)); err == nil && v >= 1 && v <= DataFormat && strconv.Itoa(v) == string(found) {
		return nil
	}
	return errs.DataFormatUnknown.With(errs.Error{
		Message: errs.Sprintf("%s holds data in format %q, which this version of famid and famictl does not know (the newest it reads is format %d): a newer famid wrote it. "+
			"It is left as it is: upgrade famid to the version that wrote it (or a later one), or put back the copies taken before that upgrade (docs/operations.md, Upgrades)",
			where, found, DataFormat),
		Metadata: map[string]string{"store": where, "format": string(found), "known_format": strconv.Itoa(DataFormat)},
	})
}

// RegionNotServed is err, the refusal of region's data by CheckFormat, as
// the region answers it while it is not served (ADR 12's pattern for
// damaged files): naming the region.
func RegionNotServed(region string, err error) error {
	e := errs.As(err)
	if e == nil || e.Reason != errs.DataFormatUnknown {
		return err
	}
	md := maps.Clone(e.Metadata)
	md["region"] = region
	return errs.DataFormatUnknown.With(errs.Error{Message: errs.Sprintf("region %s is not served: %s", region, e.Message), Metadata: md})
}
