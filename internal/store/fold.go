package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Fold returns s in lower case without accents, the form kept in the sort and
// search columns and applied to what people type in the search box.
func Fold(s string) string {
	// ASCII has no accents, ligatures nor curly apostrophes: lower case is
	// all there is to do, and most names, e-mails and cards are ASCII. Bulk
	// loads spent an eighth of their time in the general path.
	if isASCII(s) {
		return strings.ToLower(s)
	}
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("’", "'", "œ", "oe", "Œ", "oe", "æ", "ae", "Æ", "ae", "ß", "ss").Replace(out)
	return strings.ToLower(out)
}

// likeContains builds the LIKE pattern for "contains q", with q's own wildcards escaped.
func likeContains(q string) string {
	q = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
	return "%" + q + "%"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
