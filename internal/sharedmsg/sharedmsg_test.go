package sharedmsg_test

import (
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/sharedmsg"
)

// TestMessage checks that a shared message is encoded once, however many
// streams ask at once, to the bytes of the message it wraps, and that any
// other reader sees it as that message.
func TestMessage(t *testing.T) {
	res := &famiv1.WatchResponse{Revision: 7, Changes: []*famiv1.Change{{Revision: 7, ResourceName: "regions/lombardia/partners/a"}}}
	m := sharedmsg.New(res)
	var wg sync.WaitGroup
	encodings := make([][]byte, 8)
	for i := range encodings {
		wg.Go(func() {
			b, err := m.Marshal()
			if err != nil {
				t.Error(err)
			}
			encodings[i] = b
		})
	}
	wg.Wait()
	for _, b := range encodings[1:] {
		if &b[0] != &encodings[0][0] {
			t.Fatal("Marshal encoded the message more than once")
		}
	}
	var got famiv1.WatchResponse
	if err := proto.Unmarshal(encodings[0], &got); err != nil || !proto.Equal(&got, res) {
		t.Fatalf("the shared bytes decode to %v (%v), want %v", &got, err, res)
	}
	// A JSON codec reads it through proto.Message.
	j, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := protojson.Marshal(res)
	if string(j) != string(want) {
		t.Errorf("JSON of the shared message = %s, want %s", j, want)
	}
	if sharedmsg.Unwrap(m) != proto.Message(res) || sharedmsg.Unwrap(res) != proto.Message(res) {
		t.Error("Unwrap does not return the wrapped message")
	}
}
