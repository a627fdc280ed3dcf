package auth

import "time"

// Throttling: after FreeFailures failed logins, each further failure blocks
// the key for a delay that doubles from FirstDelay up to MaxDelay. There is no
// permanent lockout, so an attacker cannot shut an account for good.
const (
	FreeFailures = 5
	FirstDelay   = 30 * time.Second
	MaxDelay     = 15 * time.Minute
)

// BlockDelay is how long a key with that many failures is blocked.
func BlockDelay(failures int) time.Duration {
	if failures < FreeFailures {
		return 0
	}
	d := FirstDelay
	for i := FreeFailures; i < failures && d < MaxDelay; i++ {
		d *= 2
	}
	if d > MaxDelay {
		d = MaxDelay
	}
	return d
}

// AccountKey and AddressKey name the two throttles a login goes through.
func AccountKey(login string) string { return "compte:" + login }

// AddressKey is the throttle of a client address.
func AddressKey(addr string) string { return "adresse:" + addr }
