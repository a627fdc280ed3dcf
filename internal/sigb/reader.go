package sigb

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bdf29/sesame"
)

// Limits on what one line of a file may hold, so that no file can make a
// row, or the reading of one, take more than MaxColumns × MaxField bytes.
const (
	MaxField   = 1000 // bytes in one field
	MaxColumns = 200  // columns in one line
)

// Reader streams the rows of one file. It is not safe for concurrent use.
type Reader struct {
	name     string
	encoding string // "" for an XLSX file
	delim    rune
	header   []string
	mapping  Mapping
	missing  []Column
	next     func() (*csvRecord, error)
	close    func() error
	xlsx     bool
	date1904 bool // the workbook counts serial dates from 1904
	done     bool
}

// Open reads the header of the file called name from r and returns a
// Reader for its rows. An XLSX file is read whole into memory, the zip format
// needing it: the caller bounds r (the import page refuses files over 50 MB).
// A CSV file is streamed. The French message of the error (sesame.ErrorMessage)
// can be shown as is.
func Open(r io.Reader, name string, opt Options) (*Reader, error) {
	if opt.Encoding != "" && !knownEncoding(opt.Encoding) {
		return nil, sesame.Errorf(sesame.EInvalid, "Encodage inconnu : « %s ».", clip(opt.Encoding))
	}
	switch opt.Delimiter {
	case 0, ';', ',', '\t':
	default:
		return nil, sesame.Errorf(sesame.EInvalid, "Séparateur inconnu : « %s » ; choisissez le point-virgule, la virgule ou la tabulation.", clip(string(opt.Delimiter)))
	}
	br := bufio.NewReaderSize(r, peekSize)
	prefix, err := br.Peek(peekSize)
	atEOF := errors.Is(err, io.EOF)
	if err != nil && !atEOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if atEOF && len(bytes.TrimSpace(bytes.TrimPrefix(prefix, []byte(utf8BOM)))) == 0 {
		return nil, sesame.Errorf(sesame.EInvalid, "Le fichier « %s » est vide.", clip(name))
	}
	rd := &Reader{name: name}
	lower := strings.ToLower(name)
	// An old .xls is a binary OLE file; a .xls that is not (some systems
	// name a tab-separated export so) is read as CSV below.
	if bytes.HasPrefix(prefix, []byte("\xD0\xCF\x11\xE0")) || strings.HasSuffix(lower, ".ods") {
		return nil, sesame.Errorf(sesame.EInvalid, "Le fichier « %s » n'est ni un CSV ni un classeur XLSX : enregistrez-le au format .xlsx ou CSV.", clip(name))
	}
	if bytes.HasPrefix(prefix, []byte("PK\x03\x04")) || strings.HasSuffix(lower, ".xlsx") {
		err = rd.openXLSX(br)
	} else {
		err = rd.openCSV(br, prefix, atEOF, opt)
	}
	if err != nil {
		return nil, err
	}
	if opt.Mapping != nil {
		if err := checkMapping(opt.Mapping, len(rd.header)); err != nil {
			_ = rd.Close()
			return nil, err
		}
		rd.mapping = make(Mapping, len(opt.Mapping))
		for c, i := range opt.Mapping {
			rd.mapping[c] = i
		}
	} else {
		rd.mapping = recognise(rd.header)
	}
	rd.missing = missing(rd.mapping)
	return rd, nil
}

func knownEncoding(key string) bool {
	for _, e := range Encodings() {
		if e.Key == key {
			return true
		}
	}
	return false
}

func (rd *Reader) openCSV(br *bufio.Reader, prefix []byte, atEOF bool, opt Options) error {
	rd.encoding = opt.Encoding
	if rd.encoding == "" {
		rd.encoding = "utf-8"
		if !bytes.HasPrefix(prefix, []byte(utf8BOM)) {
			rd.encoding = detectEncoding(prefix, atEOF)
		}
	}
	delim := byte(opt.Delimiter) // #nosec G115 -- Open accepts only 0, ';', ',' and '\t'
	if delim == 0 {
		delim = detectDelimiter(prefix)
	}
	rd.delim = rune(delim)
	if rd.encoding == "utf-8" && bytes.HasPrefix(prefix, []byte(utf8BOM)) {
		_, _ = br.Discard(len(utf8BOM))
	}
	p := newCSVParser(decoder(br, rd.encoding), delim)
	rd.next = p.next
	rd.close = func() error { return nil }
	return rd.readHeader()
}

