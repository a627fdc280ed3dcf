package store

import (
	"strings"
	"unicode"
	"unicode/utf8"

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
	// The accented names left (Gwénaëlle, Françoise, d’Aubigné) still cost
	// a tenth of a bulk load in the general path, which builds its transform
	// chain and replacer on every call. In the Latin ranges no rune interacts
	// with its neighbours once the marks are gone (nothing for NFC to
	// recompose), so they fold one by one: BenchmarkFold measured 0.13 µs
	// and one allocation, the result, per name, against 20 µs and 27
	// allocations (11 kB). A string with anything else takes the general
	// path whole; TestFoldByRune holds the two to the same output.
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !foldsByRune(r) {
			return foldGeneral(s)
		}
		// The table's decomposition is the full one NFD would give, read
		// in place: no buffer, no transformer.
		if d := norm.NFD.PropertiesString(s[i:]).Decomposition(); d != nil {
			for _, c := range string(d) {
				foldRune(&b, c)
			}
		} else {
			foldRune(&b, r)
		}
		i += size
	}
	return b.String()
}

// foldsByRune reports whether Fold may fold r on its own and get what
// foldGeneral would: TestFoldByRune tries every rune it accepts, alone,
// in pairs and among ASCII.
func foldsByRune(r rune) bool {
	switch {
	case 0x80 <= r && r <= 0x24f: // Latin-1 Supplement, Latin Extended-A and -B
		return true
	case 0x300 <= r && r <= 0x36f: // combining diacritical marks
		return true
	case 0x1e00 <= r && r <= 0x1eff: // Latin Extended Additional (Vietnamese names)
		return true
	case r == '’':
		return true
	}
	return false
}

// foldRune writes r as foldGeneral leaves it once decomposed: marks
// dropped, then the replacements, then lower case, in that order, since
// ẞ lowers to a ß the replacer has already passed.
func foldRune(b *strings.Builder, r rune) {
	switch r {
	case '’':
		b.WriteByte('\'')
	case 'œ', 'Œ':
		b.WriteString("oe")
	case 'æ', 'Æ':
		b.WriteString("ae")
	case 'ß':
		b.WriteString("ss")
	default:
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
}

// foldGeneral is Fold for any text: decomposition, marks removed,
// recomposition, then ligatures and apostrophes by replacement.
func foldGeneral(s string) string {
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
