package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/check"
	"github.com/raccordo/raccordo/internal/sharedmsg"
)

// The binary codecs of the gRPC server and of the Connect handlers decode
// with check.Unmarshal: a request whose repeated field holds more elements
// than its limit is not decoded element by element (two million empty
// elements fit in 4 MB and cost a quarter of a second to decode) but left
// for the pipeline to refuse, after authentication, naming the field.
//
// Both write a shared message (a change-feed response that goes to every
// watcher of a region) as the bytes it was encoded to once, instead of
// marshaling it again for each stream.

// grpcCodec is grpc-go's proto codec with a bounded Unmarshal, which
// hands the failure to decode a unary request to the pipeline (undecoded)
// when grpcAuthFirst asks for it (decoding).
type grpcCodec struct {
	encoding.CodecV2
	held *undecoded
}

func newGRPCCodec(held *undecoded) grpcCodec {
	return grpcCodec{encoding.GetCodecV2(grpcproto.Name), held}
}

// Marshal writes a shared message as its bytes, anything else as
// grpc-go's codec does.
func (c grpcCodec) Marshal(v any) (mem.BufferSlice, error) {
	if s, ok := v.(*sharedmsg.Message); ok {
		b, err := s.Marshal()
		if err != nil {
			return nil, err
		}
		// A SliceBuffer is never recycled: the shared bytes stay intact
		// for the other streams.
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	return c.CodecV2.Marshal(v)
}

func (c grpcCodec) Unmarshal(data mem.BufferSlice, v any) error {
	d, unary := v.(decoding)
	if unary {
		v = d.m
	}
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("unmarshal: %T is not a proto.Message", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	err := check.Unmarshal(buf.ReadOnlyData(), m)
	if err != nil && unary && c.held.hold(m, err) {
		return nil
	}
	return err
}

// decoding is the request of a unary call as grpcAuthFirst hands it to
// grpc-go's decoding, which passes it to the codec as it is: it tells
// grpcCodec to hold a failure (undecoded), as it does not for a stream's
// messages.
type decoding struct{ m any }

// connectCodecs are the codecs of the Connect handlers: connectCodec and
// connectJSONCodec, whose failures to decode a unary request are held
// for the pipeline (undecoded).
func connectCodecs(held *undecoded) []connect.HandlerOption {
	codecs := func(held *undecoded) []connect.HandlerOption {
		return []connect.HandlerOption{
			connect.WithCodec(connectCodec{held}),
			connect.WithCodec(connectJSONCodec{"json", held}),
			connect.WithCodec(connectJSONCodec{"json; charset=utf-8", held}),
		}
	}
	unary := connect.WithConditionalHandlerOptions(func(spec connect.Spec) []connect.HandlerOption {
		if spec.StreamType == connect.StreamTypeUnary {
			return codecs(held)
		}
		return nil
	})
	return append(codecs(nil), unary)
}

// connectCodec is Connect's binary proto codec with a bounded Unmarshal.
type connectCodec struct{ held *undecoded }

func (connectCodec) Name() string { return "proto" }

func (connectCodec) Marshal(v any) ([]byte, error) {
	return connectCodec{}.MarshalAppend(nil, v)
}

func (connectCodec) MarshalAppend(dst []byte, v any) ([]byte, error) {
	if s, ok := v.(*sharedmsg.Message); ok {
		b, err := s.Marshal()
		return append(dst, b...), err
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("marshal: %T is not a proto.Message", v)
	}
	return proto.MarshalOptions{}.MarshalAppend(dst, m)
}

func (c connectCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("unmarshal: %T is not a proto.Message", v)
	}
	if err := check.Unmarshal(data, m); err != nil && !c.held.hold(m, err) {
		return err
	}
	return nil
}

var _ connect.Codec = connectCodec{}

// connectJSONCodec is Connect's JSON codec (Connect and gRPC-Web with
// JSON bodies) with a bounded Unmarshal, check.UnmarshalJSON as REST's
// decoder: connect-go's own decoded every element of an oversized
// repeated field before the pipeline refused it (4 MB of two million
// empty network members: 550 ms of CPU, now 15 ms). Unlike connect-go's,
// and like REST's, it refuses unknown fields and enum names, naming them:
// connect-go dropped them, so a misspelt field was lost data, and an
// unknown enum name was read as unset ("NETWORK_STATE_CLOSED" answered
// OK and left the network active). A unary
// call's failure is held for the pipeline (undecoded), which refuses it
// naming the field; connect-go would wrap it in a *connect.Error of its
// own, without details, before any interceptor runs. A stream's reaches
// the pipeline through connect-go (messageRefused).
type connectJSONCodec struct {
	name string
	held *undecoded
}

func (c connectJSONCodec) Name() string { return c.name }

func (c connectJSONCodec) Marshal(v any) ([]byte, error) { return c.MarshalAppend(nil, v) }

func (connectJSONCodec) MarshalAppend(dst []byte, v any) ([]byte, error) {
	// A shared message (sharedmsg) is the proto.Message it wraps.
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("marshal: %T is not a proto.Message", v)
	}
	return protojson.MarshalOptions{}.MarshalAppend(dst, m)
}

// MarshalStable and IsBinary make it a stable codec, as connect-go's is:
// Connect's GET requests and error details are written with it.
func (c connectJSONCodec) MarshalStable(v any) ([]byte, error) {
	b, err := c.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func (connectJSONCodec) IsBinary() bool { return false }

func (c connectJSONCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("unmarshal: %T is not a proto.Message", v)
	}
	err := errors.New("zero-length payload is not a valid JSON object")
	if len(data) > 0 {
		err = check.UnmarshalJSON(data, m, protojson.UnmarshalOptions{})
	}
	if err != nil && !c.held.hold(m, err) {
		return err
	}
	return nil
}
