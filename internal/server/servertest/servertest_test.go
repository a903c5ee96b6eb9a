package servertest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
)

var admin = auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"}

// call sends method path to s with token (none when empty) and an
// optional JSON body; it returns the status.
func call(t *testing.T, s *servertest.Server, method, path, token, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// TestStart: the server answers on its URL, over the data dir it was
// given, and its tokens are accepted (and none refused).
func TestStart(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, server.Config{DataDir: dir})
	if s.DataDir != dir {
		t.Errorf("DataDir %q, want %q", s.DataDir, dir)
	}
	for _, tc := range []struct {
		token string
		want  int
	}{
		{s.Token(t, admin), http.StatusOK},
		{"", http.StatusUnauthorized},
	} {
		if got := call(t, s, http.MethodGet, "/v1/regions/lombardia/partners", tc.token, ""); got != tc.want {
			t.Errorf("GET partners with token %t: %d, want %d", tc.token != "", got, tc.want)
		}
	}
}

// TestTokensOnTheServersClock: once the test has moved the server's
// clock two hours ahead, a token signed before is expired for the server,
// and one signed now, at the server's time, is accepted.
func TestTokensOnTheServersClock(t *testing.T) {
	s := servertest.Start(t, server.Config{})
	before := s.Token(t, admin)
	s.Clock.Advance(2 * time.Hour)
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"signed before", before, http.StatusUnauthorized},
		{"signed after", s.Token(t, admin), http.StatusOK},
	} {
		if got := call(t, s, http.MethodGet, "/v1/regions/lombardia/partners", tc.token, ""); got != tc.want {
			t.Errorf("token %s the clock moved: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestNowIsTheServersClock: Now reads the clock the server runs on, the
// test's own when it gave one (and Clock is nil), Clock otherwise, moved
// ahead with it.
func TestNowIsTheServersClock(t *testing.T) {
	own := time.Date(2031, time.March, 3, 9, 0, 0, 0, time.UTC)
	s := servertest.Start(t, server.Config{Now: func() time.Time { return own }})
	if got := s.Now(); !got.Equal(own) || s.Clock != nil {
		t.Errorf("a server on its own clock: Now reads %v (Clock %v), want %v (and no Clock)", got, s.Clock, own)
	}

	s = servertest.Start(t, server.Config{})
	s.Clock.Advance(48 * time.Hour)
	before := s.Clock.Now()
	got := s.Now()
	if after := s.Clock.Now(); got.Before(before) || got.After(after) {
		t.Errorf("a server on the test clock moved two days ahead: Now reads %v, want %v to %v", got, before, after)
	}
}

// processStart is about when the test process started: before any server.
var processStart = time.Now()

// TestClockStartsAtStartTime: a test server's clock reads StartTime when
// the process started its first server, whatever the real date, and runs
// on at the real rate; every server of the process reads the same time,
// so two started apart agree, and servertest.Now with them.
func TestClockStartsAtStartTime(t *testing.T) {
	first := servertest.Start(t, server.Config{})
	time.Sleep(10 * time.Millisecond) // the second server starts later
	second := servertest.Start(t, server.Config{})

	before := time.Now()
	a, b, now := first.Clock.Now(), second.Clock.Now(), servertest.Now()
	took := time.Since(before)
	if ran := time.Since(processStart); a.Before(servertest.StartTime) || a.After(servertest.StartTime.Add(ran)) {
		t.Errorf("the first server's clock reads %v, want %v or up to %v later (the time the tests have run)", a, servertest.StartTime, ran)
	}
	for name, got := range map[string]time.Time{"the second server": b, "servertest.Now": now} {
		if d := got.Sub(a); d < 0 || d > took {
			t.Errorf("%s reads %v after the first server's clock, want 0 to %v (the time the reads took)", name, d, took)
		}
	}
}

// TestRestart: the restarted server serves what the first one stored, on
// its data dir and clock, accepts the first one's tokens, and the first
// one no longer answers.
func TestRestart(t *testing.T) {
	s := servertest.Start(t, server.Config{})
	tok := s.Token(t, admin)
	if got := call(t, s, http.MethodPost, "/v1/regions/lombardia/partners?partner_id=udp-bergamo", tok,
		`{"displayName":"Ufficio di Piano di Bergamo","kind":"PARTNER_KIND_OTHER"}`); got != http.StatusOK {
		t.Fatalf("create partner: %d, want 200", got)
	}
	s.Clock.Advance(time.Minute)
	next := s.Restart(t)
	if next.DataDir != s.DataDir || next.Clock != s.Clock {
		t.Errorf("restarted on %q with clock %p, want %q and %p", next.DataDir, next.Clock, s.DataDir, s.Clock)
	}
	if got := call(t, next, http.MethodGet, "/v1/regions/lombardia/partners/udp-bergamo", tok, ""); got != http.StatusOK {
		t.Errorf("GET the partner after the restart: %d, want 200", got)
	}
	if _, err := http.Get(s.URL() + "/v1/regions/lombardia/partners"); err == nil {
		t.Errorf("the stopped server still answers on %s", s.URL())
	}
}

// TestRunNeedsADataDir: Run, which has no test whose temporary directory
// it could use, refuses to open the server's default ./data.
func TestRunNeedsADataDir(t *testing.T) {
	if s, err := servertest.Run(t.Context(), server.Config{}); err == nil {
		s.Stop()
		t.Fatal("Run without a DataDir started a server, want an error")
	}
}

// TestRunAndStop: a server Run serves until Stop, which may be called
// again and returns the same (nil) error.
func TestRunAndStop(t *testing.T) {
	s, err := servertest.Run(t.Context(), server.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(admin)
	if err != nil {
		t.Fatal(err)
	}
	if got := call(t, s, http.MethodGet, "/v1/regions/lombardia/partners", tok, ""); got != http.StatusOK {
		t.Errorf("GET partners: %d, want 200", got)
	}
	for i := range 2 {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop #%d: %v", i+1, err)
		}
	}
}

// TestSignAfterRotation: Sign keeps the keys it read, but a key rotated in
// the data dir while the server runs signs the next token.
func TestSignAfterRotation(t *testing.T) {
	s := servertest.Start(t, server.Config{})
	first := keyID(t, s.Token(t, admin))
	if again := keyID(t, s.Token(t, admin)); again != first {
		t.Fatalf("second token signed by key %q, want %q as the first", again, first)
	}
	kid, err := auth.RotateKey(s.DataDir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if kid == first {
		t.Fatalf("rotation kept key %q", kid)
	}
	if got := keyID(t, s.Token(t, admin)); got != kid {
		t.Errorf("token after the rotation signed by key %q, want the new %q", got, kid)
	}
}

// keyID is the "kid" of the JWT tok's header.
func keyID(t *testing.T, tok string) string {
	t.Helper()
	head, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("token header: %v", err)
	}
	return h.Kid
}

// BenchmarkStart compares a test server's start on a data dir whose files
// Start copied from the ones it created once per process ("copied") with
// a start on an empty dir, where server.Open creates them ("created").
func BenchmarkStart(b *testing.B) {
	b.Run("created", func(b *testing.B) {
		for b.Loop() {
			s, err := servertest.Run(b.Context(), server.Config{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Stop(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copied", func(b *testing.B) {
		for b.Loop() {
			if err := servertest.Start(b, server.Config{}).Stop(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
