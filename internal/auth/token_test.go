package auth

import (
	"crypto/rand"
	"strings"
	"testing"
)

func TestWellFormedToken(t *testing.T) {
	token, err := NewToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, s string
		want    bool
	}{
		{"a token of NewToken", token, true},
		{"one character short", token[:TokenLength-1], false},
		{"one character more", token + "A", false},
		{"a character outside base64url", token[:TokenLength-1] + "+", false},
		{"padding", token[:TokenLength-1] + "=", false},
		{"a megabyte", strings.Repeat("A", 1<<20), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := WellFormedToken(tt.s); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
