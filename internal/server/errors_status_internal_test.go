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
)

// An error that is already a status with an internal code (an etcd
// client's, wrapped by the store) is logged once, as every other internal
// error, and the caller gets no text written for the operator.
func TestInternalStatusLoggedOnceAndHidden(t *testing.T) {
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
