// Package auth holds what proves who someone is: password hashes, session
// tokens, login throttling and the permissions routes declare.
package auth

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs. The floor is OWASP's and ANSSI's: t=2, m=19 MiB, p=1.
type Params struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultParams is what new hashes use.
var DefaultParams = Params{Time: 2, Memory: 19 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// maxKeyLen bounds the key length a stored hash may ask for: argon2
	// computes as many bytes as it is told, and no key of ours is longer.
	maxKeyLen = 64
)

// Hasher hashes passwords with argon2id, salting from Random.
type Hasher struct {
	Params Params
	Random io.Reader
	// Slots, when set (NewSlots), bounds how many hashes run at once, for
	// every copy of the Hasher. Each hash holds Params.Memory (19 MiB) for
	// its whole run: more hashes than cores at once only share the cores
	// and thrash the caches, each taking longer, and a flood of logins
	// would take memory without bound. Past the bound, a hash waits.
	Slots chan struct{}
}

// NewSlots makes the Slots of a Hasher that runs at most n hashes at once.
func NewSlots(n int) chan struct{} { return make(chan struct{}, max(n, 1)) }

// key is argon2id's key, within the Hasher's slots.
func (h Hasher) key(password, salt []byte, p Params, n uint32) []byte {
	if h.Slots != nil {
		h.Slots <- struct{}{}
		defer func() { <-h.Slots }()
	}
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, n)
}

// Hash returns the PHC string of password: $argon2id$v=19$m=…,t=…,p=…$salt$key.
func (h Hasher) Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(h.Random, salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	p := h.Params
	key := h.key([]byte(password), salt, p, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string, and whether the
// hash is weaker than h's parameters and should be replaced now that the
// password is known.
func (h Hasher) Verify(password, phc string) (ok, rehash bool) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, false
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Threads == 0 || p.Time == 0 {
		return false, false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	n := len(want)
	if err1 != nil || err2 != nil || n == 0 || n > maxKeyLen {
		return false, false
	}
	got := h.key([]byte(password), salt, p, uint32(n))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false
	}
	weaker := p.Time < h.Params.Time || p.Memory < h.Params.Memory || p.Threads < h.Params.Threads
	return true, weaker
}

// DummyHash is verified against when a login names nobody, so that a missing
// account takes as long to refuse as a wrong password.
func (h Hasher) DummyHash() string {
	enc := base64.RawStdEncoding
	p := h.Params
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(make([]byte, saltLen)), enc.EncodeToString(make([]byte, keyLen)))
}

// MinPasswordLen is the shortest password accepted, with no composition rules.
const MinPasswordLen = 12

// MaxPasswordLen bounds the work one login can ask of argon2.
const MaxPasswordLen = 256

// commonPasswords are refused whatever their length; the list holds those
// of 12 characters or more that lead the public breach lists.
var commonPasswords = map[string]bool{
	"123456789012": true, "1234567890123": true, "12345678901234": true, "motdepasse123": true,
	"azertyuiop123": true, "azertyuiopqsdf": true, "qwertyuiop123": true, "password1234": true,
	"passwordpassword": true, "motdepassemotdepasse": true, "000000000000": true, "111111111111": true,
	"abcdefghijkl": true, "qwertyuiopasdfgh": true, "iloveyou1234": true, "bibliotheque": true,
	"bibliotheque29": true, "bibliotheque123": true, "sesamesesame": true, "finistere29000": true,
	"azertyazerty": true, "soleil123456": true, "marseille1313": true, "123456789abc": true,
}

// CheckPassword returns a French complaint, or "" for an acceptable password.
// context holds words the password must not be (the login, the e-mail…).
func CheckPassword(pw string, context ...string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return "Mot de passe : il contient des caractères invalides."
	case n < MinPasswordLen:
		return fmt.Sprintf("Mot de passe : %d caractères au minimum (%d saisis). Une phrase de quelques mots est plus facile à retenir.", MinPasswordLen, n)
	case len(pw) > MaxPasswordLen:
		return fmt.Sprintf("Mot de passe : %d octets au maximum.", MaxPasswordLen)
	case commonPasswords[strings.ToLower(pw)]:
		return "Mot de passe : il fait partie des mots de passe les plus courants ; choisissez-en un autre."
	}
	for _, c := range context {
		if c != "" && strings.EqualFold(strings.TrimSpace(c), pw) {
			return "Mot de passe : il ne doit pas reprendre votre identifiant ou votre adresse e-mail."
		}
	}
	return ""
}
