package server

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/raccordo/raccordo/internal/errs"
)

// An error that is already a status with an internal code (an etcd
// client's, wrapped by the store) is logged once, as every other internal
// error, and the caller gets no text written for the operator.
func TestInternalStatusLoggedOnceAndHidden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code     codes.Code
		wantCode codes.Code
		hidden   bool
	}{
		{codes.Internal, codes.Internal, true},
		{codes.Unknown, codes.Internal, true},
		{codes.DataLoss, codes.DataLoss, false},
		{codes.NotFound, codes.NotFound, false},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		err := fmt.Errorf("store: %w", status.Error(tc.code, "etcdserver: secret detail"))
		st := toStatus(t.Context(), log, "/fami.v1.Test/Call", err)
		if st.Code() != tc.wantCode {
			t.Errorf("%v: code %v, want %v", tc.code, st.Code(), tc.wantCode)
		}
		if got := strings.Contains(st.Message(), "secret detail"); got == tc.hidden {
			t.Errorf("%v: message %q", tc.code, st.Message())
		}
		lines := strings.Count(buf.String(), "secret detail")
		want := 0
		if tc.code != codes.NotFound {
			want = 1
		}
		if lines != want {
			t.Errorf("%v: logged %d times, want %d:\n%s", tc.code, lines, want, buf.String())
		}
	}
	if st := toStatus(t.Context(), slog.New(slog.DiscardHandler), "", errors.New("x")); st.Code() != codes.Internal {
		t.Errorf("plain error: %v", st.Code())
	}
}

// A domain error whose details cannot be marshalled (here a violation's
// reason that is not UTF-8, which only our code writes) still answers its
// code and message, and the operator reads one line naming the method and
// the reason answered: the caller lost what it would act on.
func TestDroppedDetailsLoggedOnce(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	err := errs.Invalid.With(errs.Error{Message: "bad field", Violations: []errs.Violation{
		{Field: "display_name", Description: "bad", Reason: "BAD\xff"}}})
	st := toStatus(t.Context(), log, "/fami.v1.Test/Call", err)
	if st.Code() != codes.InvalidArgument || st.Message() != "bad field" || len(st.Details()) != 0 {
		t.Fatalf("status %v %q with %d details, want INVALID_ARGUMENT \"bad field\" bare", st.Code(), st.Message(), len(st.Details()))
	}
	out := buf.String()
	if n := strings.Count(out, "error details dropped"); n != 1 {
		t.Fatalf("logged %d lines of dropped details, want 1:\n%s", n, out)
	}
	for _, want := range []string{"procedure=/fami.v1.Test/Call", "answered=" + string(errs.Invalid.Reason()), "level=ERROR"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
