package auth

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"
)

// phcWithKeyLen is the PHC string of password with a key of n bytes, as
// another system, or a corrupted row, could hold it.
func phcWithKeyLen(tb testing.TB, password string, n uint32) string {
	tb.Helper()
	p := DefaultParams
	salt := bytes.Repeat([]byte{7}, saltLen)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, n)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

func TestVerify(t *testing.T) {
	const password = "les goélands de Beg-Meil"
	h := Hasher{Params: DefaultParams, Random: bytes.NewReader(bytes.Repeat([]byte{1}, saltLen))}
	ours, err := h.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		password string
		phc      string
		want     bool
	}{
		{"our own hash", password, ours, true},
		{"another password", "les goélands de Beg-Mei", ours, false},
		{"the longest key accepted", password, phcWithKeyLen(t, password, maxKeyLen), true},
		// Refused before argon2 runs: the stored string alone would
		// otherwise decide how much it computes.
		{"a key longer than any of ours", password, phcWithKeyLen(t, password, maxKeyLen+1), false},
		{"not a PHC string", password, "motdepasse", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ok, _ := h.Verify(tc.password, tc.phc); ok != tc.want {
				t.Fatalf("Verify: got %v, want %v", ok, tc.want)
			}
		})
	}
}
