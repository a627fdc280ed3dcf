package sesame

import (
	"errors"
	"strings"
	"testing"
)

// assertComplaint fails t unless a checker's complaint is "" when ok, and
// otherwise contains want.
func assertComplaint(t testing.TB, call, got string, ok bool, want string) {
	t.Helper()
	switch {
	case ok && got != "":
		t.Errorf("%s: got %q, want no complaint", call, got)
	case !ok && got == "":
		t.Errorf("%s: got no complaint, want one containing %q", call, want)
	case !ok && !strings.Contains(got, want):
		t.Errorf("%s: got %q, want it to contain %q", call, got, want)
	}
}

func TestCheckEmail(t *testing.T) {
	local64 := strings.Repeat("a", 64)
	tests := []struct {
		name string
		in   string
		ok   bool
		want string // a piece of the complaint
	}{
		{"ordinary", "contact.bdf@finistere.fr", true, ""},
		{"plus tag", "eric+syren@example.fr", true, ""},
		{"subdomain", "eric@mail.example.co.uk", true, ""},
		{"upper case, normalized later", "Eric@Example.FR", true, ""},
		{"accented local part", "éric@exemple.fr", true, ""},
		{"hyphen and digits", "jean-pierre.2@bib-29.fr", true, ""},
		{"254 characters", local64 + "@" + strings.Repeat("b", 186) + ".fr", true, ""},
		{"empty", "", false, "obligatoire"},
		{"no at sign", "eric.example.fr", false, "nom@exemple.fr"},
		{"no local part", "@example.fr", false, "nom@exemple.fr"},
		{"no domain", "eric@", false, "nom@exemple.fr"},
		{"domain without dot", "eric@localhost", false, "nom@exemple.fr"},
		{"domain starting with a dot", "eric@.example.fr", false, "nom@exemple.fr"},
		{"domain ending with a dot", "eric@example.fr.", false, "nom@exemple.fr"},
		{"two at signs", "eric@bib@example.fr", false, "nom@exemple.fr"},
		{"space inside", "eric dupont@example.fr", false, "nom@exemple.fr"},
		{"surrounding space, trim first", " eric@example.fr", false, "nom@exemple.fr"},
		{"display name", "Eric <eric@example.fr>", false, "nom@exemple.fr"},
		{"two addresses", "a@example.fr,b@example.fr", false, "nom@exemple.fr"},
		{"semicolon", "a@example.fr;", false, "nom@exemple.fr"},
		{"quoted local part", "\"eric\"@example.fr", false, "nom@exemple.fr"},
		{"line break", "eric@example.fr\nBcc: x@y.fr", false, "contrôle"},
		{"NUL character", "eric\x00@example.fr", false, "contrôle"},
		{"invalid UTF-8", "eric\xff@example.fr", false, "invalides"},
		{"255 characters", local64 + "@" + strings.Repeat("b", 187) + ".fr", false, "254 caractères"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckEmail(tt.in)
			assertComplaint(t, "CheckEmail("+tt.in+")", got, tt.ok, tt.want)
			if !tt.ok && !strings.HasPrefix(got, "E-mail : ") {
				t.Errorf("CheckEmail(%q): got %q, want it to start with %q", tt.in, got, "E-mail : ")
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got, want := NormalizeEmail("  Eric.Dupont@Example.FR \n"), "eric.dupont@example.fr"; got != want {
		t.Errorf("NormalizeEmail: got %q, want %q", got, want)
	}
	if got := CheckEmail(NormalizeEmail(" Eric@Example.FR ")); got != "" {
		t.Errorf("CheckEmail(NormalizeEmail(...)): got %q, want no complaint", got)
	}
}

func TestCheckLogin(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		want string
	}{
		{"library code", "fouesnant", true, ""},
		{"with digits", "bib29", true, ""},
		{"with dot, hyphen, underscore", "quimper.centre-ville_2", true, ""},
		{"e-mail as login", "admin@finistere.fr", true, ""},
		{"one character", "a", true, ""},
		{"64 characters", strings.Repeat("a", 64), true, ""},
		{"empty", "", false, "obligatoire"},
		{"65 characters", strings.Repeat("a", 65), false, "64 caractères"},
		{"upper case, normalized later", "Fouesnant", false, "minuscules"},
		{"accent", "brélès", false, "sans accent"},
		{"space", "quimper centre", false, "minuscules"},
		{"surrounding space, trim first", " quimper", false, "minuscules"},
		{"apostrophe", "l'hopital", false, "minuscules"},
		{"slash", "a/b", false, "minuscules"},
		{"NUL character", "admin\x00", false, "minuscules"},
		{"invalid UTF-8", "admin\xff", false, "minuscules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckLogin(tt.in)
			assertComplaint(t, "CheckLogin("+tt.in+")", got, tt.ok, tt.want)
			if !tt.ok && !strings.HasPrefix(got, "Identifiant : ") {
				t.Errorf("CheckLogin(%q): got %q, want it to start with %q", tt.in, got, "Identifiant : ")
			}
		})
	}
}

func TestNormalizeLogin(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"lower case", "Fouesnant", "fouesnant"},
		{"trimmed", "  quimper\t", "quimper"},
		{"already normal", "bib29", "bib29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormalizeLogin(tt.in)
			if got != tt.want {
				t.Fatalf("NormalizeLogin(%q): got %q, want %q", tt.in, got, tt.want)
			}
			if msg := CheckLogin(got); msg != "" {
				t.Errorf("CheckLogin(%q): got %q, want no complaint", got, msg)
			}
		})
	}
}

