package auth_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/auth"
)

// memThrottles is an in-memory auth.ThrottleStore.
type memThrottles struct {
	failures map[string]int
	until    map[string]time.Time
}

func newMemThrottles() *memThrottles {
	return &memThrottles{failures: map[string]int{}, until: map[string]time.Time{}}
}

func (m *memThrottles) BlockedUntil(_ context.Context, key string) (time.Time, error) {
	return m.until[key], nil
}

func (m *memThrottles) RecordFailure(_ context.Context, key string, block func(int) time.Time) error {
	m.failures[key]++
	m.until[key] = block(m.failures[key])
	return nil
}

func (m *memThrottles) ClearThrottle(_ context.Context, key string) error {
	delete(m.failures, key)
	delete(m.until, key)
	return nil
}

// clock is a fake clock that tests move by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// cheap are argon2 costs low enough for tests; weaker ones make a hash
// that asks to be rehashed.
var (
	cheap  = auth.Params{Time: 2, Memory: 64, Threads: 1}
	weaker = auth.Params{Time: 1, Memory: 64, Threads: 1}
)

type fixture struct {
	a        auth.Authenticator
	store    *memThrottles
	clock    *clock
	hash     string // of password, at cheap costs
	weakHash string // of password, at weaker costs
}

const password = "les goélands de Beg-Meil"

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	salt := bytes.NewReader(bytes.Repeat([]byte{3}, 64))
	h := auth.Hasher{Params: cheap, Random: salt}
	hash, err := h.Hash(password)
	if err != nil {
		tb.Fatal(err)
	}
	weak, err := auth.Hasher{Params: weaker, Random: salt}.Hash(password)
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{store: newMemThrottles(), clock: &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}, hash: hash, weakHash: weak}
	f.a = auth.Authenticator{Hasher: h, Throttles: f.store, Now: f.clock.Now}
	return f
}

var (
	unknown = auth.Attempt{Account: auth.AccountKey("ada"), Address: "192.0.2.1"}
	known   = auth.Attempt{Account: auth.AccountKey("ada"), Device: auth.DeviceKey("nonce-du-navigateur"), Address: "192.0.2.1"}
)

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name       string
		typed      string
		weak       bool // the stored hash is weaker than the hasher's
		usable     bool
		wantOK     bool
		wantRehash bool
		wantFail   bool // a failure is counted
	}{
		{"right password", password, false, true, true, false, false},
		{"right password, weak hash", password, true, true, true, true, false},
		{"wrong password", "pas le bon mot de passe", false, true, false, false, true},
		{"unknown or disabled account", password, false, false, false, false, true},
		{"longer than the limit", password + string(bytes.Repeat([]byte{'x'}, auth.MaxPasswordLen)), false, true, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			hash := f.hash
			if tt.weak {
				hash = f.weakHash
			}
			ok, wait, rehash, err := f.a.CheckPassword(context.Background(), unknown, tt.typed, hash, tt.usable)
			if err != nil || wait != 0 || ok != tt.wantOK || rehash != tt.wantRehash {
				t.Fatalf("got ok=%v wait=%v rehash=%v err=%v, want ok=%v rehash=%v", ok, wait, rehash, err, tt.wantOK, tt.wantRehash)
			}
			for _, key := range []string{unknown.Account, auth.AddressKey(unknown.Address)} {
				if got := f.store.failures[key] == 1; got != tt.wantFail {
					t.Errorf("failure counted on %s: %v, want %v", key, got, tt.wantFail)
				}
			}
		})
	}
}

