// Package demo holds the data a demonstration deployment is seeded with: the
// member libraries of a Finistère network, the eight resources of the
// tutorial, and patrons who look like the people who use them.
//
// Everything here is generated from literals, noms.txt, or a caller's random source,
// so that a seed gives the same demo every time.
package demo

import (
	_ "embed"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/bdf29/sesame"
)

// LibrarySeed is a member library of the demo network.
type LibrarySeed struct{ Code, Name, Town, PostalCode string }

// Libraries returns the member libraries of the demo network, in real towns
// of the Finistère with their real postal codes, so that staff trying the demo
// recognise the places. Proper names are given only to médiathèques known to
// bear one; the others keep the generic name, which is never wrong.
func Libraries() []LibrarySeed {
	return []LibrarySeed{
		{"QUIMPER", "Médiathèque Alain-Gérard", "Quimper", "29000"},
		{"BREST", "Médiathèque François-Mitterrand – Les Capucins", "Brest", "29200"},
		{"FOUESNANT", "Médiathèque de Fouesnant", "Fouesnant", "29170"},
		{"MORLAIX", "Médiathèque Les Ailes du Temps", "Morlaix", "29600"},
		{"DOUARNENEZ", "Médiathèque Georges-Perros", "Douarnenez", "29100"},
		{"GUIPAVAS", "Médiathèque Awena", "Guipavas", "29490"},
		{"CONCARNEAU", "Médiathèque de Concarneau", "Concarneau", "29900"},
		{"QUIMPERLE", "Médiathèque de Quimperlé", "Quimperlé", "29300"},
		{"LANDERNEAU", "Médiathèque de Landerneau", "Landerneau", "29800"},
		{"PONT-L-ABBE", "Médiathèque de Pont-l'Abbé", "Pont-l'Abbé", "29120"},
		{"CROZON", "Médiathèque de Crozon", "Crozon", "29160"},
		{"CARHAIX-PLOUGUER", "Médiathèque de Carhaix-Plouguer", "Carhaix-Plouguer", "29270"},
		{"CHATEAULIN", "Médiathèque de Châteaulin", "Châteaulin", "29150"},
		{"LANDIVISIAU", "Médiathèque de Landivisiau", "Landivisiau", "29400"},
		{"PLOUGASTEL-DAOULAS", "Médiathèque de Plougastel-Daoulas", "Plougastel-Daoulas", "29470"},
		{"PLOUZANE", "Médiathèque de Plouzané", "Plouzané", "29280"},
		{"SAINT-POL-DE-LEON", "Bibliothèque municipale de Saint-Pol-de-Léon", "Saint-Pol-de-Léon", "29250"},
		{"ROSCOFF", "Bibliothèque municipale de Roscoff", "Roscoff", "29680"},
		{"ROSPORDEN", "Médiathèque de Rosporden", "Rosporden", "29140"},
		{"BRIEC", "Bibliothèque municipale de Briec", "Briec", "29510"},
		{"ERGUE-GABERIC", "Médiathèque d'Ergué-Gabéric", "Ergué-Gabéric", "29500"},
		{"BENODET", "Bibliothèque municipale de Bénodet", "Bénodet", "29950"},
		{"AUDIERNE", "Bibliothèque municipale d'Audierne", "Audierne", "29770"},
		{"LESNEVEN", "Médiathèque de Lesneven", "Lesneven", "29260"},
		{"PLABENNEC", "Médiathèque de Plabennec", "Plabennec", "29860"},
		{"LE-RELECQ-KERHUON", "Médiathèque du Relecq-Kerhuon", "Le Relecq-Kerhuon", "29480"},
		{"LANDEDA", "Bibliothèque municipale de Landéda", "Landéda", "29870"},
		{"SAINT-RENAN", "Médiathèque de Saint-Renan", "Saint-Renan", "29290"},
		{"PLOUGUERNEAU", "Médiathèque de Plouguerneau", "Plouguerneau", "29880"},
		{"GOUESNOU", "Médiathèque de Gouesnou", "Gouesnou", "29850"},
		{"PONT-AVEN", "Bibliothèque municipale de Pont-Aven", "Pont-Aven", "29930"},
		{"TREGUNC", "Médiathèque de Trégunc", "Trégunc", "29910"},
		{"MOELAN-SUR-MER", "Médiathèque de Moëlan-sur-Mer", "Moëlan-sur-Mer", "29350"},
		{"SCAER", "Médiathèque de Scaër", "Scaër", "29390"},
		{"PENMARCH", "Bibliothèque municipale de Penmarch", "Penmarch", "29760"},
		{"LE-GUILVINEC", "Bibliothèque municipale du Guilvinec", "Le Guilvinec", "29730"},
		{"PLONEOUR-LANVERN", "Médiathèque de Plonéour-Lanvern", "Plonéour-Lanvern", "29720"},
		{"PLEYBEN", "Bibliothèque municipale de Pleyben", "Pleyben", "29190"},
		{"CHATEAUNEUF-DU-FAOU", "Bibliothèque municipale de Châteauneuf-du-Faou", "Châteauneuf-du-Faou", "29520"},
		{"CARANTEC", "Bibliothèque municipale de Carantec", "Carantec", "29660"},
		{"LA-FORET-FOUESNANT", "Bibliothèque municipale de La Forêt-Fouesnant", "La Forêt-Fouesnant", "29940"},
	}
}

