package sigb

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Columns returns every Column in the order a page shows them when it asks
// the librarian which column of the file holds what.
func Columns() []Column {
	return []Column{ColCard, ColEmail, ColLastName, ColFirstName, ColBirthDate, ColRegisteredOn, ColValidUntil, ColLibrary}
}

// Label is the French name of c, as pages and messages show it.
func (c Column) Label() string {
	switch c {
	case ColCard:
		return "N° de carte"
	case ColRegisteredOn:
		return "Date d'inscription dans la bibliothèque"
	case ColValidUntil:
		return "Date de fin d'abonnement"
	case ColEmail:
		return "E-mail"
	case ColLastName:
		return "Nom"
	case ColFirstName:
		return "Prénom"
	case ColBirthDate:
		return "Date de naissance"
	case ColLibrary:
		return "Code de la bibliothèque"
	}
	return string(c)
}

// known reports whether c is one of Columns.
func (c Column) known() bool {
	for _, k := range Columns() {
		if c == k {
			return true
		}
	}
	return false
}

// headerNames are the headers recognised for each column, written as people
// write them; headerKey reduces them, so spelling variants (« date_enrolled »,
// « Date Enrolled ») need no entry. The package comment lists them for the
// guide: keep both in step.
var headerNames = []struct {
	col   Column
	names []string
}{
	{ColCard, []string{
		"cardnumber", "card number", "card", "carte", "n° de carte", "numéro de carte",
		"n° carte lecteur", "numéro de lecteur", "n° lecteur", "n° d'abonné", "numéro d'abonné",
		"code-barres", "code-barre", "code-barres lecteur", "barcode", "carte lecteur",
		"identifiant lecteur", "matricule",
	}},
	{ColRegisteredOn, []string{
		"dateenrolled", "date d'inscription", "date de réinscription",
		"date de renouvellement", "date de dernière inscription", "date d'adhésion",
		"date de début d'abonnement", "début d'abonnement", "date d'abonnement",
		"inscription", "réinscription",
	}},
	{ColValidUntil, []string{
		"dateexpiry", "expiry date", "date de fin d'abonnement", "fin d'abonnement",
		"date de fin", "date d'expiration", "expiration", "fin de validité", "date de fin de validité",
		"date de validité", "validité", "valide jusqu'au", "date d'échéance", "échéance",
		"date de fin d'inscription", "fin d'inscription", "date de fin d'adhésion",
	}},
	{ColEmail, []string{
		"email", "e-mail", "courriel", "mail", "adresse mail", "adresse e-mail",
		"adresse électronique", "adresse courriel", "mél",
	}},
	{ColLastName, []string{"surname", "nom", "nom de famille", "nom d'usage", "nom du lecteur", "last name"}},
	{ColFirstName, []string{"firstname", "first name", "prénom", "prénom du lecteur"}},
	{ColBirthDate, []string{"dateofbirth", "date de naissance", "naissance", "né le", "birth date"}},
	{ColLibrary, []string{
		"branchcode", "branch", "bibliothèque", "code bibliothèque", "code de la bibliothèque",
		"bibliothèque de rattachement", "site", "code site", "site de rattachement", "médiathèque", "library",
	}},
}

// headerColumns maps each reduced header to its column; built once from a
// constant table, never written after.
var headerColumns = func() map[string]Column {
	m := make(map[string]Column)
	for _, h := range headerNames {
		for _, n := range h.names {
			m[headerKey(n)] = h.col
		}
	}
	return m
}()

// headerStopWords are dropped from headers: « Date d'inscription » and
// « date_inscription » are the same header.
var headerStopWords = map[string]bool{"de": true, "d": true, "du": true, "des": true, "la": true, "le": true, "l": true, "of": true}

// headerKey reduces a header cell to lower-case ASCII letters and digits with
// no accents, punctuation or stop words; « N° », « No », « Num » and « Numéro »
// all become « n ».
func headerKey(s string) string {
	folded, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	if err != nil {
		folded = s
	}
	words := strings.FieldsFunc(strings.ToLower(folded), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	var b strings.Builder
	for _, w := range words {
		if headerStopWords[w] {
			continue
		}
		switch w {
		case "no", "num", "numero":
			w = "n"
		}
		b.WriteString(w)
	}
	return b.String()
}

// recognise maps the header's cells to columns; a cell it does not know, or
// a column already taken by an earlier cell, is left out.
func recognise(header []string) Mapping {
	m := make(Mapping)
	for i, h := range header {
		col, ok := headerColumns[headerKey(h)]
		if !ok {
			continue
		}
		if _, taken := m[col]; !taken {
			m[col] = i
		}
	}
	return m
}

// missing returns what m lacks for a usable file: a way to find the patron
// and a date. Without any identifier it names ColCard, the usual one; when
// part of the name-and-birth-date identifier is there, it names the rest.
func missing(m Mapping) []Column {
	var out []Column
	has := func(c Column) bool { _, ok := m[c]; return ok }
	if !has(ColCard) && !has(ColEmail) {
		byName := []Column{ColLastName, ColFirstName, ColBirthDate}
		partial := false
		for _, c := range byName {
			partial = partial || has(c)
		}
		if !partial {
			out = append(out, ColCard)
		} else {
			for _, c := range byName {
				if !has(c) {
					out = append(out, c)
				}
			}
		}
	}
	if !has(ColRegisteredOn) && !has(ColValidUntil) {
		out = append(out, ColRegisteredOn)
	}
	return out
}
