package aip

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// EnumName is an enum value as messages and exports spell it, without the
// prefix every value of its type carries (AIP-126; buf's
// ENUM_VALUE_PREFIX, read off the UNSPECIFIED zero value): IN_FORCE for
// PROTOCOL_STATE_IN_FORCE. A number the enum does not define, which a gRPC
// client can send, is spelt as that number.
func EnumName(e protoreflect.Enum) string {
	values := e.Descriptor().Values()
	v := values.ByNumber(e.Number())
	if v == nil {
		return strconv.Itoa(int(e.Number()))
	}
	prefix := strings.TrimSuffix(string(values.ByNumber(0).Name()), "UNSPECIFIED")
	return strings.TrimPrefix(string(v.Name()), prefix)
}
