package api

import (
	"testing"
	"time"
)

func TestLimiterRefillsAndStaysBounded(t *testing.T) {
	now := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
	l := newLimiter(60, func() time.Time { return now })
	for i := range 60 {
		if ok, _ := l.allow(1); !ok {
			t.Fatalf("call %d of a burst of 60 refused", i+1)
		}
	}
	ok, wait := l.allow(1)
	if ok || wait != time.Second {
		t.Fatalf("61st call: got %v, wait %v; want refused, 1s", ok, wait)
	}
	if ok, _ := l.allow(2); !ok {
		t.Errorf("another key was slowed")
	}
	now = now.Add(time.Second)
	if ok, _ := l.allow(1); !ok {
		t.Errorf("a second later: refused, want one more call")
	}
	if ok, _ := l.allow(1); ok {
		t.Errorf("a second later, two calls: want the second refused")
	}
	now = now.Add(time.Hour)
	for i := range 60 {
		if ok, _ := l.allow(1); !ok {
			t.Fatalf("an hour later, call %d refused: the bucket holds 60 at most, and refills", i+1)
		}
	}
	if ok, _ := l.allow(1); ok {
		t.Errorf("an hour idle gave more than 60 calls")
	}

	// However many keys call, the buckets kept stay under maxBuckets.
	for id := int64(100); id < 100+2*maxBuckets; id++ {
		l.allow(id)
	}
	if n := l.size(); n > maxBuckets {
		t.Errorf("buckets: got %d, want at most %d", n, maxBuckets)
	}
}

// size is the number of buckets kept.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
