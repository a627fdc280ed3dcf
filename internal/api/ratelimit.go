package api

import (
	"math"
	"sync"
	"time"
)

// Rate limits of the API, per key. A nightly job sends a few calls (one
// POST of the whole file, a few pages of patrons); 60 a minute with bursts
// of 60 leaves it room and stops a runaway loop. The buckets are kept per
// instance: behind several instances a key may get that much from each.
const (
	DefaultRatePerMinute = 60
	// maxBuckets bounds the limiter's memory whatever the traffic: keys are
	// made by the admin only, so a real network has a handful.
	maxBuckets = 10_000
)

// limiter is a token bucket per key id.
type limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	perMin  int
	buckets map[int64]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	if perMinute <= 0 {
		perMinute = DefaultRatePerMinute
	}
	return &limiter{now: now, perMin: perMinute, buckets: map[int64]*bucket{}}
}

// allow takes a token of key's bucket. When there is none, it returns how
// long until there is one, for Retry-After.
func (l *limiter) allow(key int64) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	capacity, rate := float64(l.perMin), float64(l.perMin)/60 // tokens a second
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.evict(now)
		}
		b = &bucket{tokens: capacity, at: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = math.Min(capacity, b.tokens+elapsed*rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1-b.tokens)/rate)) * time.Second
	return false, wait
}

// evict drops the buckets that have refilled, which forget nothing, and if
// that is not enough, others down to nine tenths of maxBuckets, so that the
// sweep is paid once per many new keys: the map never outgrows maxBuckets.
func (l *limiter) evict(now time.Time) {
	for id, b := range l.buckets {
		if now.Sub(b.at) >= time.Minute {
			delete(l.buckets, id)
		}
	}
	for id := range l.buckets {
		if len(l.buckets) < maxBuckets*9/10 {
			break
		}
		delete(l.buckets, id)
	}
}
