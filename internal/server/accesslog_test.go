package server_test

import (
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/syncbuf"
)

// Every call gets one access line at AccessLogLevel; a level below the
// logger's turns the lines off.
func TestAccessLogLevel(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		want  int
	}{{slog.LevelInfo, 1}, {slog.LevelDebug, 0}} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var buf syncbuf.Buffer
			ts := startServer(t, server.Config{AccessLogLevel: tc.level, Logger: textLog(&buf, slog.LevelInfo)})
			client := famiv1connect.NewPartnerServiceClient(http.DefaultClient, ts.httpURL(), bearer(ts.token))
			if _, err := client.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/nobody"}); err == nil {
				t.Fatal("GetPartner of a missing partner succeeded")
			}
			ts.Stop()
			lines := logLines(buf.String(), "rpc")
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

// logLines are the lines of log with message msg.
func logLines(log, msg string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "msg="+msg+" ") {
			out = append(out, line)
		}
	}
	return out
}

// The web application's calls are logged as the web surface's, not as
// REST's (they were protocol=rest).
func TestAccessLineOfTheWebApplication(t *testing.T) {
	var buf syncbuf.Buffer
	ts := startServer(t, server.Config{Logger: textLog(&buf, slog.LevelInfo)})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.httpURL()+"/partner", nil)
	req.AddCookie(&http.Cookie{Name: "raccordo_sessione", Value: ts.token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /partner: %d, want 200", res.StatusCode)
	}
	ts.Stop()
	lines := logLines(buf.String(), "rpc")
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "procedure=/fami.v1.PartnerService/ListPartners ") }) {
		t.Errorf("no access line for the page's ListPartners: %q", lines)
	}
	for _, l := range lines {
		if !strings.Contains(l, " protocol=web peer=127.0.0.1 principal="+adminSubject+" ") {
			t.Errorf("access line %q: want protocol=web, the browser's address and the session's principal", l)
		}
	}
}

// Every call on every surface gets one complete access line, with its
// fields in the order slog's text handler writes them.
func TestAccessLineEverySurface(t *testing.T) {
	var buf syncbuf.Buffer
	ts := startServer(t, server.Config{Logger: textLog(&buf, slog.LevelInfo)})
	for _, kind := range surfaceKinds {
		if _, err := newSurface(t, ts, kind).GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/nobody"}); err == nil {
			t.Fatalf("%s: GetPartner of a missing partner succeeded", kind)
		}
	}
	ts.Stop()
	lines := logLines(buf.String(), "rpc")
	if len(lines) != len(surfaceKinds) {
		t.Fatalf("%d access lines, want %d: %q", len(lines), len(surfaceKinds), lines)
	}
	line := regexp.MustCompile(`^time=\S+ level=INFO msg=rpc procedure=/fami.v1.PartnerService/GetPartner protocol=(\S+) peer=127.0.0.1 principal=` +
		regexp.QuoteMeta(adminSubject) + ` code=NOT_FOUND duration=[0-9.]+[µnm]?s$`)
	for i, l := range lines {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("access line %q is not of the expected shape", l)
			continue
		}
		if m[1] != surfaceKinds[i] {
			t.Errorf("access line %d has protocol=%s, want %s", i, m[1], surfaceKinds[i])
		}
	}
}
