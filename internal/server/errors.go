package server

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/raccordo/raccordo/internal/errs"
)

// errorDomain is the google.rpc.ErrorInfo domain of every error.
const errorDomain = "raccordo.fami"

// grpcCodes translates the domain's error codes: the one table every edge
// uses (Connect codes are numerically the gRPC codes, and REST statuses
// derive from them).
var grpcCodes = map[errs.Code]codes.Code{
	errs.Internal:           codes.Internal,
	errs.Invalid:            codes.InvalidArgument,
	errs.NotFound:           codes.NotFound,
	errs.AlreadyExists:      codes.AlreadyExists,
	errs.Conflict:           codes.Aborted,
	errs.FailedPrecondition: codes.FailedPrecondition,
	errs.PermissionDenied:   codes.PermissionDenied,
	errs.Unauthenticated:    codes.Unauthenticated,
	errs.ResourceExhausted:  codes.ResourceExhausted,
	errs.Unavailable:        codes.Unavailable,
	errs.DataLoss:           codes.DataLoss,
}

// toStatus turns any error a service returns into the gRPC status a caller
// sees. Domain errors keep their message and gain ErrorInfo, BadRequest and
// RetryInfo details; anything else is logged and becomes a bare INTERNAL,
// so no internal detail leaks.
func toStatus(ctx context.Context, log *slog.Logger, procedure string, err error) *status.Status {
	return statusFor(ctx, log, procedure, nil, err)
}

// callStatus is toStatus for a call the pipeline ran, c: its lines name
// what the operator needs to find the call (errorAttrs).
func callStatus(ctx context.Context, log *slog.Logger, c *call, err error) *status.Status {
	return statusFor(ctx, log, c.procedure, c, err)
}

// statusFor is toStatus and callStatus; c is nil for an error that no call
// of the pipeline's carries.
func statusFor(ctx context.Context, log *slog.Logger, procedure string, c *call, err error) *status.Status {
	if st, ok := status.FromError(err); ok {
		// Already a status (from the gRPC runtime, or a store's client
		// wrapped in a store error). An internal one is logged here too,
		// since the web logs none again, and its text, written for the
		// operator, is not the caller's.
		switch st.Code() {
		case codes.Internal, codes.Unknown:
			logError(ctx, log, "internal error", procedure, c, "err", err)
			return status.New(codes.Internal, "internal error")
		case codes.DataLoss:
			logError(ctx, log, "data loss", procedure, c, "err", err)
		}
		return st
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "the request took longer than its deadline")
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "the request was canceled")
	}
	e := errs.As(err)
	if ce := (*connect.Error)(nil); e == nil && errors.As(err, &ce) {
		if refusal, ok := messageRefused(ce); ok {
			return statusFor(ctx, log, procedure, c, refusal)
		}
	}
	if e == nil || e.Code == errs.Internal {
		logError(ctx, log, "internal error", procedure, c, "err", err)
		return status.New(codes.Internal, "internal error")
	}
	switch {
	case e.Code == errs.DataLoss:
		// Damaged data needs an operator: say so in the log, every time.
		logError(ctx, log, "data loss", procedure, c, "err", err)
	case errs.CodeOf(e.Cause) == errs.DataLoss:
		// Hidden from the caller (errs.Error.Cause), not from the operator.
		logError(ctx, log, "data loss", procedure, c, "err", e.Cause, "answered", e.Reason)
	case e.Cause != nil:
		logError(ctx, log, "error behind the answer", procedure, c, "err", e.Cause, "answered", e.Reason)
	}
	st := status.New(grpcCodes[e.Code], validUTF8(e.Message))
	reason := e.Reason
	if reason == "" {
		reason = e.Code.Reason()
	}
	metadata := make(map[string]string, len(e.Metadata))
	for k, v := range e.Metadata {
		metadata[validUTF8(k)] = validUTF8(v)
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: string(reason), Domain: errorDomain, Metadata: metadata}}
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: validUTF8(v.Field), Description: validUTF8(v.Description), Reason: v.Reason})
		}
		details = append(details, br)
	}
	if e.RetryAfter > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(e.RetryAfter) * time.Second)})
	}
	withDetails, derr := st.WithDetails(details...)
	if derr != nil {
		// The caller gets the code and message without the details it
		// would act on (the reason, the fields): a fault of ours, so the
		// operator hears of it, here, once for every edge.
		logError(ctx, log, "error details dropped", procedure, c, "err", derr, "answered", reason)
		return st
	}
	return withDetails
}

