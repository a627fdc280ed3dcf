package sesame

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The form validators, fuzzed. Each target states what a value accepted by
// the validator may be relied on for, and what a rejection tells the person
// who typed it: a non-empty French sentence naming the field. `go test` runs
// the seeds only; `go test -run X -fuzz FuzzCheckEmail -fuzztime 20s .`
// explores.

// checkRejection fails t unless msg is a message fit to show next to the
// field: non-empty, starting with the field's label, valid UTF-8 so that the
// page showing it is, and a sentence.
func checkRejection(t *testing.T, call, msg, label string) {
	t.Helper()
	switch {
	case !strings.HasPrefix(msg, label+" : ") || len(msg) == len(label+" : "):
		t.Fatalf("%s: got %q, want a message starting « %s : »", call, msg, label)
	case !utf8.ValidString(msg):
		t.Fatalf("%s: message %q is not valid UTF-8", call, msg)
	case !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, ".)"):
		t.Fatalf("%s: message %q is not a sentence", call, msg)
	}
}

// singleLine reports whether s is text a one-line field may hold: valid
// UTF-8 without control characters nor line separators.
func singleLine(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}) < 0
}

func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{
		"anne@example.fr", "Anne.Lefevre@Example.FR", " anne@example.fr ", "a@b.c", "",
		"anne", "@example.fr", "anne@", "anne@example", "anne@.fr", "anne@example.", "a@b@c.fr",
		"anne@example.fr\r\nBcc: x@evil.example", "anne\n@example.fr", "anne @example.fr", "<anne@example.fr>",
		"élodie@exemple.fr", "ANNE@EXAMPLE.FR", "İİİ@example.fr", "\u212a@example.fr", "a\u2028b@example.fr",
		"\xff@example.fr", strings.Repeat("a", 250) + "@b.fr", strings.Repeat("İ", 200) + "@example.fr",
		"\u200c@0.0", // found by the fuzzer: an invisible character was accepted
		"anne\u00a0@example.fr", "anne@example.fr\ufeff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msg := CheckEmail(s)
		if msg != "" {
			checkRejection(t, "CheckEmail("+strconv.Quote(s)+")", msg, "E-mail")
			return
		}
		// What a header and the SMTP envelope may carry.
		if !singleLine(s) || strings.ContainsAny(s, " <>,;:\"()[]\\") {
			t.Fatalf("CheckEmail(%q) accepted a line break, a control character or a separator", s)
		}
		// Nor a space or an invisible character, which no mail server takes
		// and no one sees when the address is pasted from elsewhere.
		if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }); i >= 0 {
			r, _ := utf8.DecodeRuneInString(s[i:])
			t.Fatalf("CheckEmail(%q) accepted the space or invisible character %U", s, r)
		}
		if n := utf8.RuneCountInString(s); n > 254 {
			t.Fatalf("CheckEmail(%q) accepted %d characters, want 254 at most", s, n)
		}
		local, domain, _ := strings.Cut(s, "@")
		if local == "" || domain == "" || strings.Contains(domain, "@") || !strings.Contains(domain, ".") {
			t.Fatalf("CheckEmail(%q) accepted an address without one @ between a name and a dotted domain", s)
		}
		// The registration stores the normalised form and mails it: it must
		// pass the same check, and be its own normal form.
		n := NormalizeEmail(s)
		if msg := CheckEmail(n); msg != "" {
			t.Fatalf("CheckEmail(%q) accepted it, but its normal form %q is refused: %s", s, n, msg)
		}
		if again := NormalizeEmail(n); again != n {
			t.Fatalf("NormalizeEmail is not idempotent: %q → %q → %q", s, n, again)
		}
	})
}