func TestCheckPostalCode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		want string
	}{
		{"Quimper", "29000", true, ""},
		{"leading zero", "01000", true, ""},
		{"Corsica", "20000", true, ""},
		{"empty", "", false, "obligatoire"},
		{"four digits", "2900", false, "5 chiffres"},
		{"six digits", "290000", false, "5 chiffres"},
		{"letters", "2A004", false, "5 chiffres"},
		{"space", "29 00", false, "5 chiffres"},
		{"full-width digits", "２９０００", false, "5 chiffres"},
		{"Arabic-Indic digits", "٢٩٠٠٠", false, "5 chiffres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertComplaint(t, "CheckPostalCode("+tt.in+")", CheckPostalCode(tt.in), tt.ok, tt.want)
		})
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		want string
	}{
		{"apostrophe", "N'Guyen", true, ""},
		{"typographic apostrophe", "N’Guyen", true, ""},
		{"space and hyphen", "Le Goff-Kerjean", true, ""},
		{"grave accent", "Lefèvre", true, ""},
		{"acute accent and space", "Ana María", true, ""},
		{"combining accent", "Mari\u0301a", true, ""},
		{"dot", "St. John", true, ""},
		{"Cyrillic", "Алексей", true, ""},
		{"single letter", "Ô", true, ""},
		{"100 characters", strings.Repeat("a", 100), true, ""},
		{"empty", "", false, "obligatoire"},
		{"digits only", "2024", false, "« 2 » n'est pas admis"},
		{"no letter", "-- ..", false, "au moins une lettre"},
		{"lone combining mark", "\u0301", false, "au moins une lettre"},
		{"underscore", "jean_pierre", false, "« _ »"},
		{"at sign", "eric@bib", false, "« @ »"},
		{"tab", "Jean\tPierre", false, "contrôle"},
		{"line break", "Jean\nPierre", false, "contrôle"},
		{"NUL", "Jean\x00", false, "contrôle"},
		{"DEL", "Jean\x7f", false, "contrôle"},
		{"paragraph separator", "Jean\u2029Pierre", false, "contrôle"},
		{"invalid UTF-8", "Jean\xc3", false, "invalides"},
		{"101 characters", strings.Repeat("é", 101), false, "100 caractères au maximum (101 saisis)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertComplaint(t, "checkName("+tt.in+")", checkName(tt.in), tt.ok, tt.want)
		})
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		max       int
		multiline bool
		ok        bool
		want      string
	}{
		{"empty", "", 10, false, true, ""},
		{"exactly max runes", "ééééé", 5, false, true, ""},
		{"one rune too many", "éééééé", 5, false, false, "5 caractères au maximum (6 saisis)"},
		{"line break in multiline text", "a\nb\r\nc\td", 10, true, true, ""},
		{"line break in single-line text", "a\nb", 10, false, false, "contrôle"},
		{"carriage return in single-line text", "a\rb", 10, false, false, "contrôle"},
		{"tab in single-line text", "a\tb", 10, false, false, "contrôle"},
		{"NUL in multiline text", "a\x00b", 10, true, false, "contrôle"},
		{"escape in multiline text", "a\x1bb", 10, true, false, "contrôle"},
		{"C1 control", "a\u0085b", 10, true, false, "contrôle"},
		{"line separator in multiline text", "a\u2028b", 10, true, false, "contrôle"},
		{"invalid UTF-8", "a\xffb", 10, true, false, "invalides"},
		{"emoji", "Merci 📚", 10, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertComplaint(t, "checkText("+tt.in+")", checkText(tt.in, tt.max, tt.multiline), tt.ok, tt.want)
		})
	}
}

