package secret_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/bdf29/sesame/internal/secret"
)

func newBox(t testing.TB) *secret.Box {
	t.Helper()
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	b, err := secret.NewBox(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := newBox(t)
	sealed, err := b.Seal("clé-du-fournisseur", "connector:1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "clé") {
		t.Fatalf("sealed value shows the secret: %s", sealed)
	}
	again, _ := b.Seal("clé-du-fournisseur", "connector:1")
	if again == sealed {
		t.Error("two seals of one secret are equal: the nonce is not random")
	}
	tests := []struct {
		name, sealed, context string
		ok                    bool
	}{
		{"same context", sealed, "connector:1", true},
		{"other row", sealed, "connector:2", false},
		{"tampered", sealed[:len(sealed)-2] + "AA", "connector:1", false},
		{"unknown format", "clé", "connector:1", false},
		{"other key", mustSeal(t, newBox(t), "x"), "connector:1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Open(tt.sealed, tt.context)
			if tt.ok && (err != nil || got != "clé-du-fournisseur") {
				t.Errorf("Open = %q, %v", got, err)
			}
			if !tt.ok && err == nil {
				t.Errorf("Open succeeded: %q", got)
			}
		})
	}
}

func mustSeal(t testing.TB, b *secret.Box, plain string) string {
	s, err := b.Seal(plain, "connector:1")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNoKey(t *testing.T) {
	var b *secret.Box
	if _, err := b.Seal("x", "c"); !errors.Is(err, secret.ErrNoKey) {
		t.Errorf("Seal without key: %v", err)
	}
	if _, err := b.Open("v1:x", "c"); !errors.Is(err, secret.ErrNoKey) {
		t.Errorf("Open without key: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	key := make([]byte, secret.KeySize)
	rand.Read(key)
	for _, s := range []string{base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key), " " + base64.StdEncoding.EncodeToString(key) + "\n"} {
		got, err := secret.ParseKey(s)
		if err != nil || string(got) != string(key) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "short", base64.StdEncoding.EncodeToString(key[:16])} {
		if _, err := secret.ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
}
