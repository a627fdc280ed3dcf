package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// NewToken returns a random token of 256 bits, URL-safe, for a cookie or a link.
func NewToken(random io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenLength is the length of a token of NewToken.
const TokenLength = 43

// WellFormedToken reports whether s could be a token of NewToken: a link's
// token is checked so before it is looked up, so that what a robot puts in
// a URL goes no further.
func WellFormedToken(s string) bool {
	if len(s) != TokenLength {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// HashToken is what the database keeps of a token, so that a leaked table
// opens no session.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// GeneratePassword returns a random password of 20 characters that people can
// read aloud: no 0/O, 1/l/I.
func GeneratePassword(random io.Reader) (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}
