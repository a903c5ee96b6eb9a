package server_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
)

// lockedBuffer is a log destination the server and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(msg string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, "msg="+msg+" ") {
			out = append(out, line)
		}
	}
	return out
}

// Every call gets one access line at AccessLogLevel; a level below the
// logger's turns the lines off.
func TestAccessLogLevel(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		want  int
	}{{slog.LevelInfo, 1}, {slog.LevelDebug, 0}} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var buf lockedBuffer
			ts := startServer(t, server.Config{AccessLogLevel: tc.level, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
			client := famiv1connect.NewPartnerServiceClient(http.DefaultClient, ts.httpURL(), bearer(ts.token))
			if _, err := client.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/nobody"}); err == nil {
				t.Fatal("GetPartner of a missing partner succeeded")
			}
			ts.stop()
			lines := buf.lines("rpc")
			if len(lines) != tc.want {
				t.Fatalf("%d access lines, want %d: %q", len(lines), tc.want, lines)
			}
			for _, l := range lines {
				for _, field := range []string{"level=" + tc.level.String(), "procedure=/fami.v1.PartnerService/GetPartner", "protocol=connect", "code=NOT_FOUND", "principal=" + adminSubject} {
					if !strings.Contains(l, field) {
						t.Errorf("access line %q lacks %s", l, field)
					}
				}
			}
		})
	}
}