func TestCheckRequiredAndOptionalText(t *testing.T) {
	tests := []struct {
		name     string
		required bool
		in       string
		ok       bool
		want     string
	}{
		{"required, filled", true, "Fouesnant", true, ""},
		{"required, empty", true, "", false, "Nom : ce champ est obligatoire."},
		{"required, too long", true, strings.Repeat("x", 21), false, "Nom : 20 caractères au maximum"},
		{"required, control character", true, "a\x00", false, "Nom : le texte contient des caractères de contrôle."},
		{"optional, empty", false, "", true, ""},
		{"optional, multiline", false, "ligne 1\nligne 2", true, ""},
		{"optional, too long", false, strings.Repeat("x", 21), false, "Nom : 20 caractères au maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if tt.required {
				got = CheckRequiredText("Nom", tt.in, 20)
			} else {
				got = CheckOptionalText("Nom", tt.in, 20, true)
			}
			assertComplaint(t, "check("+tt.in+")", got, tt.ok, tt.want)
		})
	}
}

func TestFieldErrors(t *testing.T) {
	errs := FieldErrors{}
	if err := errs.Err(); err != nil {
		t.Fatalf("Err() with no field: got %v, want nil", err)
	}
	errs.Add(FieldLastName, "Nom : premier.")
	errs.Add(FieldLastName, "Nom : second.")
	errs.Add(FieldEmail, "E-mail : invalide.")
	err := errs.Err()
	assertCode(t, err, EInvalid)
	fields := FieldErrorsOf(err)
	if got, want := fields[FieldLastName], "Nom : premier."; got != want {
		t.Errorf("first message kept: got %q, want %q", got, want)
	}
	if got, want := ErrorMessage(err), "Le formulaire contient des erreurs : E-mail : invalide. Nom : premier."; got != want {
		t.Errorf("summary: got %q, want %q", got, want)
	}
}

func TestErrorHelpers(t *testing.T) {
	domain := Errorf(EForbidden, "Interdit : %s.", "non")
	tests := []struct {
		name        string
		err         error
		wantCode    string
		wantMessage string
		wantFields  bool
	}{
		{"nil", nil, "", "Erreur interne", false},
		{"domain error", domain, EForbidden, "Interdit : non.", false},
		{"wrapped domain error", errors.Join(errors.New("ctx"), domain), EForbidden, "Interdit : non.", false},
		{"foreign error", errors.New("disk full"), EInternal, "Erreur interne", false},
		{"field errors", FieldErrors{FieldTown: "Ville : x."}.Err(), EInvalid, "Ville : x.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode: got %q, want %q", got, tt.wantCode)
			}
			if got := ErrorMessage(tt.err); !strings.Contains(got, tt.wantMessage) {
				t.Errorf("ErrorMessage: got %q, want it to contain %q", got, tt.wantMessage)
			}
			if got := FieldErrorsOf(tt.err) != nil; got != tt.wantFields {
				t.Errorf("FieldErrorsOf not nil: got %v, want %v", got, tt.wantFields)
			}
		})
	}
}
