package sesame

import (
	"strings"
	"testing"
)

func TestPlausibleIdentifier(t *testing.T) {
	tests := []struct {
		name string
		s    string
		max  int
		want bool
	}{
		{"a login", "fouesnant", MaxLoginLength, true},
		{"the longest login", strings.Repeat("a", MaxLoginLength), MaxLoginLength, true},
		{"one character too many", strings.Repeat("a", MaxLoginLength+1), MaxLoginLength, false},
		{"an address with accents, counted in characters", strings.Repeat("é", MaxEmailLength-12) + "@example.org", MaxEmailLength, true},
		{"a megabyte", strings.Repeat("a", 1<<20), MaxEmailLength, false},
		{"empty", "", MaxLoginLength, false},
		{"a NUL byte", "admin\x00", MaxLoginLength, false},
		{"a line break", "admin\r\nx", MaxLoginLength, false},
		{"invalid UTF-8", "adm\xffin", MaxLoginLength, false},
	}
	for _, tt := range tests {
		if got := PlausibleIdentifier(tt.s, tt.max); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