// TestCheckEmailInvisible covers what FuzzCheckEmail found: spaces other
// than ASCII's and invisible characters passed for part of an address.
func TestCheckEmailInvisible(t *testing.T) {
	tests := []struct{ name, in string }{
		{"zero-width non-joiner, found by the fuzzer", "\u200c@0.0"},
		{"no-break space", "anne\u00a0@example.fr"},
		{"zero-width space", "an\u200bne@example.fr"},
		{"byte order mark", "\ufeffanne@example.fr"},
		{"ideographic space", "anne@exa\u3000mple.fr"},
		{"left-to-right mark", "anne@example.fr\u200e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const want = "E-mail : l'adresse contient une espace ou un caractère invisible ; tapez-la à nouveau."
			if got := CheckEmail(tt.in); got != want {
				t.Errorf("CheckEmail(%q): got %q, want %q", tt.in, got, want)
			}
		})
	}
}

func FuzzCheckPostalCode(f *testing.F) {
	for _, s := range []string{"29000", "29170", "2900", "290000", "", " 29000", "2A004", "２９０００", "29 00", "-2900", "+2900", "\x0029000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msg := CheckPostalCode(s)
		if msg != "" {
			checkRejection(t, "CheckPostalCode("+strconv.Quote(s)+")", msg, "Code postal")
			return
		}
		if len(s) != 5 || strings.Trim(s, "0123456789") != "" {
			t.Fatalf("CheckPostalCode(%q) accepted something other than 5 ASCII digits", s)
		}
	})
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{
		"Le Goff-Kerjean", "N'Guyen", "N’Guyen", "St. John", "Maëlle", "Zoë", "李", "Ἀλέξανδρος", "e\u0301lodie",
		"", " ", "-", ".", "'", "Anne2", "Anne\nBcc", "Anne\u200b", "Anne\u2028", "\xffAnne", strings.Repeat("a", 101),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msg := checkName(s)
		if msg != "" {
			// Apply prefixes the field's label; the rest must be a sentence.
			checkRejection(t, "checkName("+strconv.Quote(s)+")", "Nom : "+msg, "Nom")
			return
		}
		if !singleLine(s) || utf8.RuneCountInString(s) > 100 {
			t.Fatalf("checkName(%q) accepted invalid text or more than 100 characters", s)
		}
		if strings.IndexFunc(s, unicode.IsLetter) < 0 {
			t.Fatalf("checkName(%q) accepted a name without a letter", s)
		}
		if strings.IndexFunc(s, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && !strings.ContainsRune(" '’-.", r)
		}) >= 0 {
			t.Fatalf("checkName(%q) accepted a character that is neither a letter nor a name's punctuation", s)
		}
	})
}

func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"Fouesnant", "", "Quimper\n", "a\tb", "a\r\nb", "\u2028", "\x00", "\xff", "é", strings.Repeat("é", 11)} {
		f.Add(s, 10, false)
		f.Add(s, 10, true)
	}
	f.Fuzz(func(t *testing.T, s string, max int, multiline bool) {
		if max < 0 || max > 1000 {
			return // the callers' limits are constants between 1 and 1000
		}
		label := "Ville"
		call := "CheckOptionalText(" + strconv.Quote(s) + ")"
		msg := CheckOptionalText(label, s, max, multiline)
		if !multiline {
			if req := CheckRequiredText(label, s, max); s == "" && req == "" {
				t.Fatalf("CheckRequiredText accepted an empty field")
			} else if s != "" && req != msg {
				t.Fatalf("CheckRequiredText(%q) = %q, CheckOptionalText = %q: want the same verdict on a filled field", s, req, msg)
			}
		}
		if msg != "" {
			checkRejection(t, call, msg, label)
			return
		}
		if n := utf8.RuneCountInString(s); n > max {
			t.Fatalf("%s accepted %d characters, want %d at most", call, n, max)
		}
		kept := s
		if multiline {
			kept = strings.NewReplacer("\n", "", "\r", "", "\t", "").Replace(s)
		}
		if !singleLine(kept) {
			t.Fatalf("%s (multiline %v) accepted a control character", call, multiline)
		}
	})
}

