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
	t.Parallel()
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
			lines := server.LogLines(buf.String(), "rpc")
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

// The web application's calls are logged as the web surface's, not as
// REST's (they were protocol=rest).
func TestAccessLineOfTheWebApplication(t *testing.T) {
	t.Parallel()
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
	lines := server.LogLines(buf.String(), "rpc")
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "procedure=/fami.v1.PartnerService/ListPartners ") }) {
		t.Errorf("no access line for the page's ListPartners: %q", lines)
	}
	for _, l := range lines {
		if !strings.Contains(l, " protocol=web peer=127.0.0.1 principal="+adminSubject+" ") {
			t.Errorf("access line %q: want protocol=web, the browser's address and the session's principal", l)
		}
	}
}

// The calls of a caller in the process (Server.InProcess: a program that
// embeds the server, the web tests' seeding) are logged and counted under
// their own surface, inproc: they were REST's, which made REST's figures
// count calls no HTTP client made. A REST call on the same server is
// still REST's.
func TestInProcessCallsHaveTheirOwnSurface(t *testing.T) {
	t.Parallel()
	var buf syncbuf.Buffer
	ts := startServer(t, server.Config{MetricsAddr: "127.0.0.1:0", Logger: textLog(&buf, slog.LevelInfo)})
	ctx := withBearer(t.Context(), ts.token)
	embedded := famiv1.NewPartnerServiceClient(ts.InProcess())
	for range 3 {
		if _, err := embedded.GetPartner(ctx, &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/nobody"}); err == nil {
			t.Fatal("GetPartner of a missing partner succeeded")
		}
	}
	if _, err := newSurface(t, ts, "rest").GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/nobody"}); err == nil {
		t.Fatal("REST: GetPartner of a missing partner succeeded")
	}
	m := scrape(t, ts.metricsURL())
	for surface, want := range map[string]float64{"inproc": 3, "rest": 1} {
		if got, _ := sample(m, "raccordo_rpc_requests_total", `method="GetPartner"`, `code="NOT_FOUND"`, `surface="`+surface+`"`); got != want {
			t.Errorf("raccordo_rpc_requests_total GetPartner NOT_FOUND on %s: %v, want %v", surface, got, want)
		}
	}
	ts.Stop()
	var protocols []string
	for _, l := range server.LogLines(buf.String(), "rpc") {
		if strings.Contains(l, "procedure=/fami.v1.PartnerService/GetPartner ") {
			_, p, _ := strings.Cut(l, " protocol=")
			p, _, _ = strings.Cut(p, " ")
			protocols = append(protocols, p)
		}
	}
	if !slices.Equal(protocols, []string{"inproc", "inproc", "inproc", "rest"}) {
		t.Errorf("access lines of GetPartner: protocols %q, want inproc thrice, then rest", protocols)
	}
}

// Every call on every surface gets one complete access line, with its
// fields in the order slog's text handler writes them.
func TestAccessLineEverySurface(t *testing.T) {
	t.Parallel()
	var buf syncbuf.Buffer
	ts := startServer(t, server.Config{Logger: textLog(&buf, slog.LevelInfo)})
	for _, kind := range surfaceKinds {
		if _, err := newSurface(t, ts, kind).GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/nobody"}); err == nil {
			t.Fatalf("%s: GetPartner of a missing partner succeeded", kind)
		}
	}
	ts.Stop()
	lines := server.LogLines(buf.String(), "rpc")
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
