package sesame

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKey is a key of the JSON API (/api/v1): one library's, for the nightly
// job of its library system. Its secret is shown once, when it is made;
// the store keeps only HashAPIKey of it.
type APIKey struct {
	ID          int64
	LibraryID   int64
	LibraryCode string
	LibraryName string
	Name        string
	Hint        string // the first characters of the secret, to tell keys apart
	CreatedAt   time.Time
	LastUsedAt  time.Time // zero: never used
	RevokedAt   time.Time // zero: still valid
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Actor is who acts through the key, in the audit trail: « API clé NOM ».
func (k APIKey) Actor() Actor {
	return Actor{Label: "API clé " + k.Name, Role: RoleLibrary, LibraryID: k.LibraryID}
}

// APIKeyPrefix starts every key, so that a key pasted in the wrong place
// (a log, a ticket, a repository) is recognised by people and by secret
// scanners.
const APIKeyPrefix = "ssm_"

// apiKeyBytes is the key's randomness: 256 bits.
const apiKeyBytes = 32

// apiKeyLength is the length of a key: the prefix and 32 bytes in unpadded base64url.
var apiKeyLength = len(APIKeyPrefix) + base64.RawURLEncoding.EncodedLen(apiKeyBytes)

// APIKeyHintLength is how many characters of a key stay readable on the list.
const APIKeyHintLength = len(APIKeyPrefix) + 6

// APIKeyTouchEvery is how often the last use of a key is written at most:
// a nightly job sending many calls costs one write a minute, not one a call.
const APIKeyTouchEvery = time.Minute

// NewAPIKeySecret draws a new key from random.
func NewAPIKeySecret(random io.Reader) (string, error) {
	b := make([]byte, apiKeyBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("api key: %w", err)
	}
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// WellFormedAPIKey reports whether s could be a key of NewAPIKeySecret: what
// is not goes no further than this check, never to the database.
func WellFormedAPIKey(s string) bool {
	rest, ok := strings.CutPrefix(s, APIKeyPrefix)
	if !ok || len(s) != apiKeyLength {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil && len(b) == apiKeyBytes
}

// HashAPIKey is what the database keeps of a key. A plain SHA-256 is enough,
// where a password needs argon2id: the key is 256 random bits, so no
// dictionary or brute force can invert its hash, and a fast hash lets each
// call find its key by an indexed lookup on the hash, which compares no
// secret byte by byte in Go (no timing to measure).
func HashAPIKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// APIKeyNameMax is the longest name of a key, in characters.
const APIKeyNameMax = 80

// CheckAPIKeyName returns why name cannot name a key, in French, or "".
func CheckAPIKeyName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "Indiquez le nom de la clé, par exemple « Koha nuit »."
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > APIKeyNameMax:
		return fmt.Sprintf("Le nom de la clé fait au plus %d caractères.", APIKeyNameMax)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "Le nom de la clé ne peut contenir que des caractères imprimables."
		}
	}
	return ""
}
