package check_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/check"
)

// BenchmarkUnmarshalJSON measures the REST body decoder on what every REST
// write pays: a typical body within its limits (scanned, then decoded by
// protojson), one with lists inside lists, and a hostile body whose list
// is over its limit (counted, not decoded).
func BenchmarkUnmarshalJSON(b *testing.B) {
	network, _ := protojson.Marshal(&famiv1.CreateNetworkRequest{Parent: "regions/lombardia", NetworkId: "n", Network: &famiv1.Network{
		DisplayName:    "Rete territoriale Ambito di Bergamo",
		Members:        []*famiv1.Member{{Partner: "regions/lombardia/partners/udp-bergamo"}, {Partner: "regions/lombardia/partners/cpia-bergamo"}, {Partner: "regions/lombardia/partners/comune-bergamo"}},
		Municipalities: []string{"016024", "016025", "016026", "016027", "016028"},
	}})
	attendance := &famiv1.RecordAttendanceRequest{Name: "regions/lombardia/meetings/m"}
	for range 20 {
		attendance.Attendance = append(attendance.Attendance, &famiv1.PartnerAttendance{Partner: "regions/lombardia/partners/p", Roles: []*famiv1.AttendeeCount{{}, {}, {}}})
	}
	attended, _ := protojson.Marshal(attendance)
	hostile := []byte(`{"parent": "regions/lombardia", "names": ["x"` + strings.Repeat(`,"x"`, 100*check.MaxRepeated) + `]}`)
	for _, c := range []struct {
		name string
		body []byte
		msg  func() proto.Message
	}{
		{"network", network, func() proto.Message { return &famiv1.CreateNetworkRequest{} }},
		{"attendance", attended, func() proto.Message { return &famiv1.RecordAttendanceRequest{} }},
		{"oversize", hostile, func() proto.Message { return &famiv1.BatchApproveSupportEntriesRequest{} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := check.UnmarshalJSON(c.body, c.msg(), protojson.UnmarshalOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
