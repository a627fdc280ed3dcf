package demo_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/secret"
)

func TestKeyFile(t *testing.T) {
	for _, tt := range []struct{ db, want string }{
		{"sesame-demo.db", "sesame-demo.key"},
		{"/var/lib/sesame/essai.sqlite", "/var/lib/sesame/essai.key"},
		{"demo", "demo.key"},
		{"postgres://sesame@db.example/demo?sslmode=require", "sesame-demo.key"},
		{"postgresql://sesame@db.example/demo", "sesame-demo.key"},
	} {
		if got := demo.KeyFile(tt.db); got != tt.want {
			t.Errorf("KeyFile(%q) = %q, want %q", tt.db, got, tt.want)
		}
	}
}

// The demo's key is made once, readable by its owner only, in the form
// SESAME_SECRET_KEY takes, then read again as it is; a file that holds no
// key is refused rather than replaced.
func TestLoadKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sesame-demo.key")
	key, created, err := demo.LoadKey(path, rand.Reader)
	if err != nil || !created || len(key) != secret.KeySize {
		t.Fatalf("first load: %d bytes, created %v, %v; want a new %d-byte key", len(key), created, err, secret.KeySize)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	body, _ := os.ReadFile(path)
	if parsed, err := secret.ParseKey(string(body)); err != nil || !bytes.Equal(parsed, key) {
		t.Errorf("the file does not hold the key as SESAME_SECRET_KEY would: %v", err)
	}
	again, created, err := demo.LoadKey(path, rand.Reader)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Errorf("second load: created %v, %v, same key %v; want the first key read back", created, err, bytes.Equal(again, key))
	}
	if err := os.WriteFile(path, []byte("pas une clé\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := demo.LoadKey(path, rand.Reader); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a file without a key: error %v, want one naming %s", err, path)
	}
	if body, _ := os.ReadFile(path); string(body) != "pas une clé\n" {
		t.Errorf("a file without a key was overwritten: %q", body)
	}
}
