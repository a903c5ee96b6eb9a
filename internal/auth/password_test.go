package auth_test

import (
	"strings"
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

func TestLoginLimiter(t *testing.T) {
	l := auth.NewLoginLimiter(3, time.Minute)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if _, blocked := l.Blocked("mrossi", now); blocked {
			t.Fatalf("blocked after %d failures, want 3 allowed", i)
		}
		l.Fail("mrossi", now)
	}
	wait, blocked := l.Blocked("mrossi", now)
	if !blocked || wait <= 0 || wait > time.Minute {
		t.Fatalf("after 3 failures: blocked = %v, wait = %v; want blocked up to a minute", blocked, wait)
	}
	if _, blocked := l.Blocked("someone-else", now); blocked {
		t.Fatal("another key is blocked")
	}
	if _, blocked := l.Blocked("mrossi", now.Add(time.Minute)); blocked {
		t.Fatal("still blocked after the refill interval")
	}
}
