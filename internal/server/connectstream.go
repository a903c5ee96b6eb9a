package server

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/admin"
	"github.com/raccordo/raccordo/internal/feed"
	"github.com/raccordo/raccordo/internal/sharedmsg"
)

// The services implement grpc-go's signatures, which connect-go's "simple"
// option shares for unary methods but not for server streams. The
// adapters below serve a grpc-go server-stream method on connect-go, so a
// capability package knows neither transport's stream type beyond the
// generated interface.

// syncConnect is feed.Service as a famiv1connect.SyncServiceHandler.
type syncConnect struct{ *feed.Service }

func (h syncConnect) Watch(ctx context.Context, req *famiv1.WatchRequest, stream *connect.ServerStream[famiv1.WatchResponse]) error {
	return h.Service.Watch(req, connectStream[famiv1.WatchResponse]{ctx, stream})
}

// adminConnect is admin.Service as a famiv1connect.AdminServiceHandler.
type adminConnect struct{ *admin.Service }

func (h adminConnect) BackupRegion(ctx context.Context, req *famiv1.BackupRegionRequest, stream *connect.ServerStream[famiv1.BackupRegionResponse]) error {
	return h.Service.BackupRegion(req, connectStream[famiv1.BackupRegionResponse]{ctx, stream})
}

// connectStream is a connect-go server stream as grpc-go's
// grpc.ServerStreamingServer[T].
type connectStream[T any] struct {
	ctx    context.Context
	stream *connect.ServerStream[T]
}

var _ grpc.ServerStreamingServer[famiv1.WatchResponse] = connectStream[famiv1.WatchResponse]{}

func (s connectStream[T]) Send(m *T) error          { return s.stream.Send(m) }
func (s connectStream[T]) Context() context.Context { return s.ctx }

func (s connectStream[T]) SetHeader(md metadata.MD) error {
	copyMetadata(s.stream.ResponseHeader(), md)
	return nil
}

// SendHeader only sets the headers: connect-go sends them with the first
// message.
func (s connectStream[T]) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

func (s connectStream[T]) SetTrailer(md metadata.MD) { copyMetadata(s.stream.ResponseTrailer(), md) }

// SendMsg sends m as it is, so that a shared message (sharedmsg) reaches
// the codec, which writes the bytes it was encoded to once.
func (s connectStream[T]) SendMsg(m any) error {
	if _, ok := sharedmsg.Unwrap(m).(*T); !ok {
		return errors.New("connectStream: SendMsg of a message of another type")
	}
	return s.stream.Conn().Send(m)
}

func (connectStream[T]) RecvMsg(any) error {
	return errors.New("connectStream: a server stream receives no message after its request")
}

func copyMetadata(h interface{ Add(key, value string) }, md metadata.MD) {
	for k, vs := range md {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
}
