package auth

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// LoginLimiter rate-limits failed logins per key (a username, a client
// address): a burst of failures is allowed, then one per interval. Only
// failures keep their token, so a person who types the password right is
// never slowed down by the limiter.
//
// Its memory is bounded: it remembers the maxLimiterKeys most recently used
// keys and forgets the least recently used one to make room, in constant
// time (a spray of usernames never makes a login scan the others). A key
// forgotten this way starts again with a full burst: reaching it costs an
// attacker maxLimiterKeys attempts, each also spent from the per-address
// limit.
type LoginLimiter struct {
	every time.Duration
	burst int
	keys  *lru.Cache[string, *rate.Limiter]
}

// maxLimiterKeys bounds the limiter's memory under a spray of usernames or
// addresses.
const maxLimiterKeys = 100000

// NewLoginLimiter allows burst failures per key, refilled one per every.
func NewLoginLimiter(burst int, every time.Duration) *LoginLimiter {
	keys, err := lru.New[string, *rate.Limiter](maxLimiterKeys)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return &LoginLimiter{every: every, burst: burst, keys: keys}
}

// Len is the number of keys the limiter remembers.
func (l *LoginLimiter) Len() int { return l.keys.Len() }

// Take spends one attempt of key before a password is checked, atomically,
// so concurrent guesses cannot all slip past the limit. When key has no
// attempt left it returns how long to wait and ok false. Otherwise the
// caller must call release(true) on success, which gives the attempt back
// (only failures count), or release(false) on failure.
func (l *LoginLimiter) Take(key string, now time.Time) (release func(success bool), wait time.Duration, ok bool) {
	lim, found := l.keys.Get(key)
	if !found {
		// Two first attempts may race here: PeekOrAdd keeps one limiter.
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		if prev, ok, _ := l.keys.PeekOrAdd(key, lim); ok {
			lim = prev
		}
	}
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
