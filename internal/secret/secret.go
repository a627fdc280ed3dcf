// Package secret encrypts vendor secrets at rest with the key given in
// SESAME_SECRET_KEY, so that a copy of the database alone opens no vendor.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// KeySize is the length of the key in bytes: AES-256.
const KeySize = 32

// prefix marks the format, so that another can follow without guessing.
const prefix = "v1:"

// ErrNoKey is returned by a Box made without a key: secrets cannot be kept.
var ErrNoKey = errors.New("SESAME_SECRET_KEY is not set: vendor secrets cannot be stored or read (generate one with: head -c 32 /dev/urandom | base64)")

// Box seals and opens secrets with AES-256-GCM. The zero Box has no key and
// refuses both, with ErrNoKey.
type Box struct {
	aead   cipher.AEAD
	random io.Reader
}

// ParseKey reads a key written in base64 (standard or URL alphabet) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, decode := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if key, err := decode(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("SESAME_SECRET_KEY: want %d random bytes in base64 or hex (generate one with: head -c 32 /dev/urandom | base64)", KeySize)
}

// NewBox returns a Box sealing with key; random gives the nonces.
func NewBox(key []byte, random io.Reader) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key: want %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Box{aead: aead, random: random}, nil
}

// Seal encrypts plain, bound to context (such as "connector:12") so that a
// sealed value moved to another row does not open there.
func (b *Box) Seal(plain, context string) (string, error) {
	if b == nil || b.aead == nil {
		return "", ErrNoKey
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := io.ReadFull(b.random, nonce); err != nil {
		return "", fmt.Errorf("secret nonce: %w", err)
	}
	sealed := b.aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return prefix + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// Open decrypts what Seal made with the same context.
func (b *Box) Open(sealed, context string) (string, error) {
	if b == nil || b.aead == nil {
		return "", ErrNoKey
	}
	body, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", errors.New("secret: unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("secret: damaged value")
	}
	plain, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], []byte(context))
	if err != nil {
		return "", errors.New("secret: cannot be opened with this SESAME_SECRET_KEY (was the key changed?)")
	}
	return string(plain), nil
}
