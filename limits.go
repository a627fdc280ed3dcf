package sesame

import (
	"unicode"
	"unicode/utf8"
)

// What anyone may send without an account ends up in rows, job payloads and
// throttle keys. These bounds, checked before anything is written, keep each
// anonymous request's trace small, so that a robot cannot fill the disk.
const (
	// MaxEmailLength is the longest e-mail address RFC 5321 lets through.
	MaxEmailLength = 254
	// MaxLoginLength is the longest staff login CheckLogin accepts.
	MaxLoginLength = 64

	// MaxOIDCStateLength and MaxOIDCNonceLength bound what a vendor asks
	// Sésame to send back: a random value, or a short signed one.
	MaxOIDCStateLength = 512
	MaxOIDCNonceLength = 512
	// MaxOIDCCodeChallengeLength is the longest PKCE value (RFC 7636 §4.1);
	// an S256 challenge has 43 characters.
	MaxOIDCCodeChallengeLength = 128
	// MaxOIDCScopeLength bounds the scope list as sent, space-separated.
	MaxOIDCScopeLength = 1024
	// MaxOIDCPromptValues bounds the prompt list: OpenID Connect defines four.
	MaxOIDCPromptValues = 4

	// MaxServiceURLLength bounds a CAS service URL, which a login ticket's
	// way back and a service ticket keep.
	MaxServiceURLLength = 2048
	// MaxRelayStateLength bounds a SAML RelayState: the bindings say 80
	// bytes, but mod_auth_mellon sends the whole address to return to.
	MaxRelayStateLength = 2048
	// MaxSAMLRequestIDLength bounds the ID of an AuthnRequest, kept to
	// refuse its replay.
	MaxSAMLRequestIDLength = 256
)

// PlausibleIdentifier reports whether s, a login or an e-mail typed at a
// login form, could name an account: not empty, at most max characters,
// valid UTF-8 without control characters. Anything else is a failed login at
// once, before it becomes a throttle key.
func PlausibleIdentifier(s string, max int) bool {
	if s == "" || len(s) > 4*max || !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
