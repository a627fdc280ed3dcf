package auth

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

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

// TestSlotsBoundHashes checks that a Hasher whose slots are all taken
// waits for one, both to hash and to verify, and goes on once one is free.
func TestSlotsBoundHashes(t *testing.T) {
	cheap := Params{Time: 1, Memory: 64, Threads: 1}
	free := Hasher{Params: cheap, Random: bytes.NewReader(bytes.Repeat([]byte{1}, 64))}
	phc, err := free.Hash("un mot de passe assez long")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		run  func(h Hasher) bool
	}{
		{"hash", func(h Hasher) bool { _, err := h.Hash("un autre mot de passe"); return err == nil }},
		{"verify", func(h Hasher) bool { ok, _ := h.Verify("un mot de passe assez long", phc); return ok }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := Hasher{Params: cheap, Random: bytes.NewReader(bytes.Repeat([]byte{2}, 64)), Slots: NewSlots(1)}
			h.Slots <- struct{}{} // another hash holds the only slot
			done := make(chan bool)
			go func() { done <- tt.run(h) }()
			select {
			case <-done:
				t.Fatal("ran while every slot was taken")
			case <-time.After(50 * time.Millisecond):
			}
			<-h.Slots
			if ok := <-done; !ok {
				t.Fatal("failed once a slot was free")
			}
			if len(h.Slots) != 0 {
				t.Errorf("%d slots still held after the run", len(h.Slots))
			}
		})
	}
}