// FuzzPatronDetails fuzzes the identity part of the registration form and
// of the Informations tab, as Apply checks it.
func FuzzPatronDetails(f *testing.F) {
	f.Add("Le Bihan", "Maëlle", "14/07/1990", "29170", "Fouesnant", "FOU-004217")
	f.Add(" LE GOFF ", " Yann ", " 1990-07-14 ", " 29000 ", " Quimper ", "  ")
	f.Add("", "", "", "", "", "")
	f.Add("Anne2", "Anne\nBcc", "31/02/1990", "2900", "\u2028", strings.Repeat("x", 51))
	f.Add("Zoë", "李", "01/01/1900", "29000", "Brest", "")
	f.Add("Zoë", "Li", "31/12/1899", "29000", "Brest", "")
	f.Add("Zoë", "Li", "16/01/2026", "29000", "Brest", "")
	f.Add("Zoë", "Li", "15/01/2026", "29000", "Brest", "")
	f.Add("0", "0", "\xc6", "0", "0", "0") // found by the fuzzer: the date's message echoed bytes that are not UTF-8
	today := MustDate(2026, 1, 15)
	labels := map[string]string{
		FieldLastName: "Nom", FieldFirstName: "Prénom", FieldBirthDate: "Date de naissance",
		FieldPostalCode: "Code postal", FieldTown: "Ville", FieldCardNumber: "N° d'inscription",
	}
	f.Fuzz(func(t *testing.T, last, first, birth, postal, town, card string) {
		d := PatronDetails{LastName: last, FirstName: first, BirthDate: birth, PostalCode: postal, Town: town, CardNumber: card}
		before := Patron{ID: 7, LastName: "AVANT", Email: "avant@example.fr"}
		p := before
		err := d.Apply(&p, today)
		if err != nil {
			fe := FieldErrorsOf(err)
			if len(fe) == 0 {
				t.Fatalf("Apply(%+v): error %v carries no field errors", d, err)
			}
			for field, msg := range fe {
				label, ok := labels[field]
				if !ok {
					t.Fatalf("Apply(%+v): error for unknown field %q: %s", d, field, msg)
				}
				checkRejection(t, "Apply, "+field, msg, label)
			}
			if p != before {
				t.Fatalf("Apply(%+v) failed but changed the patron: %+v", d, p)
			}
			return
		}
		for _, v := range []string{p.LastName, p.FirstName, p.PostalCode, p.Town, p.CardNumber} {
			if v != strings.TrimSpace(v) || !singleLine(v) {
				t.Fatalf("Apply(%+v) kept %q: want trimmed one-line text", d, v)
			}
		}
		if p.Town == "" {
			t.Fatalf("Apply(%+v) accepted an empty town", d)
		}
		if p.BirthDate.Before(MustDate(1900, 1, 1)) || p.BirthDate.After(today) {
			t.Fatalf("Apply(%+v) accepted the birth date %v, want from 01/01/1900 to %v", d, p.BirthDate, today)
		}
		if msg := CheckPostalCode(p.PostalCode); msg != "" {
			t.Fatalf("Apply(%+v) kept the postal code %q that CheckPostalCode refuses: %s", d, p.PostalCode, msg)
		}
		// What was kept, shown again in the form and saved unchanged, is
		// accepted again and stays the same.
		again := Patron{ID: 8}
		if err := p.Details().Apply(&again, today); err != nil {
			t.Fatalf("Apply(%+v) kept %+v, which is refused when saved again: %v", d, p.Details(), err)
		}
		if again.Details() != p.Details() {
			t.Fatalf("saving %+v again changed it to %+v", p.Details(), again.Details())
		}
	})
}

func FuzzCheckLogin(f *testing.F) {
	for _, s := range []string{"fouesnant", "admin", "m.le-goff_2@bdf", "", " fouesnant", "Fouesnant", "fouesnänt", "a\nb", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msg := CheckLogin(s)
		if msg != "" {
			checkRejection(t, "CheckLogin("+strconv.Quote(s)+")", msg, "Identifiant")
			return
		}
		if len(s) > 64 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789.-_@") != "" {
			t.Fatalf("CheckLogin(%q) accepted something other than 64 lower-case ASCII letters, digits and .-_@ at most", s)
		}
		// An accepted login is already in the form it is stored and compared in.
		if n := NormalizeLogin(s); n != s {
			t.Fatalf("CheckLogin(%q) accepted it, but it is stored as %q", s, n)
		}
	})
}