// readHeader reads the first line that is not empty.
func (rd *Reader) readHeader() error {
	for {
		rec, err := rd.next()
		if errors.Is(err, io.EOF) {
			return sesame.Errorf(sesame.EInvalid, "Le fichier « %s » est vide.", clip(rd.name))
		}
		if err != nil {
			_ = rd.Close()
			return err
		}
		if rec.empty() {
			continue
		}
		switch {
		case rec.tooMany:
			_ = rd.Close()
			return sesame.Errorf(sesame.EInvalid, "La ligne d'en-tête a plus de %d colonnes.", MaxColumns)
		case rec.unclosed:
			_ = rd.Close()
			return sesame.Errorf(sesame.EInvalid, "La ligne d'en-tête est illisible : un guillemet n'y est jamais refermé.")
		}
		rd.header = make([]string, len(rec.fields))
		for i, f := range rec.fields {
			rd.header[i] = strings.TrimSpace(rd.text(f))
		}
		// A header padded with empty cells: they name nothing.
		for len(rd.header) > 0 && rd.header[len(rd.header)-1] == "" {
			rd.header = rd.header[:len(rd.header)-1]
		}
		return nil
	}
}

// checkMapping validates a mapping chosen by the librarian against the header.
func checkMapping(m Mapping, columns int) error {
	used := make(map[int]Column)
	for _, c := range Columns() { // a fixed order, for a stable message
		i, ok := m[c]
		if !ok {
			continue
		}
		if i < 0 || i >= columns {
			return sesame.Errorf(sesame.EInvalid, "La colonne n° %d choisie pour « %s » n'existe pas : le fichier a %d colonnes.", i+1, c.Label(), columns)
		}
		if other, dup := used[i]; dup {
			return sesame.Errorf(sesame.EInvalid, "La colonne n° %d est choisie à la fois pour « %s » et pour « %s ».", i+1, other.Label(), c.Label())
		}
		used[i] = c
	}
	for c := range m {
		if !c.known() {
			return sesame.Errorf(sesame.EInvalid, "Information inconnue : « %s ».", clip(string(c)))
		}
	}
	return nil
}

// Encoding is the key of the CSV file's encoding, detected or chosen; "" for XLSX.
func (rd *Reader) Encoding() string { return rd.encoding }

// Delimiter is the CSV file's delimiter, detected or chosen; 0 for XLSX.
func (rd *Reader) Delimiter() rune { return rd.delim }

// Header returns the cells of the header line, trimmed.
func (rd *Reader) Header() []string { return append([]string(nil), rd.header...) }

// Mapping returns where each column is: recognised, or as Options.Mapping said.
func (rd *Reader) Mapping() Mapping {
	m := make(Mapping, len(rd.mapping))
	for c, i := range rd.mapping {
		m[c] = i
	}
	return m
}

// Missing returns what the file lacks to be used: an identifier (ColCard
// when there is none at all; the rest of ColLastName, ColFirstName and
// ColBirthDate when some are there) and a date (ColRegisteredOn when neither
// it nor ColValidUntil is there). Empty when the file can be read.
func (rd *Reader) Missing() []Column { return append([]Column(nil), rd.missing...) }

// MissingMessage says in French what Missing returns, "" when nothing is missing.
func (rd *Reader) MissingMessage() string {
	if len(rd.missing) == 0 {
		return ""
	}
	var parts []string
	for _, c := range rd.missing {
		switch c {
		case ColCard:
			parts = append(parts, "une colonne qui identifie l'usager (N° de carte, E-mail, ou Nom, Prénom et Date de naissance)")
		case ColRegisteredOn:
			parts = append(parts, "une colonne de date (Date d'inscription dans la bibliothèque ou Date de fin d'abonnement)")
		default:
			parts = append(parts, "la colonne « "+c.Label()+" »")
		}
	}
	return "Colonnes non reconnues : il manque " + strings.Join(parts, " et ") + ". Indiquez quelle colonne du fichier contient chaque information."
}

// Close releases what the Reader holds (an XLSX file's temporary files).
// Next calls it at the end of the file; call it when stopping earlier.
func (rd *Reader) Close() error {
	if rd.close == nil {
		return nil
	}
	c := rd.close
	rd.close = nil
	return c()
}

