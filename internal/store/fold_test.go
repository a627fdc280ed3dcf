package store

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// fastRunes are the runes Fold folds one by one, whatever foldsByRune
// accepts today, so that widening it widens the tests too.
func fastRunes() []rune {
	var rs []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if foldsByRune(r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// sameAsGeneral fails tb when Fold and foldGeneral disagree on s, and says
// whether they agreed, so that loops can stop before flooding the log.
func sameAsGeneral(tb testing.TB, s string) bool {
	tb.Helper()
	if got, want := Fold(s), foldGeneral(s); got != want {
		tb.Errorf("Fold(%+q) = %+q, foldGeneral gives %+q", s, got, want)
		return false
	}
	return true
}

func TestFoldByRune(t *testing.T) {
	fast := fastRunes()
	// Beyond the fast ranges: Greek, Cyrillic, Hangul, ligatures, İ and
	// the signs whose decomposition is a Latin letter; they take the
	// general path, alone or next to an accented letter.
	beyond := []rune{'α', 'Ά', 'Ж', '가', 'İ', 'ﬁ', 'K', 'Å', 'ẞ', '‘', '\u00a0', '\ufffd', '中', '😀'}

	t.Run("every rune alone", func(t *testing.T) {
		failed := 0
		for r := rune(0); r <= 0x2fff; r++ {
			if !sameAsGeneral(t, string(r)) {
				if failed++; failed == 20 {
					t.Fatal("too many failures")
				}
			}
		}
		for _, r := range append(fast, beyond...) {
			sameAsGeneral(t, string(r))
		}
	})

	// Each pair in a string of its own would cost seconds of the general
	// path's set-up; one string per first rune holds the same neighbours
	// (r1 r2, r2 a, a r1), and only a failing one is taken apart.
	t.Run("every pair, and among ASCII", func(t *testing.T) {
		failed := 0
		for _, r1 := range fast {
			var b strings.Builder
			for _, r2 := range fast {
				b.WriteString(string(r1) + string(r2) + "a")
			}
			if s := b.String(); Fold(s) == foldGeneral(s) {
				continue
			}
			for _, r2 := range fast {
				if !sameAsGeneral(t, string(r1)+string(r2)+"a") {
					if failed++; failed == 20 {
						t.Fatal("too many failures")
					}
				}
			}
		}
	})

	t.Run("strings drawn at random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(29, 2026))
		ascii := []rune("aZe -'.@0")
		failed := 0
		for range 20000 {
			var b strings.Builder
			for range 1 + rng.IntN(12) {
				switch n := rng.IntN(100); {
				case n < 40:
					b.WriteRune(ascii[rng.IntN(len(ascii))])
				case n < 98:
					b.WriteRune(fast[rng.IntN(len(fast))])
				default:
					b.WriteRune(beyond[rng.IntN(len(beyond))])
				}
			}
			if !sameAsGeneral(t, b.String()) {
				if failed++; failed == 20 {
					t.Fatal("too many failures")
				}
			}
		}
	})

	for _, tt := range []struct {
		name, in, want string
	}{
		{"combining acute", "e\u0301", "e"},
		{"marks past the stream-safe limit", "e" + strings.Repeat("\u0301", 40) + "x", "ex"},
		{"marks in any order", "A\u0327\u0301\u0308b", "ab"},
		{"mark first", "\u0301Éric", "eric"},
		{"ligatures and apostrophe", "Lœuillet d’ŒSTRÆ Straße", "loeuillet d'oestrae strasse"},
		{"ligature under an accent", "Ǽ ǣ", "ae ae"},
		{"capital sharp s lowers after the replacer", "GROẞ", "groß"},
		{"lower case longer than upper", "Ⱥ", "ⱥ"},
		{"dotted capital I", "İzmir", "izmir"},
		{"Vietnamese", "Nguyễn Thị Ánh", "nguyen thi anh"},
		{"Romanian", "Ștefănescu", "stefanescu"},
		{"stroke is no accent", "Łódź Øre Đặng", "łodz øre đang"},
		{"beyond the ranges, whole", "Gwénaëlle ΆΛΦΑ", "gwenaelle αλφα"},
		{"Hangul after an accent", "É가", "e가"},
		{"invalid UTF-8", "é\xff", "e\ufffd"},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if sameAsGeneral(t, tt.in) {
				if got := Fold(tt.in); got != tt.want {
					t.Errorf("Fold(%+q) = %+q, want %+q", tt.in, got, tt.want)
				}
			}
		})
	}
}

func BenchmarkFold(b *testing.B) {
	names := []string{"Gwénaëlle Le Bihan", "Françoise Lœuillet", "Kérjean", "d’Aubigné"}
	for _, bb := range []struct {
		name string
		fold func(string) string
	}{
		{"fast", Fold},
		{"general", foldGeneral},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				bb.fold(names[i%len(names)])
			}
		})
	}
}
