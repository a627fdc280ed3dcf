package sesame

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkText returns a French complaint about s, or "" when s is acceptable
// free text of at most max characters. Line breaks pass only when multiline.
func checkText(s string, max int, multiline bool) string {
	if !utf8.ValidString(s) {
		return "le texte contient des caractères invalides."
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("%d caractères au maximum (%d saisis).", max, n)
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "le texte contient des caractères de contrôle."
		}
	}
	return ""
}

// checkName accepts the names people have: letters of any script, spaces,
// apostrophes, hyphens and dots ("N'Guyen", "Le Goff-Kerjean", "St. John").
func checkName(s string) string {
	if s == "" {
		return "ce champ est obligatoire."
	}
	if msg := checkText(s, 100, false); msg != "" {
		return msg
	}
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.Is(unicode.Mn, r), r == ' ', r == '\'', r == '’', r == '-', r == '.':
		default:
			return fmt.Sprintf("le caractère « %c » n'est pas admis ; seuls les lettres, espaces, apostrophes, traits d'union et points le sont.", r)
		}
	}
	if letters == 0 {
		return "il faut au moins une lettre."
	}
	return ""
}

// CheckPostalCode returns a French complaint, or "" for a French postal code.
func CheckPostalCode(s string) string {
	if s == "" {
		return "Code postal : ce champ est obligatoire."
	}
	if len(s) != 5 || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "Code postal : il doit compter exactement 5 chiffres, par exemple 29000."
	}
	return ""
}

// CheckEmail returns a French complaint, or "" for a plausible e-mail address.
// Deliverability is proved by the confirmation link, not by a pattern.
func CheckEmail(s string) string {
	if s == "" {
		return "E-mail : ce champ est obligatoire."
	}
	if msg := checkText(s, MaxEmailLength, false); msg != "" {
		return "E-mail : " + msg
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := "", ""
	if at > 0 {
		local, domain = s[:at], s[at+1:]
	}
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(s, " <>,;:\"()[]\\") || strings.Count(s, "@") != 1 {
		return "E-mail : l'adresse doit être de la forme nom@exemple.fr."
	}
	// An address pasted from a document or a webmail brings no-break and
	// zero-width spaces along: unseen, they would make every mail bounce.
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
		return "E-mail : l'adresse contient une espace ou un caractère invisible ; tapez-la à nouveau."
	}
	return ""
}

// NormalizeEmail is the form e-mails are stored and compared in.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckRequiredText returns "Label : …" when s is empty or not acceptable
// single-line text of at most max characters.
func CheckRequiredText(label, s string, max int) string {
	if s == "" {
		return label + " : ce champ est obligatoire."
	}
	if msg := checkText(s, max, false); msg != "" {
		return label + " : " + msg
	}
	return ""
}

// CheckOptionalText is CheckRequiredText for a field that may be empty.
func CheckOptionalText(label, s string, max int, multiline bool) string {
	if msg := checkText(s, max, multiline); msg != "" {
		return label + " : " + msg
	}
	return ""
}
