package sip2

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"testing/iotest"
	"time"
)

func TestVerifiedCache(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	const hash, newHash = "$argon2id$v=19$m=64,t=1,p=1$c2VsMQ$aGFzaDE", "$argon2id$v=19$m=64,t=1,p=1$c2VsMg$aGFzaDI"
	for _, tc := range []struct {
		name     string
		patron   int64
		password string
		hash     string
		at       time.Duration
		want     bool
	}{
		{"same password, same hash", 1, "bon-mot-de-passe", hash, time.Minute, true},
		{"wrong password", 1, "mauvais-mot-de-passe", hash, time.Minute, false},
		{"a prefix of the password", 1, "bon-mot-de-pass", hash, time.Minute, false},
		{"password changed: new stored hash", 1, "bon-mot-de-passe", newHash, time.Minute, false},
		{"another patron", 2, "bon-mot-de-passe", hash, time.Minute, false},
		{"no stored hash", 1, "bon-mot-de-passe", "", time.Minute, false},
		{"just before the TTL", 1, "bon-mot-de-passe", hash, DefaultVerifiedTTL - time.Second, true},
		{"at the TTL", 1, "bon-mot-de-passe", hash, DefaultVerifiedTTL, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := newVerifiedCache(rand.Reader, DefaultVerifiedTTL, 10)
			if err != nil {
				t.Fatal(err)
			}
			c.remember(1, "bon-mot-de-passe", hash, t0)
			if got := c.known(tc.patron, tc.password, tc.hash, t0.Add(tc.at)); got != tc.want {
				t.Errorf("known: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVerifiedCacheForgetAndBound(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c, err := newVerifiedCache(rand.Reader, time.Minute, 3)
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 5; id++ {
		c.remember(id, "pw", "h", t0)
	}
	if got := c.len(); got != 3 {
		t.Errorf("entries: got %d, want 3", got)
	}
	for id, want := range map[int64]bool{1: false, 2: false, 3: true, 4: true, 5: true} {
		if got := c.known(id, "pw", "h", t0); got != want {
			t.Errorf("patron %d known: got %v, want %v", id, got, want)
		}
	}
	c.forget(4)
	if c.known(4, "pw", "h", t0) {
		t.Error("patron 4 still known after forget")
	}
	var none *verifiedCache
	none.remember(1, "pw", "h", t0)
	if none.known(1, "pw", "h", t0) {
		t.Error("a nil cache knows a password")
	}
}

// Two processes draw two keys: a MAC of one means nothing to the other.
func TestVerifiedCacheKey(t *testing.T) {
	a, err := newVerifiedCache(bytes.NewReader(bytes.Repeat([]byte{1}, 32)), time.Minute, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newVerifiedCache(bytes.NewReader(bytes.Repeat([]byte{2}, 32)), time.Minute, 3)
	if err != nil {
		t.Fatal(err)
	}
	if a.mac(1, "pw", "h") == b.mac(1, "pw", "h") {
		t.Error("same MAC under two keys")
	}
	if _, err := newVerifiedCache(iotest.ErrReader(errors.New("no entropy")), time.Minute, 3); err == nil {
		t.Error("a cache without a key: got no error")
	}
}
