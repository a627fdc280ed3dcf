package demo

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/bdf29/sesame"
)

// testDay is the "today" of the tests, a day with nothing special about it.
func testDay() sesame.Date { return sesame.MustDate(2026, 3, 15) }

// applyName runs a name through the domain validator the way staff would
// save it, so that seeded data can never be data staff could not type.
func applyName(t *testing.T, last, first string, birth sesame.Date) {
	t.Helper()
	d := sesame.PatronDetails{
		LastName: last, FirstName: first, BirthDate: birth.String(),
		PostalCode: "29000", Town: "Quimper",
	}
	if err := d.Apply(&sesame.Patron{}, testDay()); err != nil {
		t.Errorf("Apply(%q, %q, %s): %v", last, first, birth, err)
	}
}

// codeOf derives a library code from its town, the rule Libraries follows.
func codeOf(town string) string {
	r := strings.NewReplacer(
		"é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "ç", "c",
		"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u",
		"É", "E", "'", "-", "’", "-", " ", "-",
	)
	return strings.ToUpper(r.Replace(town))
}

func TestLibraries(t *testing.T) {
	libs := Libraries()
	if n := len(libs); n < 35 || n > 45 {
		t.Fatalf("len(Libraries()) = %d, want 35 to 45", n)
	}
	codePattern := regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)*$`)
	byCode := map[string]LibrarySeed{}
	for _, l := range libs {
		if _, dup := byCode[l.Code]; dup {
			t.Errorf("code %s appears twice", l.Code)
		}
		byCode[l.Code] = l
		if !codePattern.MatchString(l.Code) {
			t.Errorf("code %q is not upper case without accents or spaces", l.Code)
		}
		if want := codeOf(l.Town); l.Code != want {
			t.Errorf("code %q for town %q, want %q", l.Code, l.Town, want)
		}
		if msg := sesame.CheckPostalCode(l.PostalCode); msg != "" {
			t.Errorf("%s: postal code %q: %s", l.Code, l.PostalCode, msg)
		}
		if !strings.HasPrefix(l.PostalCode, "29") {
			t.Errorf("%s: postal code %q is not in the Finistère", l.Code, l.PostalCode)
		}
		if msg := sesame.CheckRequiredText("Nom", l.Name, 200); msg != "" {
			t.Errorf("%s: %s", l.Code, msg)
		}
	}

	// The tutorial's libraries and a sample of towns whose codes are well known.
	tests := []struct{ code, town, postal string }{
		{"QUIMPER", "Quimper", "29000"},
		{"FOUESNANT", "Fouesnant", "29170"},
		{"BREST", "Brest", "29200"},
		{"MORLAIX", "Morlaix", "29600"},
		{"PONT-L-ABBE", "Pont-l'Abbé", "29120"},
		{"CARHAIX-PLOUGUER", "Carhaix-Plouguer", "29270"},
		{"LE-RELECQ-KERHUON", "Le Relecq-Kerhuon", "29480"},
	}
	for _, tt := range tests {
		l, ok := byCode[tt.code]
		switch {
		case !ok:
			t.Errorf("library %s is missing", tt.code)
		case l.Town != tt.town || l.PostalCode != tt.postal:
			t.Errorf("library %s in %s %s, want %s %s", tt.code, l.PostalCode, l.Town, tt.postal, tt.town)
		}
	}
	if got := byCode["FOUESNANT"].Name; got != "Médiathèque de Fouesnant" {
		t.Errorf("FOUESNANT is named %q, want %q", got, "Médiathèque de Fouesnant")
	}
}

func TestResources(t *testing.T) {
	want := []struct{ slug, name string }{
		{"livres-numeriques", "Livres numériques"},
		{"mediatheque-numerique", "Médiathèque Numérique"},
		{"pressreader", "PressReader"},
		{"tout-apprendre", "Tout apprendre"},
		{"brief-me", "Brief.me"},
		{"cinematheque-de-bretagne", "La Cinémathèque de Bretagne"},
		{"la-souris-qui-raconte", "La Souris qui Raconte"},
		{"philharmonie-de-paris", "Philharmonie de Paris"},
	}
	got := Resources()
	if len(got) != len(want) {
		t.Fatalf("len(Resources()) = %d, want %d", len(got), len(want))
	}
	for i, w := range want {
		r := got[i]
		if r.Slug != w.slug || r.Name != w.name {
			t.Errorf("Resources()[%d] = %q %q, want %q %q", i, r.Slug, r.Name, w.slug, w.name)
		}
		if !strings.HasPrefix(r.URL, "https://") {
			t.Errorf("%s: URL %q is not https", r.Slug, r.URL)
		}
		if n := utf8.RuneCountInString(r.Description); n < 40 || n > 300 {
			t.Errorf("%s: description of %d characters, want one or two sentences", r.Slug, n)
		}
		if r.ID != 0 || r.Disabled {
			t.Errorf("%s: ID %d, Disabled %v; seeds leave both to the store", r.Slug, r.ID, r.Disabled)
		}
	}
}

func TestLastNames(t *testing.T) {
	birth := sesame.MustDate(1980, 6, 1)
	seen := map[string]bool{}
	for _, list := range [][]string{bretonLastNames, frenchLastNames} {
		for _, n := range list {
			if seen[n] {
				t.Errorf("last name %q appears twice", n)
			}
			seen[n] = true
			if strings.ToUpper(n) != n {
				t.Errorf("last name %q is not in upper case", n)
			}
			applyName(t, n, "Yann", birth)
		}
	}
	if len(seen) < 120 {
		t.Errorf("%d last names, want at least 120", len(seen))
	}
	if len(bretonLastNames) < len(frenchLastNames) {
		t.Errorf("%d Breton last names for %d French ones, want a Breton majority", len(bretonLastNames), len(frenchLastNames))
	}
}

func TestFirstNames(t *testing.T) {
	tests := []struct {
		bornIn int
		names  []string
	}{
		{1940, firstNamesBefore1956},
		{1965, firstNames1956To1979},
		{1990, firstNames1980To1999},
		{2015, firstNamesSince2000},
	}
	all := map[string]bool{}
	for _, tt := range tests {
		if got := firstNamesBornIn(tt.bornIn); !slices.Equal(got, tt.names) {
			t.Errorf("firstNamesBornIn(%d) is not the list of its generation", tt.bornIn)
		}
		inList := map[string]bool{}
		for _, n := range tt.names {
			if inList[n] {
				t.Errorf("first name %q appears twice for %d", n, tt.bornIn)
			}
			inList[n], all[n] = true, true
			if first, _ := utf8.DecodeRuneInString(n); !unicode.IsUpper(first) || strings.ToUpper(n) == n {
				t.Errorf("first name %q is not in normal case", n)
			}
			applyName(t, "LE GOFF", n, sesame.MustDate(tt.bornIn, 6, 1))
		}
	}
	if len(all) < 100 {
		t.Errorf("%d first names, want at least 100", len(all))
	}
}

func ageOn(birth, day sesame.Date) int {
	age := day.Year - birth.Year
	if day.Month < birth.Month || day.Month == birth.Month && day.Day < birth.Day {
		age--
	}
	return age
}

func TestRandomPerson(t *testing.T) {
	tests := []struct {
		name  string
		today sesame.Date
	}{
		{"ordinary day", testDay()},
		{"leap day", sesame.MustDate(2024, 2, 29)},
		{"new year's eve", sesame.MustDate(2030, 12, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 29))
			const n = 1000
			adults, composed := 0, 0
			for range n {
				p := RandomPerson(rng, tt.today)
				d := sesame.PatronDetails{
					LastName: p.LastName, FirstName: p.FirstName, BirthDate: p.BirthDate.String(),
					PostalCode: "29000", Town: "Quimper",
				}
				if err := d.Apply(&sesame.Patron{}, tt.today); err != nil {
					t.Errorf("Apply(%+v): %v", p, err)
				}
				age := ageOn(p.BirthDate, tt.today)
				if age < 3 || age > 90 {
					t.Errorf("%+v is %d on %s, want 3 to 90", p, age, tt.today)
				}
				if age >= 25 && age <= 70 {
					adults++
				}
				if strings.Contains(p.LastName, "-") {
					composed++
				}
			}
			if adults < n/2 {
				t.Errorf("%d of %d aged 25 to 70, want most", adults, n)
			}
			if composed == 0 || composed > n/10 {
				t.Errorf("%d of %d double last names, want a few", composed, n)
			}
		})
	}
}

// TestRandomPersonAgeBounds checks the bounds of the age interval at the
// day, where an off-by-one would show: nobody 2 nor 91, but some 3 and 90.
func TestRandomPersonAgeBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 90))
	ages := map[int]bool{}
	for range 20000 {
		p := RandomPerson(rng, testDay())
		ages[ageOn(p.BirthDate, testDay())] = true
	}
	for _, age := range []int{3, 90} {
		if !ages[age] {
			t.Errorf("nobody aged %d in 20000 draws", age)
		}
	}
	for _, age := range []int{2, 91} {
		if ages[age] {
			t.Errorf("somebody aged %d", age)
		}
	}
}

func TestRandomPersonDeterministic(t *testing.T) {
	draw := func(seed1, seed2 uint64) []Person {
		rng := rand.New(rand.NewPCG(seed1, seed2))
		people := make([]Person, 50)
		for i := range people {
			people[i] = RandomPerson(rng, testDay())
		}
		return people
	}
	a, b, other := draw(1, 2), draw(1, 2), draw(2, 1)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("draw %d: %+v then %+v from the same seed", i, a[i], b[i])
		}
	}
	same := 0
	for i := range a {
		if a[i] == other[i] {
			same++
		}
	}
	if same == len(a) {
		t.Error("another seed gives the same people")
	}
}

// TestRandomCardsUniqueInLibrary: the benchmark puts 50,000 patrons in one
// library, and a card number is unique in its library (vendors know
// patrons by it): drawing 8 digits at random would repeat some a dozen
// times over.
func TestRandomCardsUniqueInLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 29))
	seen := map[string]int{}
	for i := 0; i < 50_000; i++ {
		np := randomPatron(rng, i, 1, []int64{1, 2}, testDay())
		card := np.Patron.CardNumber
		if card == "" {
			continue
		}
		if len(card) != 8 || strings.Trim(card, "0123456789") != "" {
			t.Fatalf("patron %d: card %q, want 8 digits", i, card)
		}
		if j, ok := seen[card]; ok {
			t.Fatalf("patrons %d and %d share card %s", j, i, card)
		}
		seen[card] = i
	}
	if len(seen) < 30_000 {
		t.Errorf("%d cards for 50,000 patrons, want about two thirds of them", len(seen))
	}
}
