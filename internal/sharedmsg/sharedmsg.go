// Package sharedmsg lets one message go out on many streams while it is
// encoded once. The change feed sends a commit's response, the same for
// every live watcher of a region at the same revision with the same
// filter, to hundreds of streams; the server's binary codecs (gRPC's and
// Connect's) recognise a *Message and write its bytes as they are instead
// of marshaling the message again for each stream.
//
// A *Message is a proto.Message (its ProtoReflect is the wrapped
// message's), so any other reader, a JSON codec or a stats handler,
// treats it as the message it wraps.
package sharedmsg

import (
	"sync"

	"google.golang.org/protobuf/proto"
)

// Message is a message shared by many streams. Neither it nor the message
// it wraps may change once it is shared.
type Message struct {
	proto.Message

	once sync.Once
	wire []byte
	err  error
}

// New wraps m for sharing.
func New(m proto.Message) *Message { return &Message{Message: m} }

// Marshal returns the message's binary encoding, computed by the first
// call. The bytes are shared by every caller: read-only.
func (m *Message) Marshal() ([]byte, error) {
	m.once.Do(func() { m.wire, m.err = proto.Marshal(m.Message) })
	return m.wire, m.err
}

// Unwrap returns the message m holds when m is a *Message, else m.
func Unwrap(m any) any {
	if s, ok := m.(*Message); ok {
		return s.Message
	}
	return m
}