// validUTF8 is s with each invalid UTF-8 sequence replaced by U+FFFD.
// The text of an error may echo what the caller sent (the decoder's
// words on a body of bytes that are not UTF-8): a proto string must be
// UTF-8, so one such text failed the marshaling of every detail, and the
// status went out without any (no BadRequest naming the field), as did
// Connect's JSON answer to an undecodable body.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// logError writes the one line of an error the edge hides from its
// caller (an internal error, damaged data): what the operator needs to
// find the call it failed, without the access line, which carries no error.
// The procedure; with c, the surface, the peer, the region the request
// names and its request_id (a retry's key); the trace when the call is
// traced. The web application, whose calls come here too, logs none again.
func logError(ctx context.Context, log *slog.Logger, msg, procedure string, c *call, args ...any) {
	args = append(args, "procedure", procedure)
	if c != nil {
		args = append(args, "protocol", c.protocol, "peer", c.peer)
		if region := requestRegion(c.req); region != "" {
			args = append(args, "region", region)
		}
		if r, ok := c.req.(interface{ GetRequestId() string }); ok && r.GetRequestId() != "" {
			args = append(args, "request_id", errs.Clip(r.GetRequestId(), errs.MaxEcho))
		}
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		args = append(args, "trace_id", sc.TraceID().String())
	}
	log.ErrorContext(ctx, msg, args...)
}

// requestRegion is the region of what a request names (requestTarget):
// its parent or name, or the name of the resource an Update sends
// ("lombardia", "-" for the national view); "" when it names none.
func requestRegion(req proto.Message) string {
	if req == nil {
		return ""
	}
	_, name := requestTarget(req.ProtoReflect())
	return regionOfName(name)
}

// regionOfName is the region of a name under regions/{region}, clipped
// (it is what a client sent); "" for any other.
func regionOfName(name string) string {
	rest, ok := strings.CutPrefix(name, "regions/")
	region, _, _ := strings.Cut(rest, "/")
	if !ok || region == "" {
		return ""
	}
	return errs.Clip(region, errs.MaxEcho)
}

// messageRefused is the error that answers connect-go's own refusal of a
// stream's message, which reaches the pipeline's stream interceptor from
// Receive. One it cannot decode is INVALID_ARGUMENT, named as REST names
// the gateway's decoding errors (decodeErrorField): a domain error, whose
// details statusFor builds as every other's, and logs if it cannot. One
// over the size limit is the bare RESOURCE_EXHAUSTED status it was. A
// unary call's is answered by connect-go itself (docs/errors.md). ok is
// false for any other error, which stays internal.
func messageRefused(ce *connect.Error) (refusal error, ok bool) {
	switch ce.Code() {
	case connect.CodeResourceExhausted:
		return status.Error(codes.ResourceExhausted, ce.Message()), true
	case connect.CodeInvalidArgument:
		msg := ce.Message()
		return errs.Invalid.With(errs.Error{Message: msg,
			Violations: []errs.Violation{{Field: decodeErrorField(msg), Description: msg}}}), true
	}
	return nil, false
}

// toConnect turns a status into a Connect error with the same code, message
// and details (those detailsOf could read), and its RetryInfo as a
// Retry-After header. Each detail goes as the Any the status holds, which
// connect-go takes as it is: re-marshalling the message read from it
// could only fail where reading it did, and a failure dropped the detail
// without a word.
func toConnect(st *status.Status) *connect.Error {
	ce := connect.NewError(connect.Code(st.Code()), errors.New(st.Message()))
	d := detailsOf(st)
	held := st.Proto().GetDetails()
	for _, i := range d.read {
		detail, _ := connect.NewErrorDetail(held[i]) // an Any is never refused
		ce.AddDetail(detail)
	}
	if d.retryAfter > 0 {
		ce.Meta().Set("Retry-After", strconv.Itoa(d.retryAfter))
	}
	return ce
}

// retryInfo returns the RetryInfo delay of a status in whole seconds.
func retryInfo(st *status.Status) int { return detailsOf(st).retryAfter }

// statusDetails is what the server reads of a status's details, in one
// walk (detailsOf): the code recorded (outcome), the REST problem and its
// Retry-After, and a Connect error's details (toConnect) come from the
// same details.
type statusDetails struct {
	// info is the ErrorInfo, nil when there is none. toStatus gives a
	// status one (AIP-193 asks for one); should a status carry two, the
	// first counts, as it does for the web pages and the SDK, which read
	// the first: the reason recorded is then the one the caller acts on.
	info *errdetails.ErrorInfo
	// retryAfter is the delay of the first RetryInfo in whole seconds
	// (rounded up), 0 without one.
	retryAfter int
	// violations are the field violations of every BadRequest, in order.
	violations []*errdetails.BadRequest_FieldViolation
	// read are the indexes, in the status's details, of those that could
	// be read (their message type is known), every one, in order.
	read []int
}

// detailsOf reads st's details (statusDetails).
func detailsOf(st *status.Status) statusDetails {
	var d statusDetails
	retry := false
	for i, detail := range st.Details() {
		if _, unread := detail.(error); unread { // in place of a detail of a type not known
			continue
		}
		d.read = append(d.read, i)
		switch detail := detail.(type) {
		case *errdetails.ErrorInfo:
			if d.info == nil {
				d.info = detail
			}
		case *errdetails.RetryInfo:
			if !retry {
				retry, d.retryAfter = true, int(detail.GetRetryDelay().AsDuration().Seconds()+0.999)
			}
		case *errdetails.BadRequest:
			d.violations = append(d.violations, detail.GetFieldViolations()...)
		}
	}
	return d
}
