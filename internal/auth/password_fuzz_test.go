package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckPassword fuzzes the password policy of the registration and
// reset forms: 12 characters or more, no composition rule, the common
// passwords and the person's own login or e-mail refused. `go test` runs the
// seeds; `go test -run X -fuzz FuzzCheckPassword -fuzztime 20s ./internal/auth`
// explores.
func FuzzCheckPassword(f *testing.F) {
	for _, seed := range []struct{ pw, login string }{
		{"les goélands de Beg-Meil", "anne@example.fr"},
		{"court", ""},
		{"douze carac.", ""},                   // 12 characters
		{"éééééééééééé", ""},                   // 12 characters, 24 bytes
		{"BIBLIOTHEQUE", ""},                   // common, whatever the case
		{"anne@example.fr", "anne@example.fr"}, // the login itself
		{"Anne@Example.FR", " anne@example.fr "},
		{strings.Repeat("a", 256), ""},
		{strings.Repeat("a", 257), ""},
		{strings.Repeat("é", 129), ""}, // 129 characters, 258 bytes
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", ""},
		{"            ", ""}, // twelve spaces
		{"", ""},
	} {
		f.Add(seed.pw, seed.login)
	}
	f.Fuzz(func(t *testing.T, pw, login string) {
		msg := CheckPassword(pw, login)
		if msg != "" {
			if !strings.HasPrefix(msg, "Mot de passe : ") || len(msg) == len("Mot de passe : ") || !utf8.ValidString(msg) || !strings.HasSuffix(msg, ".") {
				t.Fatalf("CheckPassword(%q, %q): got %q, want a French sentence starting « Mot de passe : »", pw, login, msg)
			}
			return
		}
		n := utf8.RuneCountInString(pw)
		switch {
		case !utf8.ValidString(pw):
			t.Fatalf("CheckPassword(%q) accepted bytes that are not UTF-8", pw)
		case n < MinPasswordLen:
			t.Fatalf("CheckPassword(%q) accepted %d characters, want %d at least", pw, n, MinPasswordLen)
		case len(pw) > MaxPasswordLen:
			t.Fatalf("CheckPassword(%q) accepted %d bytes, want %d at most", pw, len(pw), MaxPasswordLen)
		case commonPasswords[strings.ToLower(pw)]:
			t.Fatalf("CheckPassword(%q) accepted a common password", pw)
		case login != "" && strings.EqualFold(strings.TrimSpace(login), pw):
			t.Fatalf("CheckPassword(%q, %q) accepted the login as the password", pw, login)
		}
		// The verdict does not hang on other words of the context.
		if again := CheckPassword(pw, login, "", "autre@example.fr"); again != "" && !strings.EqualFold("autre@example.fr", pw) {
			t.Fatalf("CheckPassword(%q) accepted with one context, refused with more: %s", pw, again)
		}
	})
}