// Resources returns the eight resources of the tutorial, in the order it
// presents them, since screenshots and walkthroughs rely on that order.
func Resources() []sesame.Resource {
	return []sesame.Resource{
		{
			Slug:        "livres-numeriques",
			Name:        "Livres numériques",
			Description: "Des milliers de livres numériques à emprunter : romans, bandes dessinées, documentaires et livres jeunesse, à lire sur liseuse, tablette ou ordinateur.",
			URL:         "https://www.dilicom.net/",
		},
		{
			Slug:        "mediatheque-numerique",
			Name:        "Médiathèque Numérique",
			Description: "Des films, documentaires et séries en vidéo à la demande, sélectionnés par ARTE et UniversCiné, à regarder en ligne ou à télécharger.",
			URL:         "https://www.mediatheque-numerique.com/",
		},
		{
			Slug:        "pressreader",
			Name:        "PressReader",
			Description: "La presse du monde entier en lecture intégrale : plus de 7 000 journaux et magazines français et étrangers, le jour même de leur parution.",
			URL:         "https://www.pressreader.com/",
		},
		{
			Slug:        "tout-apprendre",
			Name:        "Tout apprendre",
			Description: "Des cours en ligne pour se former à son rythme : langues, bureautique, code de la route, soutien scolaire, musique, bien-être et loisirs créatifs.",
			URL:         "https://www.toutapprendre.com/",
		},
		{
			Slug:        "brief-me",
			Name:        "Brief.me",
			Description: "Une lettre d'information quotidienne qui résume et explique l'actualité en quelques minutes de lecture, sans publicité.",
			URL:         "https://www.brief.me/",
		},
		{
			Slug:        "cinematheque-de-bretagne",
			Name:        "La Cinémathèque de Bretagne",
			Description: "Les archives du cinéma en Bretagne : films amateurs et professionnels, actualités et documentaires qui racontent la région depuis plus d'un siècle.",
			URL:         "https://www.cinematheque-bretagne.bzh/",
		},
		{
			Slug:        "la-souris-qui-raconte",
			Name:        "La Souris qui Raconte",
			Description: "Des histoires interactives et illustrées pour les enfants de 3 à 12 ans, à lire, écouter et explorer sur écran.",
			URL:         "https://www.lasourisquiraconte.com/",
		},
		{
			Slug:        "philharmonie-de-paris",
			Name:        "Philharmonie de Paris",
			Description: "Des concerts filmés, des conférences et des ressources d'éducation musicale pour découvrir toutes les musiques, du classique au jazz et aux musiques du monde.",
			URL:         "https://www.philharmoniedeparis.fr/",
		},
	}
}

// Person is a generated patron identity.
type Person struct {
	LastName, FirstName string
	BirthDate           sesame.Date
}

