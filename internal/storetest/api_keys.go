package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
)

// testAPIKeys: a key is shown once, found by its secret only while active
// and only within its library, its last use written at most once a minute.
func testAPIKeys(t *testing.T, open Opener) {
	f := newFixture(t, open)
	ctx := context.Background()
	start := f.now

	key, secret, err := f.st.CreateAPIKey(ctx, f.libA, "  Koha nuit ", rand.Reader, sys)
	if err != nil {
		t.Fatal(err)
	}
	if !sesame.WellFormedAPIKey(secret) || !strings.HasPrefix(secret, sesame.APIKeyPrefix) {
		t.Fatalf("secret %q: not a well-formed key", secret)
	}
	if key.Name != "Koha nuit" || key.LibraryCode != "FOUESNANT" || key.Hint != secret[:sesame.APIKeyHintLength] || key.Revoked() || !key.LastUsedAt.IsZero() {
		t.Errorf("created key: got %+v", key)
	}

	// The same name twice in a library is refused; in another library, or
	// once the first is revoked, it is free.
	if _, _, err := f.st.CreateAPIKey(ctx, f.libA, "Koha nuit", rand.Reader, sys); sesame.ErrorCode(err) != sesame.EInvalid {
		t.Errorf("same name again: got %v, want invalid", err)
	}
	other, otherSecret, err := f.st.CreateAPIKey(ctx, f.libB, "Koha nuit", rand.Reader, sys)
	if err != nil {
		t.Fatalf("same name in another library: %v", err)
	}
	for _, bad := range []struct {
		name string
		lib  int64
	}{{"", f.libA}, {strings.Repeat("x", sesame.APIKeyNameMax+1), f.libA}, {"tab\there", f.libA}, {"ok", 0}, {"ok", 999999}} {
		if _, _, err := f.st.CreateAPIKey(ctx, bad.lib, bad.name, rand.Reader, sys); sesame.ErrorCode(err) != sesame.EInvalid {
			t.Errorf("name %q, library %d: got %v, want invalid", bad.name, bad.lib, err)
		}
	}

	// Nothing of the secret is stored but its hash and hint: the same
	// randomness gives the same secret, and only that secret finds the key.
	found, err := f.st.APIKeyBySecret(ctx, secret)
	if err != nil || found.ID != key.ID || found.LibraryID != f.libA {
		t.Fatalf("by secret: got %+v, %v; want key %d", found, err, key.ID)
	}
	if !found.LastUsedAt.Equal(start.UTC().Truncate(time.Microsecond)) {
		t.Errorf("last use: got %v, want %v", found.LastUsedAt, start)
	}
	f.now = start.Add(30 * time.Second)
	if k, _ := f.st.APIKey(ctx, key.ID); !k.LastUsedAt.Equal(start.UTC().Truncate(time.Microsecond)) {
		t.Errorf("read back: last use %v, want %v", k.LastUsedAt, start)
	}
	if _, err := f.st.APIKeyBySecret(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if k, _ := f.st.APIKey(ctx, key.ID); !k.LastUsedAt.Equal(start.UTC().Truncate(time.Microsecond)) {
		t.Errorf("used again within the minute: last use %v, want still %v", k.LastUsedAt, start)
	}
	f.now = start.Add(2 * time.Minute)
	if _, err := f.st.APIKeyBySecret(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if k, _ := f.st.APIKey(ctx, key.ID); !k.LastUsedAt.Equal(f.now.UTC().Truncate(time.Microsecond)) {
		t.Errorf("used after a minute: last use %v, want %v", k.LastUsedAt, f.now)
	}

	for _, bad := range []string{"", "ssm_", secret + "x", strings.ToUpper(secret), "ssm_" + strings.Repeat("A", 43), secret[:len(secret)-1] + "!"} {
		if _, err := f.st.APIKeyBySecret(ctx, bad); sesame.ErrorCode(err) != sesame.ENotFound {
			t.Errorf("secret %q: got %v, want not found", bad, err)
		}
	}

	// Drawn from fixed randomness, the key is the one expected.
	fixed, fixedSecret, err := f.st.CreateAPIKey(ctx, f.libA, "fixe", bytes.NewReader(make([]byte, 32)), sys)
	if err != nil {
		t.Fatal(err)
	}
	if want := sesame.APIKeyPrefix + strings.Repeat("A", 43); fixedSecret != want || fixed.Hint != want[:sesame.APIKeyHintLength] {
		t.Errorf("key from zero bytes: got %q, want %q", fixedSecret, want)
	}

	revoked, err := f.st.RevokeAPIKey(ctx, key.ID, sys)
	if err != nil || !revoked.Revoked() {
		t.Fatalf("revoke: got %+v, %v", revoked, err)
	}
	if _, err := f.st.APIKeyBySecret(ctx, secret); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("revoked key: got %v, want not found", err)
	}
	if again, err := f.st.RevokeAPIKey(ctx, key.ID, sys); err != nil || !again.RevokedAt.Equal(revoked.RevokedAt) {
		t.Errorf("revoke again: got %+v, %v; want unchanged", again, err)
	}
	if _, err := f.st.RevokeAPIKey(ctx, 999999, sys); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("revoke an unknown key: got %v, want not found", err)
	}
	if _, _, err := f.st.CreateAPIKey(ctx, f.libA, "Koha nuit", rand.Reader, sys); err != nil {
		t.Errorf("the name of a revoked key, again: %v", err)
	}
	if k, err := f.st.APIKeyBySecret(ctx, otherSecret); err != nil || k.ID != other.ID {
		t.Errorf("the other library's key: got %+v, %v", k, err)
	}

	// A disabled library's keys open nothing.
	lib, err := f.st.Library(ctx, f.libB)
	if err != nil {
		t.Fatal(err)
	}
	lib.Disabled = true
	if err := f.st.UpdateLibrary(ctx, *lib, sys); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.APIKeyBySecret(ctx, otherSecret); sesame.ErrorCode(err) != sesame.ENotFound {
		t.Errorf("key of a disabled library: got %v, want not found", err)
	}

	keys, err := f.st.APIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 || keys[len(keys)-1].ID != key.ID {
		t.Errorf("list: got %d keys (%+v), want 4 with the revoked one last", len(keys), keys)
	}
}
