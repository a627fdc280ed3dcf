package sip2

import (
	"container/list"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// A vendor asks about the same patrons again and again (each page a patron
// opens may be a 63 with the password), and each check is an argon2id
// verification: about 110 a second on two cores. The verified cache lets a
// password that was just verified for a patron be recognised without
// argon2id, for a few minutes:
//
//   - after a successful argon2id check, the cache keeps, for that patron,
//     an HMAC-SHA256 of (password, stored hash) under a key drawn at start
//     from the injected randomness, never written anywhere: neither the
//     password nor anything that can be tested offline without the key;
//   - a later lookup with the same password and the same stored hash gives
//     the same MAC, compared in constant time; any other password falls
//     through to argon2id and the throttles, as before;
//   - a new password (change, reset, rehash) changes the stored hash, which
//     is in the MAC's input: the entry no longer matches;
//   - failures are never cached, and a throttled account is refused before
//     the cache is asked (session.lookup);
//   - an entry lasts DefaultVerifiedTTL from its verification, not from its
//     last use, and the cache holds DefaultVerifiedSize patrons at most, the
//     least recently used leaving first.
const (
	DefaultVerifiedTTL  = 5 * time.Minute
	DefaultVerifiedSize = 10000
)

// verifiedCache is the cache above; safe for concurrent use. A nil
// *verifiedCache knows nothing and remembers nothing.
type verifiedCache struct {
	key  [32]byte
	ttl  time.Duration
	size int

	mu      sync.Mutex
	entries map[int64]*list.Element // patron id → element of lru
	lru     *list.List              // of *verifiedEntry, most recent first
}

type verifiedEntry struct {
	patronID int64
	mac      [sha256.Size]byte
	expires  time.Time
}

// newVerifiedCache draws its key from random.
func newVerifiedCache(random io.Reader, ttl time.Duration, size int) (*verifiedCache, error) {
	c := &verifiedCache{ttl: ttl, size: size, entries: map[int64]*list.Element{}, lru: list.New()}
	if _, err := io.ReadFull(random, c.key[:]); err != nil {
		return nil, fmt.Errorf("sip2 verified cache key: %w", err)
	}
	return c, nil
}

// mac binds the password to the patron and to the stored hash; the
// lengths keep the fields apart.
func (c *verifiedCache) mac(patronID int64, password, hash string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.key[:])
	var n [24]byte
	m.Write(append(strconv.AppendInt(n[:0], patronID, 10), 0)) // digits, then a byte no digit is
	m.Write(append(strconv.AppendInt(n[:0], int64(len(password)), 10), 0))
	m.Write([]byte(password))
	m.Write([]byte(hash))
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

// known reports whether password was verified for the patron, against
// this same stored hash, less than the TTL before now.
func (c *verifiedCache) known(patronID int64, password, hash string, now time.Time) bool {
	if c == nil || hash == "" {
		return false
	}
	want := c.mac(patronID, password, hash)
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[patronID]
	if !ok {
		return false
	}
	e := el.Value.(*verifiedEntry)
	if !now.Before(e.expires) {
		c.lru.Remove(el)
		delete(c.entries, patronID)
		return false
	}
	if !hmac.Equal(e.mac[:], want[:]) {
		return false
	}
	c.lru.MoveToFront(el)
	return true
}

// remember records that argon2id just verified password for the patron
// against hash.
func (c *verifiedCache) remember(patronID int64, password, hash string, now time.Time) {
	if c == nil || hash == "" {
		return
	}
	e := &verifiedEntry{patronID: patronID, mac: c.mac(patronID, password, hash), expires: now.Add(c.ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[patronID]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[patronID] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*verifiedEntry).patronID)
	}
}

// forget drops the patron's entry: a failed password for the patron ends
// what the cache knew, so that only argon2id answers until the next success.
func (c *verifiedCache) forget(patronID int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[patronID]; ok {
		c.lru.Remove(el)
		delete(c.entries, patronID)
	}
}

// len is the number of entries, expired ones included until they are met.
func (c *verifiedCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
