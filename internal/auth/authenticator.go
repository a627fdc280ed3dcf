package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// ThrottleStore keeps the failure counts of throttle keys. RecordFailure
// counts one more failure of key and blocks it until block(failures).
type ThrottleStore interface {
	BlockedUntil(ctx context.Context, key string) (time.Time, error)
	RecordFailure(ctx context.Context, key string, block func(failures int) time.Time) error
	ClearThrottle(ctx context.Context, key string) error
}

// Authenticator is the one login check of staff and patrons alike: a
// password, a second factor's code or a recovery code all go through the
// same throttles, count their failures there, and clear them on success.
type Authenticator struct {
	Hasher    Hasher
	Throttles ThrottleStore
	Now       func() time.Time
}

// Attempt is who tries to log in, as the throttles see it.
type Attempt struct {
	// Account is the account's throttle key (AccountKey).
	Account string
	// Device is the throttle key of a valid device cookie the client shows
	// for Account (see DeviceCookies.Verify), "" when it shows none.
	Device string
	// Address is the client's address, without its port.
	Address string
}

// throttle is one throttle an attempt goes through: its key, and how long
// it blocks after so many failures.
type throttle struct {
	key   string
	delay func(failures int) time.Duration
}

// throttles are those of an attempt. A browser showing a device cookie for
// the account goes through that cookie's throttle alone: its own failures,
// never those of others, so that nobody can lock the owner out by failing
// on purpose. Any other client goes through the account's throttle, shared
// by all unknown clients, and its address's, whose free count is high
// enough for a public Wi-Fi.
func (at Attempt) throttles() []throttle {
	if at.Device != "" {
		return []throttle{{at.Device, BlockDelay}}
	}
	return []throttle{{at.Account, BlockDelay}, {AddressKey(at.Address), AddressBlockDelay}}
}

// Throttled is how long a throttle of the attempt still blocks, 0 when none does.
func (a Authenticator) Throttled(ctx context.Context, at Attempt) (time.Duration, error) {
	now := a.Now()
	for _, t := range at.throttles() {
		until, err := a.Throttles.BlockedUntil(ctx, t.key)
		if err != nil {
			return 0, fmt.Errorf("throttle: %w", err)
		}
		if wait := until.Sub(now); wait > 0 {
			return wait, nil
		}
	}
	return 0, nil
}

// Fail counts a failed attempt, a wrong password or a wrong code, on each
// throttle of the attempt.
func (a Authenticator) Fail(ctx context.Context, at Attempt) error {
	now := a.Now()
	for _, t := range at.throttles() {
		if err := a.Throttles.RecordFailure(ctx, t.key, func(n int) time.Time { return now.Add(t.delay(n)) }); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
	}
	return nil
}

// Clear forgets the failures of the attempt's throttles, once it succeeded.
// From a known browser, that is its device cookie's alone: the owner's daily
// login must not hand an attacker five fresh guesses on the account. From
// an unknown client, the account's and the address's, as the one who got in
// knows the password anyway.
func (a Authenticator) Clear(ctx context.Context, at Attempt) error {
	for _, t := range at.throttles() {
		if err := a.Throttles.ClearThrottle(ctx, t.key); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
	}
	return nil
}

// CheckPassword checks password against hash under the attempt's throttles,
// without clearing them on success: for an account with a second factor, a
// right password followed by wrong codes must still add up. usable is false
// when there is no such account, or it is disabled: the password is then
// checked against a dummy hash all the same, so that the answer takes as
// long and says nothing of which accounts exist. wait is set when a
// throttle blocks; rehash when the hash should be replaced now that the
// password is known.
func (a Authenticator) CheckPassword(ctx context.Context, at Attempt, password, hash string, usable bool) (ok bool, wait time.Duration, rehash bool, err error) {
	if wait, err := a.Throttled(ctx, at); wait > 0 || err != nil {
		return false, wait, false, err
	}
	if len(password) > MaxPasswordLen {
		password = password[:MaxPasswordLen]
	}
	if !usable || hash == "" {
		hash = a.Hasher.DummyHash()
	}
	ok, rehash = a.Hasher.Verify(password, hash)
	if !ok || !usable {
		return false, 0, false, a.Fail(ctx, at)
	}
	return true, 0, rehash, nil
}

// VerifyPassword is CheckPassword that clears the throttles on success.
func (a Authenticator) VerifyPassword(ctx context.Context, at Attempt, password, hash string, usable bool) (ok bool, wait time.Duration, rehash bool, err error) {
	ok, wait, rehash, err = a.CheckPassword(ctx, at, password, hash, usable)
	if ok {
		err = a.Clear(ctx, at)
	}
	return ok && err == nil, wait, rehash, err
}

// VerifyCode checks a second factor's code or a recovery code under the
// attempt's throttles: check, called only when no throttle blocks, says
// whether the code is right (and spends it); a wrong code counts as a
// failed login, a right one clears the throttles.
func (a Authenticator) VerifyCode(ctx context.Context, at Attempt, check func(ctx context.Context) (bool, error)) (ok bool, wait time.Duration, err error) {
	if wait, err := a.Throttled(ctx, at); wait > 0 || err != nil {
		return false, wait, err
	}
	ok, err = check(ctx)
	if err != nil {
		return false, 0, err
	}
	if !ok {
		return false, 0, a.Fail(ctx, at)
	}
	return true, 0, a.Clear(ctx, at)
}

// Device cookies, after OWASP's « Slow Down Online Guessing Attacks with
// Device Cookies »: a browser where an account logged in keeps a signed
// value bound to that account. The value holds no login: the signature
// binds it, so a value for another account, or a forged one, is simply
// not recognised.

// DeviceCookieLen is the length of a device cookie: a 256-bit nonce and an
// HMAC-SHA256, both in unpadded base64url, joined by a dot.
var DeviceCookieLen = 2*base64.RawURLEncoding.EncodedLen(sha256.Size) + 1

// deviceMAC signs nonce for the throttle key of one account.
func deviceMAC(key []byte, accountKey, nonce string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("appareil|" + accountKey + "|" + nonce))
	return m.Sum(nil)
}

// SignDeviceCookie returns the value of a device cookie for accountKey,
// signed with key, from a fresh nonce (NewToken).
func SignDeviceCookie(key []byte, accountKey, nonce string) string {
	return nonce + "." + base64.RawURLEncoding.EncodeToString(deviceMAC(key, accountKey, nonce))
}

// VerifyDeviceCookie returns the throttle key (DeviceKey) of the first of
// values that is a device cookie signed with key for accountKey, or "".
func VerifyDeviceCookie(key []byte, accountKey string, values ...string) string {
	for _, v := range values {
		if len(v) != DeviceCookieLen {
			continue
		}
		nonce, sig, _ := strings.Cut(v, ".")
		mac, err := base64.RawURLEncoding.Strict().DecodeString(sig)
		if err == nil && hmac.Equal(mac, deviceMAC(key, accountKey, nonce)) {
			return DeviceKey(nonce)
		}
	}
	return ""
}
