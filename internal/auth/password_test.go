package auth_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raccordo/raccordo/internal/auth"
)

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q, want the PHC argon2id format", h)
	}
	h2, _ := auth.HashPassword("correct horse battery staple")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse battery staple", true}, {"correct horse battery stapl", false}, {"", false}} {
		got, err := auth.CheckPassword(h, tc.pw)
		if err != nil || got != tc.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tc.pw, got, err, tc.want)
		}
	}
	if _, err := auth.CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("a non-argon2id hash was accepted")
	}
}

// TestPasswordCost: the test cost hashes at argon2id's least, which its
// hash says, and any cost's hash is checked by the same CheckPassword; the
// zero cost is HashPassword's.
func TestPasswordCost(t *testing.T) {
	for _, tc := range []struct {
		cost   auth.PasswordCost
		prefix string
	}{{auth.TestPasswordCost, "$argon2id$v=19$m=8,t=1,p=1$"}, {auth.PasswordCost{}, "$argon2id$v=19$m=19456,t=2,p=1$"}} {
		h, err := tc.cost.Hash("correct horse battery staple")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, tc.prefix) {
			t.Errorf("hash = %q, want the prefix %q", h, tc.prefix)
		}
		for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false} {
			if got, err := auth.CheckPassword(h, pw); err != nil || got != want {
				t.Errorf("CheckPassword(%q, %q) = %v, %v; want %v", h, pw, got, err, want)
			}
		}
	}
}

func TestLoginLimiter(t *testing.T) {
	l := auth.NewLoginLimiter(3, time.Minute)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// Successes give their attempt back: any number of them.
	for range 10 {
		release, _, ok := l.Take("mrossi", now)
		if !ok {
			t.Fatal("blocked after successful logins")
		}
		release(true)
	}
	for i := range 3 {
		release, _, ok := l.Take("mrossi", now)
		if !ok {
			t.Fatalf("blocked after %d failures, want 3 allowed", i)
		}
		release(false)
	}
	_, wait, ok := l.Take("mrossi", now)
	if ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("after 3 failures: ok = %v, wait = %v; want refused for up to a minute", ok, wait)
	}
	if _, _, ok := l.Take("someone-else", now); !ok {
		t.Fatal("another key is blocked")
	}
	if _, _, ok := l.Take("mrossi", now.Add(time.Minute)); !ok {
		t.Fatal("still blocked after the refill interval")
	}
}

// TestLoginLimiterConcurrent takes attempts from many goroutines at once:
// no more than the burst get through before any is released.
func TestLoginLimiterConcurrent(t *testing.T) {
	l := auth.NewLoginLimiter(5, time.Hour)
	now := time.Now()
	var mu sync.Mutex
	passed := 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if release, _, ok := l.Take("target", now); ok {
				mu.Lock()
				passed++
				mu.Unlock()
				release(false)
			}
		}()
	}
	wg.Wait()
	if passed != 5 {
		t.Fatalf("%d concurrent attempts got through, want 5", passed)
	}
}

// TestLoginLimiterMemoryIsBounded sprays failed attempts over more
// usernames than the limiter remembers: its memory stays bounded even when
// no limiter is idle (the old eviction only dropped full limiters, after a
// scan of every key under one lock), and the most recent keys keep their
// state.
func TestLoginLimiterMemoryIsBounded(t *testing.T) {
	l := auth.NewLoginLimiter(1, time.Hour)
	now := time.Now()
	const spray = 150_000
	for i := range spray {
		release, _, ok := l.Take(fmt.Sprintf("user%d", i), now)
		if !ok {
			t.Fatalf("attempt %d refused", i)
		}
		release(false)
	}
	if got := l.Len(); got > 100_000 {
		t.Errorf("the limiter remembers %d keys, want at most 100000", got)
	}
	if _, _, ok := l.Take(fmt.Sprintf("user%d", spray-1), now); ok {
		t.Errorf("the most recent key lost its state: a second failure within the hour was allowed")
	}
}
