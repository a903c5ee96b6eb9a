package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/waittest"
)

// watchSurfaces are the surfaces a watch runs on (gRPC-Web streams are
// connect-go's, as Connect's).
var watchSurfaces = []string{"grpc", "connect", "grpcweb", "rest"}

// watchToEnd opens a watch of lombardia with token on kind, signals opened
// after its first response and returns the error that ends it (nil when
// it ends cleanly).
func watchToEnd(ctx context.Context, t *testing.T, ts *testServer, kind, token string, opened chan<- struct{}) error {
	first := sync.OnceFunc(func() { close(opened) })
	return watchEach(ctx, t, ts, kind, token, &famiv1.WatchRequest{Parent: lombardia}, func(*famiv1.WatchResponse) bool {
		first()
		return true
	})
}

// wantStreamEnd waits for a watch to end and checks it ended with code.
// The wait is a bound on the end, which comes at the revocation's or the
// expiry's next check; a watch that obeys nothing never ends.
func wantStreamEnd(t *testing.T, step string, done <-chan error, code codes.Code) {
	t.Helper()
	err := waittest.Receive(t, step+": the watch to end with "+upperSnake(code), done)
	if e, ok := asCallError(err); !ok || e.Code != code {
		t.Errorf("%s: the watch ended with %v, want %s", step, err, upperSnake(code))
	}
}

// TestWatchObeysItsCredential checks that a watch ends with
// UNAUTHENTICATED as soon as its token is revoked or expires, on every
// surface: it used to be authorised on its first message only and kept
// delivering.
func TestWatchObeysItsCredential(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{BookmarkInterval: 100 * time.Millisecond})
	admin := newSurface(t, ts, "grpc")
	for _, kind := range watchSurfaces {
		t.Run(kind+"/revoked", func(t *testing.T) {
			tok, err := admin.CreateServiceToken(t.Context(), &famiv1.CreateServiceTokenRequest{Parent: lombardia, SystemId: "siage-" + kind})
			if err != nil {
				t.Fatal(err)
			}
			opened, done := make(chan struct{}), make(chan error, 1)
			go func() { done <- watchToEnd(t.Context(), t, ts, kind, tok.GetToken(), opened) }()
			select {
			case <-opened:
			case err := <-done:
				t.Fatalf("the watch ended before its first response: %v", err)
			}
			if _, err := admin.RevokeServiceToken(t.Context(), &famiv1.RevokeServiceTokenRequest{Name: tok.GetServiceToken().GetName()}); err != nil {
				t.Fatal(err)
			}
			wantStreamEnd(t, "after revocation", done, codes.Unauthenticated)
		})
		t.Run(kind+"/expired", func(t *testing.T) {
			// The stream's expiry is a timer, which waits real time: the
			// four surfaces wait together.
			t.Parallel()
			// An idle stream: no bookmark falls due before the expiry.
			quiet := startServer(t, server.Config{BookmarkInterval: time.Hour})
			tok := quiet.mintToken(auth.TokenSpec{Subject: "test:system:siage", Role: principal.RegionalSystem, Region: "lombardia", TTL: 2 * time.Second})
			opened, done := make(chan struct{}), make(chan error, 1)
			go func() { done <- watchToEnd(t.Context(), t, quiet, kind, tok, opened) }()
			wantStreamEnd(t, "after expiry", done, codes.Unauthenticated)
		})
	}
}

