package aip

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

func TestEnumName(t *testing.T) {
	for _, c := range []struct {
		e    protoreflect.Enum
		want string
	}{
		{famiv1.ProtocolState_PROTOCOL_STATE_IN_FORCE, "IN_FORCE"},
		{famiv1.MeetingState_MEETING_STATE_HELD, "HELD"},
		{famiv1.MeetingMode_MEETING_MODE_IN_PERSON, "IN_PERSON"},
		{famiv1.SupportOperatorRole_SUPPORT_OPERATOR_ROLE_UNSPECIFIED, "UNSPECIFIED"},
		{famiv1.SupportEntryState(99), "99"},
	} {
		if got := EnumName(c.e); got != c.want {
			t.Errorf("EnumName(%v) = %q, want %q", c.e, got, c.want)
		}
	}
}
