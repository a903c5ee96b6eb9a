package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LoginLimiter rate-limits failed logins per key (a username, a client
// address): a burst of failures is allowed, then one per interval. Only
// failures keep their token, so a person who types the password right is
// never slowed down by the limiter.
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

// Take spends one attempt of key before a password is checked, atomically,
// so concurrent guesses cannot all slip past the limit. When key has no
// attempt left it returns how long to wait and ok false. Otherwise the
// caller must call release(true) on success, which gives the attempt back
// (only failures count), or release(false) on failure.
func (l *LoginLimiter) Take(key string, now time.Time) (release func(success bool), wait time.Duration, ok bool) {
	l.mu.Lock()
	lim, found := l.keys[key]
	if !found {
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
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return nil, d, false
	}
	return func(success bool) {
		if success {
			r.CancelAt(now)
		}
	}, 0, true
}
