package server

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/errs"
)

// requestTarget is the field of req that names what the request is about,
// by the shape of its message (AIP-131 to 136): a create's or a
// collection's custom method's parent, a Get's, a Delete's or a custom
// method's name, or the name of the resource an Update sends
// ("partner.name"); and its value. field is "" for a request with none
// (a login).
func requestTarget(req protoreflect.Message) (field, value string) {
	for _, f := range []protoreflect.Name{"name", "parent"} {
		if v := stringField(req, f); v != "" {
			return string(f), v
		}
	}
	if resource, _ := requestEtag(req.Descriptor()); resource != nil {
		return string(resource.Name()) + ".name", stringField(req.Get(resource).Message(), "name")
	}
	return "", ""
}

// stringField is m's string field called field, "" when it has none.
func stringField(m protoreflect.Message, field protoreflect.Name) string {
	f := m.Descriptor().Fields().ByName(field)
	if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() {
		return ""
	}
	return m.Get(f).String()
}

// noWildcardWrite refuses a write (writes: a procedure whose HTTP rule is
// no GET) whose target is under regions/-, AIP-159's wildcard, with
// INVALID_ARGUMENT naming the field: only reads take it, and a write is
// made in one region, whoever asks. Unchecked, a create of regions/- was
// NOT_FOUND for the ministry (no region "-"), and refused as a national
// read for anyone else, neither naming what to fix.
func noWildcardWrite(writes map[string]bool, procedure string, req proto.Message) error {
	if !writes[procedure] || req == nil {
		return nil
	}
	field, value := requestTarget(req.ProtoReflect())
	if value != aip.AllRegions && !strings.HasPrefix(value, aip.AllRegions+"/") {
		return nil
	}
	return errs.InvalidField(field, "%q names every region (%s), which only reads take: name the region to write in", errs.Clip(value, errs.MaxEcho), aip.AllRegions)
}