// Next returns the next row that is not empty, io.EOF after the last one.
// A line that cannot be used comes with Row.Problem and reading goes on;
// an error means the file itself could not be read further.
func (rd *Reader) Next() (Row, error) {
	if rd.done {
		return Row{}, io.EOF
	}
	for {
		rec, err := rd.next()
		if err != nil {
			rd.done = true
			cerr := rd.Close()
			if errors.Is(err, io.EOF) && cerr != nil {
				return Row{}, fmt.Errorf("close %s: %w", rd.name, cerr)
			}
			return Row{}, err
		}
		if rec.empty() {
			continue
		}
		return rd.row(rec), nil
	}
}

func (rec *csvRecord) empty() bool {
	for _, f := range rec.fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return !rec.tooMany && rec.tooLong == 0
}

// text makes a field valid UTF-8 (see fixUTF8).
func (rd *Reader) text(s string) string {
	if rd.encoding == "utf-8" {
		return fixUTF8(s)
	}
	// A field cut at MaxField may end in half a letter.
	return strings.ToValidUTF8(s, "\uFFFD")
}

// row gives a record its meaning and checks it.
func (rd *Reader) row(rec *csvRecord) Row {
	row := Row{Line: rec.line}
	var problems []string
	switch {
	case rec.unclosed:
		problems = append(problems, "Guillemet ouvert jamais refermé : la ligne va jusqu'à la fin du fichier")
	case rec.tooMany:
		problems = append(problems, fmt.Sprintf("Trop de colonnes (plus de %d)", MaxColumns))
	case rec.tooLong > 0:
		problems = append(problems, fmt.Sprintf("Colonne n° %d trop longue (plus de %d caractères)", rec.tooLong, MaxField))
	}
	get := func(c Column) string {
		i, ok := rd.mapping[c]
		if !ok || i >= len(rec.fields) {
			return ""
		}
		return strings.TrimSpace(rd.text(rec.fields[i]))
	}
	date := func(c Column) sesame.Date {
		s := get(c)
		if s == "" {
			return sesame.Date{}
		}
		d, ok := rd.parseDate(s)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s illisible : « %s »", c.Label(), clip(s)))
		}
		return d
	}
	row.Card = get(ColCard)
	if rd.xlsx {
		row.Card = integral(row.Card)
	}
	row.Email = get(ColEmail)
	row.LastName = get(ColLastName)
	row.FirstName = get(ColFirstName)
	row.Library = get(ColLibrary)
	row.BirthDate = date(ColBirthDate)
	row.RegisteredOn = date(ColRegisteredOn)
	row.ValidUntil = date(ColValidUntil)
	if len(problems) == 0 {
		row.Problem = row.Incomplete()
	} else {
		row.Problem = strings.Join(problems, " ; ")
	}
	return row
}

// Incomplete says in French what the row lacks to be used, "" when nothing:
// a way to find the patron (card, e-mail, or name, first name and birth
// date) and a date. Rows built elsewhere (the API's JSON) ask it too, so
// that a line of a file and an element of a body are judged alike.
func (r Row) Incomplete() string {
	var problems []string
	if r.Card == "" && r.Email == "" && (r.LastName == "" || r.FirstName == "" || r.BirthDate.IsZero()) {
		problems = append(problems, "Ni n° de carte ni e-mail ni nom, prénom et date de naissance")
	}
	if r.RegisteredOn.IsZero() && r.ValidUntil.IsZero() {
		problems = append(problems, "Ni date d'inscription ni date de fin d'abonnement")
	}
	return strings.Join(problems, " ; ")
}

// parseDate reads a date of a file as sesame.ReadDate does, or in an XLSX
// file a serial number.
func (rd *Reader) parseDate(s string) (sesame.Date, bool) {
	if rd.xlsx {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return serialDate(f, rd.date1904)
		}
	}
	return sesame.ReadDate(s)
}

// serialDate converts a spreadsheet serial date; it refuses what no
// spreadsheet shows as a date (0, negatives, past 31/12/9999).
func serialDate(f float64, date1904 bool) (sesame.Date, bool) {
	if f < 1 || f > 2958465 {
		return sesame.Date{}, false
	}
	t, err := excelDateToTime(f, date1904)
	if err != nil {
		return sesame.Date{}, false
	}
	return sesame.NewDate(t.Year(), t.Month(), t.Day())
}

// integral writes a card number that a spreadsheet stored as a number
// (1.23456789012E+12) with all its digits, as the library system shows it.
func integral(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f >= 1e15 || f != float64(int64(f)) {
		return s
	}
	return strconv.FormatInt(int64(f), 10)
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