// TestWatchEndsOnTheServersClock: a watch ends when its token expires by
// the server's clock (Config.Now), not after the real time its token had
// left at admission: once the clock is moved past the expiry, the watch
// ends at its next bookmark. Its end was a real-time timer, so a watch
// with an hour-long token ran on for an hour of real time.
func TestWatchEndsOnTheServersClock(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{BookmarkInterval: 100 * time.Millisecond})
	toks := map[string]string{}
	for _, kind := range watchSurfaces {
		toks[kind] = ts.mintToken(auth.TokenSpec{Subject: "test:system:siage-" + kind, Role: principal.RegionalSystem, Region: "lombardia", TTL: time.Hour})
	}
	dones := map[string]chan error{}
	for _, kind := range watchSurfaces {
		opened, done := make(chan struct{}), make(chan error, 1)
		go func() { done <- watchToEnd(t.Context(), t, ts, kind, toks[kind], opened) }()
		select {
		case <-opened:
		case err := <-done:
			t.Fatalf("%s: the watch ended before its first response: %v", kind, err)
		}
		dones[kind] = done
	}
	ts.Clock.Advance(time.Hour + time.Second)
	for _, kind := range watchSurfaces {
		t.Run(kind, func(t *testing.T) {
			wantStreamEnd(t, "after the clock passed the expiry", dones[kind], codes.Unauthenticated)
		})
	}
}

// TestWatchLimits checks that streams beyond the per-caller limit are
// refused with RESOURCE_EXHAUSTED and a Retry-After on every surface, and
// that a closed stream frees its slot.
func TestWatchLimits(t *testing.T) {
	t.Parallel()
	ts := startServer(t, server.Config{BookmarkInterval: 100 * time.Millisecond, MaxStreamsPerPrincipal: 2, MaxStreams: 100})
	for _, kind := range watchSurfaces {
		t.Run(kind, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			var ends []chan error
			for range 2 {
				opened, done := make(chan struct{}), make(chan error, 1)
				go func() { done <- watchToEnd(ctx, t, ts, kind, ts.token, opened) }()
				select {
				case <-opened:
				case err := <-done:
					t.Fatalf("a watch within the limit ended: %v", err)
				}
				ends = append(ends, done)
			}
			err := watchToEnd(t.Context(), t, ts, kind, ts.token, make(chan struct{}))
			e, ok := asCallError(err)
			switch {
			case !ok || e.Code != codes.ResourceExhausted:
				t.Errorf("third watch: got %v, want RESOURCE_EXHAUSTED", err)
			case kind == "rest" && e.HTTPStatus != 429:
				t.Errorf("third watch: got HTTP %d, want 429", e.HTTPStatus)
			case e.RetryAfter <= 0:
				t.Errorf("third watch: no Retry-After")
			}
			cancel()
			for _, done := range ends {
				<-done
			}
			// The slots are free again (the server notices the closed
			// streams asynchronously).
			if err := waittest.Eventually(t, "a watch to open after closing the watches", func() error {
				ctx, stop := context.WithCancel(t.Context())
				defer stop()
				opened, done := make(chan struct{}), make(chan error, 1)
				go func() { done <- watchToEnd(ctx, t, ts, kind, ts.token, opened) }()
				select {
				case <-opened:
					stop()
					<-done
					return nil
				case err := <-done:
					return err
				}
			}); err != nil {
				t.Fatalf("after closing the watches: %v", err)
			}
		})
	}
}

// TestStreamTokenCheckedOnce: a stream's token is checked once as the
// stream starts, on every surface, and its revocation again before each
// message sent (TestWatchObeysItsCredential). A watch of another region,
// refused on its request, sends nothing: one check. On the HTTP port the
// token was checked twice, before connect-go read the request and again
// as the stream started.
func TestStreamTokenCheckedOnce(t *testing.T) {
	t.Parallel()
	var cfg server.Config
	checks := server.CountTokenChecks(&cfg)
	ts := startServer(t, cfg)
	for _, kind := range []string{"grpc", "connect", "connect-json", "grpcweb"} {
		before := checks()
		err := watchEach(t.Context(), t, ts, kind, ts.token, &famiv1.WatchRequest{Parent: "regions/veneto"}, func(*famiv1.WatchResponse) bool { return true })
		if e, ok := asCallError(err); !ok || e.Code != codes.PermissionDenied {
			t.Errorf("%s: a watch of another region: %v, want PERMISSION_DENIED", kind, err)
		}
		if n := checks() - before; n != 1 {
			t.Errorf("%s: the token checked %d times, want once", kind, n)
		}
	}
}
