// Package sigb reads the files that library systems (SIGB: Koha, Orphée,
// Syracuse, Decalog…) export: CSV with ; , or tab, in UTF-8 (with or
// without BOM), Windows-1252 or ISO-8859-15, or XLSX. It recognises the
// columns of common exports and streams rows; it knows nothing of patrons
// or of the store.
//
// # Files
//
// An XLSX file is recognised by its content (a zip) or its .xlsx name; its
// first sheet is read, cells as stored (not as formatted). An old binary .xls
// or an .ods file is refused with a message; anything else, a tab-separated
// file named .xls included, is read as CSV. A CSV file's encoding is
// UTF-8 when its first 64 KiB are valid UTF-8 (a BOM is dropped), Windows-1252
// otherwise; ISO-8859-15 is used only when chosen. Its delimiter is the one
// of ; , and tab found most often outside quotes in the header line (; wins
// ties). Quoted fields may hold delimiters, quotes ("") and line breaks.
//
// The header is the first line that is not empty; Row.Line counts physical
// lines from 1, the header's (a quoted line break counts, so the number is the
// one a text editor or a spreadsheet shows). Empty lines are skipped.
//
// # Recognised headers
//
// A header cell is compared ignoring case, accents, spaces, punctuation and
// the words « de », « d' », « du », « des », « la », « le », « l' », « of »;
// « N° », « No », « Num » and « Numéro » are one word. So « N° de carte »,
// « n_carte », « Numéro carte » and « N°CARTE » are one header. Recognised:
//
//   - N° de carte (ColCard): cardnumber (Koha), card number, card, carte,
//     n° de carte, numéro de carte, n° carte lecteur, numéro de lecteur,
//     n° lecteur, n° d'abonné, numéro d'abonné, code-barres, code-barre,
//     code-barres lecteur, barcode, carte lecteur, identifiant lecteur, matricule.
//   - Date d'inscription (ColRegisteredOn): dateenrolled (Koha), date
//     d'inscription, date de réinscription, date de renouvellement, date de
//     dernière inscription, date d'adhésion, date de début d'abonnement, début
//     d'abonnement, date d'abonnement, inscription, réinscription.
//   - Date de fin d'abonnement (ColValidUntil): dateexpiry (Koha), expiry
//     date, date de fin d'abonnement, fin d'abonnement, date de fin, date
//     d'expiration, expiration, fin de validité, date de fin de validité, date
//     de validité, validité, valide jusqu'au, date d'échéance, échéance, date
//     de fin d'inscription, fin d'inscription, date de fin d'adhésion.
//   - E-mail (ColEmail): email (Koha), e-mail, courriel, mail, adresse mail,
//     adresse e-mail, adresse électronique, adresse courriel, mél.
//   - Nom (ColLastName): surname (Koha), nom, nom de famille, nom d'usage,
//     nom du lecteur, last name.
//   - Prénom (ColFirstName): firstname (Koha), prénom, prénom du lecteur,
//     first name.
//   - Date de naissance (ColBirthDate): dateofbirth (Koha), date de
//     naissance, naissance, né le, birth date.
//   - Code de la bibliothèque (ColLibrary): branchcode (Koha), branch,
//     bibliothèque, code bibliothèque, code de la bibliothèque, bibliothèque
//     de rattachement, site, code site, site de rattachement, médiathèque,
//     library.
//
// Koha's names come from its patron export (borrowers table). Orphée,
// Syracuse and Decalog publish no fixed export format: the French headers
// beyond those of issue #12 (« n° d'abonné », « matricule », « site de
// rattachement », « date d'échéance », « date de dernière inscription »…)
// are guesses at what their exports and librarians' spreadsheets use.
// When two cells name the same column, the first one wins.
//
// # Dates
//
// A date is JJ/MM/AAAA, AAAA-MM-JJ or JJ-MM-AAAA (also with . as separator
// and one-digit day or month), optionally followed by a time after a space
// or a T (Koha's 2026-12-03 00:00:00): sesame.ReadDate. In an XLSX file a
// date cell may also be a spreadsheet serial number (1900 or 1904 based).
// Two-digit years are refused: 03/12/26 could be 1926 for a birth date.
//
// # Limits
//
// A field longer than MaxField bytes, a line with more than MaxColumns
// columns that are not empty, a quote never closed, an unreadable date or a
// line with no identifier or no date gives a Row with a French Problem, and
// reading goes on. Memory per row stays below MaxColumns × MaxField bytes
// whatever the input; a CSV file is never held whole in memory.
package sigb

import "github.com/bdf29/sesame"

// Column is one piece of information a renewal file may carry.
type Column string

const (
	ColCard         Column = "carte"            // library card number
	ColRegisteredOn Column = "date_inscription" // date of (re)registration at the library
	ColValidUntil   Column = "date_fin"         // end of the library subscription
	ColEmail        Column = "email"
	ColLastName     Column = "nom"
	ColFirstName    Column = "prenom"
	ColBirthDate    Column = "date_naissance"
	ColLibrary      Column = "bibliotheque" // the library's code, in a network-wide file
)

// Mapping says which column of the file (by its 0-based index) holds each
// Column; a Column absent from the map is not in the file.
type Mapping map[Column]int

// Options are what the librarian may choose instead of detection.
type Options struct {
	Encoding  string  // "" detects; otherwise one of Encodings' keys
	Delimiter rune    // 0 detects; otherwise ';', ',' or '\t'
	Mapping   Mapping // nil recognises the header
}

// Row is one line of the file, read and checked.
type Row struct {
	Line      int // the line's number in the file, the header being line 1
	Card      string
	Email     string
	LastName  string
	FirstName string
	Library   string // a library code, when the file has that column
	BirthDate sesame.Date
	// RegisteredOn and ValidUntil: the file gives one or both.
	RegisteredOn sesame.Date
	ValidUntil   sesame.Date
	// Problem says in French why the line cannot be used (a date that is
	// not one, no card and no e-mail…); "" when the line is good.
	Problem string
}

// Rows is a stream of rows: a file's Reader, or rows sent to the API.
// Next returns io.EOF after the last row.
type Rows interface {
	Next() (Row, error)
}
