package sigb

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// No reduced header may name two columns: the table would then depend on
// its order.
func TestHeaderNamesDistinct(t *testing.T) {
	seen := map[string]Column{}
	for _, h := range headerNames {
		for _, n := range h.names {
			k := headerKey(n)
			if k == "" {
				t.Errorf("%q reduces to nothing", n)
			}
			if c, ok := seen[k]; ok && c != h.col {
				t.Errorf("%q (%s) reduces to %q, already %s", n, h.col, k, c)
			}
			seen[k] = h.col
		}
	}
}

func TestHeaderKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"N° de carte", "ncarte"},
		{"Numéro de carte", "ncarte"},
		{"No carte", "ncarte"},
		{"nº_carte", "ncarte"},
		{"Date d'inscription", "dateinscription"},
		{"DATE_INSCRIPTION", "dateinscription"},
		{"Date d’expiration", "dateexpiration"},
		{"E-mail", "email"},
		{"  Prénom  ", "prenom"},
		{"\uFEFFcardnumber", "cardnumber"},
	}
	for _, tt := range tests {
		if got := headerKey(tt.in); got != tt.want {
			t.Errorf("headerKey(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIntegral(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2.9001000123E+12", "2900100012300"},
		{"29001000123", "29001000123"},
		{"1.5E+0", "1.5E+0"}, // not a whole number: left as written
		{"1E+20", "1E+20"},   // past what a double holds exactly
		{"ABE123", "ABE123"}, // a card that has an E in it
		{"E2E", "E2E"},
	}
	for _, tt := range tests {
		if got := integral(tt.in); got != tt.want {
			t.Errorf("integral(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDetectEncoding(t *testing.T) {
	tests := []struct {
		name   string
		prefix []byte
		atEOF  bool
		want   string
	}{
		{"ASCII", []byte("abc"), true, "utf-8"},
		{"UTF-8", []byte("Guéguen"), true, "utf-8"},
		{"UTF-8 cut by the peek", []byte("Gu\xc3"), false, "utf-8"},
		{"UTF-8 cut at the end of the file", []byte("Gu\xc3"), true, "windows-1252"},
		{"Windows-1252", []byte("Gu\xe9guen"), false, "windows-1252"},
	}
	for _, tt := range tests {
		if got := detectEncoding(tt.prefix, tt.atEOF); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFixUTF8(t *testing.T) {
	if got := fixUTF8("Gu\xe9guen C\x9cur"); got != "Guéguen Cœur" {
		t.Errorf("fixUTF8: got %q", got)
	}
}

// The package comment is what the user guide copies: every recognised header
// must be in it.
func TestHeaderNamesDocumented(t *testing.T) {
	src, err := os.ReadFile("sigb.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src[:bytes.Index(src, []byte("\npackage sigb"))])
	doc = strings.Join(strings.Fields(strings.ReplaceAll(doc, "//", " ")), " ")
	doc = regexp.MustCompile(`\(Col[A-Za-z]+\)`).ReplaceAllString(doc, "") // "(ColLastName)" holds "lastname"
	for _, h := range headerNames {
		for _, n := range h.names {
			if !strings.Contains(strings.ToLower(doc), n) {
				t.Errorf("header %q (%s) is not in the package comment", n, h.col)
			}
		}
	}
}
