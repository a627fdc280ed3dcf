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

// FreeAddressFailures is the free count of a client address, much higher
// than an account's: a library's public Wi-Fi puts many people behind one
// address, and one of them must not lock the others out.
const FreeAddressFailures = 100

// BlockDelay is how long a key with that many failures is blocked.
func BlockDelay(failures int) time.Duration { return blockDelay(FreeFailures, failures) }

// AddressBlockDelay is BlockDelay for the throttle of a client address.
func AddressBlockDelay(failures int) time.Duration { return blockDelay(FreeAddressFailures, failures) }

func blockDelay(free, failures int) time.Duration {
	if failures < free {
		return 0
	}
	d := FirstDelay
	for i := free; i < failures && d < MaxDelay; i++ {
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

// DeviceKey is the throttle of one device cookie, named by its nonce's
// hash: the failures of the browser that holds it, and of nobody else.
func DeviceKey(nonce string) string { return "appareil:" + HashToken(nonce) }