// TestThrottles follows an attack on one account: unknown clients are
// blocked after the free failures, the owner's browser with its device
// cookie is not, and a success clears only the throttles it went through.
func TestThrottles(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		failures  int // wrong passwords from unknown clients first
		advance   time.Duration
		at        auth.Attempt
		typed     string
		wantOK    bool
		wantWait  time.Duration
		wantClean []string // keys with no failures left afterwards
		wantKept  []string // keys whose failures remain afterwards
	}{
		{"free failures, then right", auth.FreeFailures - 1, 0, unknown, password, true, 0,
			[]string{unknown.Account, auth.AddressKey(unknown.Address)}, nil},
		{"blocked after the free failures", auth.FreeFailures, 0, unknown, password, false, auth.FirstDelay, nil,
			[]string{unknown.Account}},
		{"free again once the delay passed", auth.FreeFailures, auth.FirstDelay, unknown, password, true, 0,
			[]string{unknown.Account}, nil},
		{"the owner's device is not blocked", auth.FreeFailures + 3, 0, known, password, true, 0,
			[]string{known.Device}, []string{unknown.Account}},
		{"another address is still blocked by the account", auth.FreeFailures, 0,
			auth.Attempt{Account: unknown.Account, Address: "198.51.100.7"}, password, false, auth.FirstDelay, nil, []string{unknown.Account}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for range tt.failures {
				if ok, _, _, err := f.a.CheckPassword(ctx, unknown, "mauvais", f.hash, true); ok || err != nil {
					t.Fatalf("wrong password: ok=%v err=%v", ok, err)
				}
			}
			f.clock.now = f.clock.now.Add(tt.advance)
			ok, wait, _, err := f.a.VerifyPassword(ctx, tt.at, tt.typed, f.hash, true)
			if err != nil || ok != tt.wantOK || wait != tt.wantWait {
				t.Fatalf("got ok=%v wait=%v err=%v, want ok=%v wait=%v", ok, wait, err, tt.wantOK, tt.wantWait)
			}
			for _, k := range tt.wantClean {
				if n := f.store.failures[k]; n != 0 {
					t.Errorf("%s: %d failures left, want none", k, n)
				}
			}
			for _, k := range tt.wantKept {
				if n := f.store.failures[k]; n == 0 {
					t.Errorf("%s: failures cleared, want them kept", k)
				}
			}
		})
	}
}

func TestVerifyCode(t *testing.T) {
	ctx := context.Background()
	broken := errors.New("base indisponible")
	tests := []struct {
		name         string
		blocked      bool
		right        bool
		checkErr     error
		wantOK       bool
		wantWait     bool
		wantFailures int
		wantChecked  bool
	}{
		{"right code clears", false, true, nil, true, false, 0, true},
		{"wrong code counts", false, false, nil, false, false, 1, true},
		{"error counts nothing", false, false, broken, false, false, 0, true},
		{"blocked: the code is not even looked at", true, true, nil, false, true, auth.FreeFailures, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.blocked {
				for range auth.FreeFailures {
					if err := f.a.Fail(ctx, unknown); err != nil {
						t.Fatal(err)
					}
				}
			}
			checked := false
			ok, wait, err := f.a.VerifyCode(ctx, unknown, func(context.Context) (bool, error) {
				checked = true
				return tt.right, tt.checkErr
			})
			if ok != tt.wantOK || (wait > 0) != tt.wantWait || !errors.Is(err, tt.checkErr) || checked != tt.wantChecked {
				t.Fatalf("got ok=%v wait=%v err=%v checked=%v", ok, wait, err, checked)
			}
			if n := f.store.failures[unknown.Account]; n != tt.wantFailures {
				t.Errorf("failures: %d, want %d", n, tt.wantFailures)
			}
		})
	}
}

func TestDeviceCookie(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	nonce := strings.Repeat("n", 43) // as long as NewToken's
	good := auth.SignDeviceCookie(key, auth.AccountKey("ada"), nonce)
	tampered := []byte(good)
	tampered[len(nonce)+2] ^= 1 // still base64url, another signature
	tests := []struct {
		name    string
		key     []byte
		account string
		values  []string
		want    string
	}{
		{"its account", key, auth.AccountKey("ada"), []string{good}, auth.DeviceKey(nonce)},
		{"after a foreign value", key, auth.AccountKey("ada"), []string{"x", good}, auth.DeviceKey(nonce)},
		{"another account", key, auth.AccountKey("bob"), []string{good}, ""},
		{"another key", bytes.Repeat([]byte{8}, 32), auth.AccountKey("ada"), []string{good}, ""},
		{"tampered", key, auth.AccountKey("ada"), []string{string(tampered)}, ""},
		{"none", key, auth.AccountKey("ada"), nil, ""},
	}
	if len(good) != auth.DeviceCookieLen {
		t.Fatalf("cookie of %d bytes, want %d", len(good), auth.DeviceCookieLen)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.VerifyDeviceCookie(tt.key, tt.account, tt.values...); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