// Probabilities of RandomPerson. The Breton share is well above the national
// one because the demo network is in the Finistère, where Breton names are
// the most common of all.
const (
	bretonShare   = 0.6
	composedShare = 0.04
)

// RandomPerson draws a French or Breton identity from rng, aged 3 to 90 on
// today. The first name fits the generation of the birth date, so that the
// demo has no "Germaine" aged six nor "Timéo" aged eighty.
func RandomPerson(rng *rand.Rand, today sesame.Date) Person {
	birth := randomBirthDate(rng, today)
	return Person{
		LastName:  randomLastName(rng),
		FirstName: pick(rng, firstNamesBornIn(birth.Year)),
		BirthDate: birth,
	}
}

func randomLastName(rng *rand.Rand) string {
	one := func() string {
		if rng.Float64() < bretonShare {
			return pick(rng, bretonLastNames)
		}
		return pick(rng, frenchLastNames)
	}
	name := one()
	if rng.Float64() < composedShare {
		// Some families carry a double name, and since 2005 parents may give both of theirs.
		if other := one(); other != name {
			name += "-" + other
		}
	}
	return name
}

// randomBirthDate returns a date on which someone is between 3 and 90 on
// today, every day of the chosen year of age being as likely.
func randomBirthDate(rng *rand.Rand, today sesame.Date) sesame.Date {
	// The weights make the demo look like a library's online audience: mostly
	// working-age adults and young retirees, some children (whose parents
	// register them) and few of the very old.
	ageBands := [...]struct{ min, max, weight int }{
		{3, 10, 8},
		{11, 17, 8},
		{18, 24, 7},
		{25, 44, 30},
		{45, 70, 37},
		{71, 90, 10},
	}
	total := 0
	for _, b := range ageBands {
		total += b.weight
	}
	n := rng.IntN(total)
	age := ageBands[len(ageBands)-1].min
	for _, b := range ageBands {
		if n < b.weight {
			age = b.min + rng.IntN(b.max-b.min+1)
			break
		}
		n -= b.weight
	}
	// Born on the day after `today` age+1 years ago, one is exactly age today;
	// born on the same day age years ago, one has just turned age.
	latest := today.AddMonths(-12 * age)
	earliest := today.AddMonths(-12 * (age + 1)).AddDays(1)
	span := int(toTime(latest).Sub(toTime(earliest)).Hours()/24) + 1
	return earliest.AddDays(rng.IntN(span))
}

func toTime(d sesame.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

func pick(rng *rand.Rand, names []string) string { return names[rng.IntN(len(names))] }

// firstNamesBornIn returns the first names given around year: first names
// are the surest sign of a generation in France.
func firstNamesBornIn(year int) []string {
	switch {
	case year < 1956:
		return firstNamesBefore1956
	case year < 1980:
		return firstNames1956To1979
	case year < 2000:
		return firstNames1980To1999
	default:
		return firstNamesSince2000
	}
}

// The names the demo draws from are in noms.txt: they are data, not code.
//
//go:embed noms.txt
var namesText string

var (
	nameLists            = parseNameLists(namesText)
	bretonLastNames      = nameLists["noms bretons"]
	frenchLastNames      = nameLists["noms français"]
	firstNamesBefore1956 = nameLists["prénoms des personnes nées avant 1956"]
	firstNames1956To1979 = nameLists["prénoms des personnes nées de 1956 à 1979"]
	firstNames1980To1999 = nameLists["prénoms des personnes nées de 1980 à 1999"]
	firstNamesSince2000  = nameLists["prénoms des personnes nées depuis 2000"]
)

// parseNameLists reads noms.txt: each list starts with a line "## name",
// its names follow, separated by commas; lines starting with "# " are
// comments.
func parseNameLists(text string) map[string][]string {
	lists := map[string][]string{}
	current := ""
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			current = strings.TrimPrefix(line, "## ")
		case strings.HasPrefix(line, "#"), strings.TrimSpace(line) == "":
		default:
			for _, name := range strings.Split(line, ",") {
				lists[current] = append(lists[current], strings.TrimSpace(name))
			}
		}
	}
	return lists
}
