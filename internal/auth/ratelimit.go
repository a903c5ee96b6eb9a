package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LoginLimiter rate-limits failed logins per key (a username, a client
// address): a burst of failures is allowed, then one per interval. Only
// failures spend tokens, so a person who types the password right is never
// slowed down by the limiter.
type LoginLimiter struct {
	every time.Duration
	burst int

	mu   sync.Mutex
	keys map[string]*rate.Limiter
}

// maxLimiterKeys bounds the limiter's memory under a spray of usernames or
// addresses; full (idle) limiters are dropped first.
const maxLimiterKeys = 100000

// NewLoginLimiter allows burst failures per key, refilled one per every.
func NewLoginLimiter(burst int, every time.Duration) *LoginLimiter {
	return &LoginLimiter{every: every, burst: burst, keys: make(map[string]*rate.Limiter)}
}

// Blocked reports whether key has used up its failures, and for how long.
func (l *LoginLimiter) Blocked(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	lim, ok := l.keys[key]
	l.mu.Unlock()
	if !ok || lim.TokensAt(now) >= 1 {
		return 0, false
	}
	r := lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d, true
}

// Fail records a failed attempt for key.
func (l *LoginLimiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= maxLimiterKeys {
			for k, v := range l.keys {
				if v.TokensAt(now) >= float64(l.burst) {
					delete(l.keys, k)
				}
			}
		}
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.keys[key] = lim
	}
	lim.AllowN(now, 1)
}
