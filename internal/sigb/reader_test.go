package sigb_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/sigb"
	"golang.org/x/text/encoding/charmap"
)

// open opens content as a file called name, failing tb on error.
func open(tb testing.TB, name string, content []byte, opt sigb.Options) *sigb.Reader {
	tb.Helper()
	rd, err := sigb.Open(bytes.NewReader(content), name, opt)
	if err != nil {
		tb.Fatalf("Open(%s): %v", name, err)
	}
	return rd
}

// readAll reads every row of rd, failing tb on an error.
func readAll(tb testing.TB, rd *sigb.Reader) []sigb.Row {
	tb.Helper()
	var rows []sigb.Row
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			tb.Fatalf("Next after %d rows: %v", len(rows), err)
		}
		rows = append(rows, row)
	}
}

// encode writes s in a single-byte encoding, as Excel would save it.
func encode(tb testing.TB, cm *charmap.Charmap, s string) []byte {
	tb.Helper()
	b, err := cm.NewEncoder().Bytes([]byte(s))
	if err != nil {
		tb.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func date(y int, m time.Month, d int) sesame.Date { return sesame.MustDate(y, m, d) }

const kohaCSV = "cardnumber;surname;firstname;email;dateofbirth;dateenrolled;dateexpiry;branchcode\r\n" +
	"29001000123;Le Bihan;Gwénaëlle;gwen@example.org;1985-06-14;2026-12-03;2027-12-02;FOUESNANT\r\n" +
	"29001000124;Cœur;Françoise;;14/06/1990;03/12/2026;;FOUESNANT\r\n"

func TestEncodings(t *testing.T) {
	wantNames := [][2]string{{"Le Bihan", "Gwénaëlle"}, {"Cœur", "Françoise"}}
	tests := []struct {
		name    string
		content []byte
		opt     sigb.Options
		wantEnc string
	}{
		{"UTF-8", []byte(kohaCSV), sigb.Options{}, "utf-8"},
		{"UTF-8 with BOM", []byte("\uFEFF" + kohaCSV), sigb.Options{}, "utf-8"},
		{"Windows-1252 detected", encode(t, charmap.Windows1252, kohaCSV), sigb.Options{}, "windows-1252"},
		{"Windows-1252 chosen", encode(t, charmap.Windows1252, kohaCSV), sigb.Options{Encoding: "windows-1252"}, "windows-1252"},
		{"ISO-8859-15 chosen", encode(t, charmap.ISO8859_15, kohaCSV), sigb.Options{Encoding: "iso-8859-15"}, "iso-8859-15"},
		{"UTF-8 chosen", []byte(kohaCSV), sigb.Options{Encoding: "utf-8"}, "utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := open(t, "export.csv", tt.content, tt.opt)
			if got := rd.Encoding(); got != tt.wantEnc {
				t.Errorf("Encoding: got %q, want %q", got, tt.wantEnc)
			}
			if got := rd.Header()[0]; got != "cardnumber" {
				t.Errorf("first header cell: got %q, want cardnumber (no BOM)", got)
			}
			if m := rd.Missing(); len(m) != 0 {
				t.Errorf("Missing: got %v, want none", m)
			}
			rows := readAll(t, rd)
			if len(rows) != 2 {
				t.Fatalf("got %d rows, want 2", len(rows))
			}
			for i, row := range rows {
				if row.LastName != wantNames[i][0] || row.FirstName != wantNames[i][1] {
					t.Errorf("row %d names: got %q %q, want %q %q", i, row.LastName, row.FirstName, wantNames[i][0], wantNames[i][1])
				}
				if row.Problem != "" {
					t.Errorf("row %d: unexpected problem %q", i, row.Problem)
				}
			}
		})
	}
}

func TestEncodingsOffered(t *testing.T) {
	var keys []string
	for _, e := range sigb.Encodings() {
		keys = append(keys, e.Key)
		if e.Label == "" {
			t.Errorf("encoding %q has no label", e.Key)
		}
	}
	if want := []string{"utf-8", "windows-1252", "iso-8859-15"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("Encodings: got %v, want %v", keys, want)
	}
}

// A file whose first 64 KiB are ASCII and whose end Excel wrote keeps its letters.
func TestLateWindows1252(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("cardnumber;surname;dateenrolled\n")
	for i := 0; b.Len() < 70<<10; i++ {
		fmt.Fprintf(&b, "%d;Martin;03/12/2026\n", i)
	}
	b.Write(encode(t, charmap.Windows1252, "999;Guéguen;03/12/2026\n"))
	rd := open(t, "export.csv", b.Bytes(), sigb.Options{})
	if rd.Encoding() != "utf-8" {
		t.Fatalf("Encoding: got %q, want utf-8 from the first 64 KiB", rd.Encoding())
	}
	rows := readAll(t, rd)
	if got := rows[len(rows)-1].LastName; got != "Guéguen" {
		t.Errorf("last name: got %q, want Guéguen", got)
	}
}

func TestDelimiters(t *testing.T) {
	tests := []struct {
		name    string
		content string
		opt     sigb.Options
		want    rune
	}{
		{"semicolon", "cardnumber;dateenrolled\nA1;03/12/2026\n", sigb.Options{}, ';'},
		{"comma", "cardnumber,dateenrolled\nA1,03/12/2026\n", sigb.Options{}, ','},
		{"tab", "cardnumber\tdateenrolled\nA1\t03/12/2026\n", sigb.Options{}, '\t'},
		{"comma inside quotes does not count", "\"n°, carte\";dateenrolled\nA1;03/12/2026\n", sigb.Options{}, ';'},
		{"most frequent wins", "\"cardnumber\",\"autre; chose\",dateenrolled\nA1,x,03/12/2026\n", sigb.Options{}, ','},
		{"chosen", "cardnumber,dateenrolled\nA1,03/12/2026\n", sigb.Options{Delimiter: ','}, ','},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := open(t, "f.csv", []byte(tt.content), tt.opt)
			if got := rd.Delimiter(); got != tt.want {
				t.Fatalf("Delimiter: got %q, want %q", got, tt.want)
			}
			rows := readAll(t, rd)
			if len(rows) != 1 || rows[0].Card != "A1" || rows[0].RegisteredOn != date(2026, 12, 3) || rows[0].Problem != "" {
				t.Errorf("rows: got %+v, want card A1 registered 03/12/2026", rows)
			}
		})
	}
}

func TestQuotedFieldsAndLineNumbers(t *testing.T) {
	content := "N° de carte;Nom;Date d'inscription\r\n" + // line 1
		"A1;\"Le Bihan; dit \"\"Gwen\"\"\";03/12/2026\r\n" + // line 2
		"A2;\"Nom sur\r\ndeux lignes\nvoire trois\";04/12/2026\r\n" + // lines 3-5
		"\r\n" + // line 6, empty
		";;\r\n" + // line 7, empty cells only
		"A3;  \"espacé\" ;05/12/2026\n" + // line 8
		"A4;Mac\r" + // line 9 ends with a lone CR
		"A5;Lazy\"quote;06/12/2026" // line 10, no final newline
	rows := readAll(t, open(t, "f.csv", []byte(content), sigb.Options{}))
	want := []struct {
		line int
		card string
		name string
	}{
		{2, "A1", `Le Bihan; dit "Gwen"`},
		{3, "A2", "Nom sur\ndeux lignes\nvoire trois"},
		{8, "A3", "espacé"},
		{9, "A4", "Mac"},
		{10, "A5", `Lazy"quote`},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(rows), rows, len(want))
	}
	for i, w := range want {
		if rows[i].Line != w.line || rows[i].Card != w.card || rows[i].LastName != w.name {
			t.Errorf("row %d: got line %d card %q name %q, want line %d card %q name %q",
				i, rows[i].Line, rows[i].Card, rows[i].LastName, w.line, w.card, w.name)
		}
	}
	if rows[3].Problem == "" {
		t.Errorf("row without a date: want a problem")
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		in      string
		want    sesame.Date
		problem string
	}{
		{"03/12/2026", date(2026, 12, 3), ""},
		{"2026-12-03", date(2026, 12, 3), ""},
		{"03-12-2026", date(2026, 12, 3), ""},
		{"3/12/2026", date(2026, 12, 3), ""},
		{"2026-12-03 00:00:00", date(2026, 12, 3), ""},
		{"2026-12-03T10:15:00", date(2026, 12, 3), ""},
		{"03/12/2026 14:30", date(2026, 12, 3), ""},
		{"29/02/2024", date(2024, 2, 29), ""},
		{"31/02/2026", sesame.Date{}, "Date d'inscription dans la bibliothèque illisible : « 31/02/2026 »"},
		{"12/03/26", sesame.Date{}, "Date d'inscription dans la bibliothèque illisible : « 12/03/26 »"},
		{"demain", sesame.Date{}, "Date d'inscription dans la bibliothèque illisible : « demain »"},
		{"46000", sesame.Date{}, "Date d'inscription dans la bibliothèque illisible : « 46000 »"}, // a serial only counts in XLSX
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			rows := readAll(t, open(t, "f.csv", []byte("carte;date d'inscription\nA1;"+tt.in+"\n"), sigb.Options{}))
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(rows))
			}
			if rows[0].RegisteredOn != tt.want || rows[0].Problem != tt.problem {
				t.Errorf("got %v, problem %q; want %v, problem %q", rows[0].RegisteredOn, rows[0].Problem, tt.want, tt.problem)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    sigb.Mapping
		missing []sigb.Column
	}{
		{"Koha", "borrowernumber;cardnumber;surname;firstname;dateofbirth;email;branchcode;dateenrolled;dateexpiry",
			sigb.Mapping{sigb.ColCard: 1, sigb.ColLastName: 2, sigb.ColFirstName: 3, sigb.ColBirthDate: 4, sigb.ColEmail: 5, sigb.ColLibrary: 6, sigb.ColRegisteredOn: 7, sigb.ColValidUntil: 8}, nil},
		{"French", "N° de carte;Nom;Prénom;Date de naissance;Courriel;Bibliothèque;Date d'inscription;Date de fin d'abonnement",
			sigb.Mapping{sigb.ColCard: 0, sigb.ColLastName: 1, sigb.ColFirstName: 2, sigb.ColBirthDate: 3, sigb.ColEmail: 4, sigb.ColLibrary: 5, sigb.ColRegisteredOn: 6, sigb.ColValidUntil: 7}, nil},
		{"French variants", "NUMÉRO DE CARTE;E-mail;Date de réinscription;Fin de validité;Code bibliothèque",
			sigb.Mapping{sigb.ColCard: 0, sigb.ColEmail: 1, sigb.ColRegisteredOn: 2, sigb.ColValidUntil: 3, sigb.ColLibrary: 4}, nil},
		{"spelling", "  n_carte ;date_inscription;Date d’expiration",
			sigb.Mapping{sigb.ColCard: 0, sigb.ColRegisteredOn: 1, sigb.ColValidUntil: 2}, nil},
		{"N° lecteur and code-barres: the first wins", "N° lecteur;Code-barres;Date d'inscription",
			sigb.Mapping{sigb.ColCard: 0, sigb.ColRegisteredOn: 2}, nil},
		{"name and birth date identify", "Nom;Prénom;Né le;Date de fin d'abonnement",
			sigb.Mapping{sigb.ColLastName: 0, sigb.ColFirstName: 1, sigb.ColBirthDate: 2, sigb.ColValidUntil: 3}, nil},
		{"unknown header", "id;lecteur_x;quand", sigb.Mapping{}, []sigb.Column{sigb.ColCard, sigb.ColRegisteredOn}},
		{"no date", "cardnumber;surname", sigb.Mapping{sigb.ColCard: 0, sigb.ColLastName: 1}, []sigb.Column{sigb.ColRegisteredOn}},
		{"name without birth date", "Nom;Prénom;Date d'inscription", sigb.Mapping{sigb.ColLastName: 0, sigb.ColFirstName: 1, sigb.ColRegisteredOn: 2}, []sigb.Column{sigb.ColBirthDate}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := open(t, "f.csv", []byte(tt.header+"\n"), sigb.Options{})
			if got := rd.Mapping(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Mapping: got %v, want %v", got, tt.want)
			}
			if got := rd.Missing(); !reflect.DeepEqual(got, tt.missing) {
				t.Errorf("Missing: got %v, want %v", got, tt.missing)
			}
			if msg := rd.MissingMessage(); (msg == "") != (len(tt.missing) == 0) {
				t.Errorf("MissingMessage: got %q with Missing %v", msg, tt.missing)
			}
		})
	}
}

func TestExplicitMapping(t *testing.T) {
	content := []byte("id;lecteur_x;quand\n1;X42;2026-12-03\n")
	rd := open(t, "f.csv", content, sigb.Options{Mapping: sigb.Mapping{sigb.ColCard: 1, sigb.ColRegisteredOn: 2}})
	if m := rd.Missing(); len(m) != 0 {
		t.Errorf("Missing: got %v, want none", m)
	}
	rows := readAll(t, rd)
	if len(rows) != 1 || rows[0].Card != "X42" || rows[0].RegisteredOn != date(2026, 12, 3) || rows[0].Problem != "" {
		t.Errorf("rows: got %+v", rows)
	}

	bad := []struct {
		name    string
		mapping sigb.Mapping
		message string
	}{
		{"index past the header", sigb.Mapping{sigb.ColCard: 3}, "La colonne n° 4 choisie pour « N° de carte » n'existe pas : le fichier a 3 colonnes."},
		{"negative index", sigb.Mapping{sigb.ColCard: -1}, "La colonne n° 0 choisie pour « N° de carte » n'existe pas : le fichier a 3 colonnes."},
		{"one column twice", sigb.Mapping{sigb.ColCard: 1, sigb.ColEmail: 1}, "La colonne n° 2 est choisie à la fois pour « N° de carte » et pour « E-mail »."},
		{"unknown column", sigb.Mapping{sigb.Column("age"): 0}, "Information inconnue : « age »."},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sigb.Open(bytes.NewReader(content), "f.csv", sigb.Options{Mapping: tt.mapping})
			if sesame.ErrorCode(err) != sesame.EInvalid || sesame.ErrorMessage(err) != tt.message {
				t.Errorf("got %v, want EInvalid %q", err, tt.message)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content []byte
		opt     sigb.Options
		message string
	}{
		{"empty", "f.csv", nil, sigb.Options{}, "Le fichier « f.csv » est vide."},
		{"blank", "f.csv", []byte("\uFEFF\r\n \r\n"), sigb.Options{}, "Le fichier « f.csv » est vide."},
		{"empty cells only", "f.csv", []byte(";;;\n;;\n"), sigb.Options{}, "Le fichier « f.csv » est vide."},
		{"unknown encoding", "f.csv", []byte("a\n"), sigb.Options{Encoding: "ebcdic"}, "Encodage inconnu : « ebcdic »."},
		{"unknown delimiter", "f.csv", []byte("a\n"), sigb.Options{Delimiter: '|'}, "Séparateur inconnu : « | » ; choisissez le point-virgule, la virgule ou la tabulation."},
		{"old Excel", "f.xls", []byte("\xD0\xCF\x11\xE0rest"), sigb.Options{}, "Le fichier « f.xls » n'est ni un CSV ni un classeur XLSX : enregistrez-le au format .xlsx ou CSV."},
		{"OpenDocument", "f.ods", []byte("PK\x03\x04rest"), sigb.Options{}, "Le fichier « f.ods » n'est ni un CSV ni un classeur XLSX : enregistrez-le au format .xlsx ou CSV."},
		{"broken xlsx", "f.xlsx", []byte("PK\x03\x04broken"), sigb.Options{}, "Le fichier « f.xlsx » n'est pas un classeur XLSX lisible."},
		{"header with too many columns", "f.csv", []byte(strings.Repeat("x;", 300) + "\n"), sigb.Options{}, "La ligne d'en-tête a plus de 200 colonnes."},
		{"header never closes its quote", "f.csv", []byte("\"carte;date\n"), sigb.Options{}, "La ligne d'en-tête est illisible : un guillemet n'y est jamais refermé."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sigb.Open(bytes.NewReader(tt.content), tt.file, tt.opt)
			if sesame.ErrorCode(err) != sesame.EInvalid || sesame.ErrorMessage(err) != tt.message {
				t.Errorf("got %v, want EInvalid %q", err, tt.message)
			}
		})
	}
}

func TestRowProblems(t *testing.T) {
	header := "cardnumber;email;surname;firstname;dateofbirth;dateenrolled;dateexpiry\n"
	tests := []struct {
		name    string
		line    string
		problem string
	}{
		{"card only", "A1;;;;;03/12/2026;", ""},
		{"e-mail only", ";a@example.org;;;;;03/12/2027", ""},
		{"name and birth date", ";;Le Bihan;Gwen;14/06/1985;03/12/2026;", ""},
		{"no identifier", ";;Le Bihan;Gwen;;03/12/2026;", "Ni n° de carte ni e-mail ni nom, prénom et date de naissance"},
		{"no date", "A1;;;;;;", "Ni date d'inscription ni date de fin d'abonnement"},
		{"bad birth date", ";;Le Bihan;Gwen;1985;03/12/2026;", "Date de naissance illisible : « 1985 »"},
		{"two bad dates", "A1;;;;;31/02/2026;32/01/2027", "Date d'inscription dans la bibliothèque illisible : « 31/02/2026 » ; Date de fin d'abonnement illisible : « 32/01/2027 »"},
		{"field too long", "A1;;" + strings.Repeat("é", 501) + ";;;03/12/2026;", "Colonne n° 3 trop longue (plus de 1000 caractères)"},
		{"too many columns", "A1;;;;;03/12/2026;;" + strings.Repeat("x;", 200), "Trop de colonnes (plus de 200)"},
		{"empty padding is not too many", "A1;;;;;03/12/2026;" + strings.Repeat(";", 300), ""},
		{"unclosed quote", "A1;\"oops;;;;03/12/2026;", "Guillemet ouvert jamais refermé : la ligne va jusqu'à la fin du fichier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := readAll(t, open(t, "f.csv", []byte(header+tt.line+"\n"), sigb.Options{}))
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(rows))
			}
			if rows[0].Problem != tt.problem {
				t.Errorf("Problem: got %q, want %q", rows[0].Problem, tt.problem)
			}
			if rows[0].Line != 2 {
				t.Errorf("Line: got %d, want 2", rows[0].Line)
			}
		})
	}
}

// The acceptance case: 10,000 lines, 20 broken, exactly those listed.
func TestBrokenLinesReported(t *testing.T) {
	broken := map[int]bool{}
	for i := 0; i < 20; i++ {
		broken[3+i*499] = true // spread over the file, first at line 3
	}
	var b bytes.Buffer
	b.WriteString("cardnumber;surname;firstname;dateenrolled\r\n")
	for line := 2; line <= 10001; {
		switch {
		case !broken[line] && !broken[line+1] && line < 10001:
			// A quoted break makes this record two physical lines.
			fmt.Fprintf(&b, "C%06d;Nom %d;\"Prénom\r\n%d\";03/12/2026\r\n", line, line, line)
			line += 2
			continue
		case !broken[line]:
			fmt.Fprintf(&b, "C%06d;Nom;Prénom;03/12/2026\r\n", line)
		case line%3 == 0:
			fmt.Fprintf(&b, "C%06d;Nom;Prénom;31/02/2026\r\n", line)
		case line%3 == 1:
			fmt.Fprintf(&b, ";Nom;Prénom;03/12/2026\r\n")
		default:
			fmt.Fprintf(&b, "C%06d;%s;Prénom;03/12/2026\r\n", line, strings.Repeat("x", 2000))
		}
		line++
	}
	rows := readAll(t, open(t, "f.csv", b.Bytes(), sigb.Options{}))
	var got []int
	for _, r := range rows {
		if r.Problem != "" {
			got = append(got, r.Line)
		} else if want := fmt.Sprintf("C%06d", r.Line); r.Card != want {
			t.Fatalf("line %d has card %q: line numbers drifted", r.Line, r.Card)
		}
	}
	if len(got) != 20 {
		t.Fatalf("got %d broken lines %v, want 20", len(got), got)
	}
	for _, l := range got {
		if !broken[l] {
			t.Errorf("line %d reported broken, it is not", l)
		}
	}
}

// A line of tens of megabytes gives a problem, not a record held in memory.
func TestHugeLineBounded(t *testing.T) {
	tests := []struct {
		name string
		line string
	}{
		{"one huge field", "A1;" + strings.Repeat("x", 20<<20) + ";03/12/2026\n"},
		{"a quote never closed", "A1;\"" + strings.Repeat("x\n", 10<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := []byte("cardnumber;surname;dateenrolled\n" + tt.line + "A2;Nom;03/12/2026\n")
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rows := readAll(t, open(t, "f.csv", content, sigb.Options{}))
			runtime.ReadMemStats(&after)
			if len(rows) == 0 || rows[0].Problem == "" {
				t.Fatalf("rows: got %+v, want a problem on line 2", rows)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
				t.Errorf("reading allocated %d bytes for a %d-byte line, want under 2 MiB", alloc, len(tt.line))
			}
		})
	}
}

// Some systems name a tab-separated export .xls; leading blank lines longer
// than the detection's look-ahead do not make a file empty.
func TestOddFiles(t *testing.T) {
	tests := []struct {
		name, file, content string
	}{
		{"tab-separated named .xls", "export.xls", "cardnumber\tdateenrolled\nA1\t03/12/2026\n"},
		{"blank lines first", "f.csv", strings.Repeat("\r\n", 40<<10) + "cardnumber;dateenrolled\nA1;03/12/2026\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := readAll(t, open(t, tt.file, []byte(tt.content), sigb.Options{}))
			if len(rows) != 1 || rows[0].Card != "A1" || rows[0].Problem != "" {
				t.Errorf("rows: got %+v", rows)
			}
		})
	}
}

// Next keeps answering io.EOF once the file is read.
func TestNextAfterEOF(t *testing.T) {
	rd := open(t, "f.csv", []byte("cardnumber;dateenrolled\nA;03/12/2026\n"), sigb.Options{})
	readAll(t, rd)
	for i := 0; i < 2; i++ {
		if _, err := rd.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("Next after the end: got %v, want io.EOF", err)
		}
	}
	if err := rd.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// The Reader is what the renewals service and the API take.
var _ sigb.Rows = (*sigb.Reader)(nil)

func TestColumnsLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range sigb.Columns() {
		l := c.Label()
		if l == "" || l == string(c) || seen[l] {
			t.Errorf("column %q: label %q missing or repeated", c, l)
		}
		seen[l] = true
	}
	if len(seen) != 8 {
		t.Errorf("Columns: got %d, want the 8 columns", len(seen))
	}
}

func TestRowIncomplete(t *testing.T) {
	d := date(2026, 12, 3)
	tests := []struct {
		name string
		row  sigb.Row
		want string
	}{
		{"card and date", sigb.Row{Card: "A", RegisteredOn: d}, ""},
		{"e-mail and end date", sigb.Row{Email: "a@example.org", ValidUntil: d}, ""},
		{"name, first name, birth date", sigb.Row{LastName: "N", FirstName: "P", BirthDate: d, RegisteredOn: d}, ""},
		{"name without birth date", sigb.Row{LastName: "N", FirstName: "P", RegisteredOn: d}, "Ni n° de carte ni e-mail ni nom, prénom et date de naissance"},
		{"no date", sigb.Row{Card: "A"}, "Ni date d'inscription ni date de fin d'abonnement"},
		{"nothing", sigb.Row{}, "Ni n° de carte ni e-mail ni nom, prénom et date de naissance ; Ni date d'inscription ni date de fin d'abonnement"},
	}
	for _, tt := range tests {
		if got := tt.row.Incomplete(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A read error in the middle of a file is returned, not taken for its end.
func TestReadError(t *testing.T) {
	boom := errors.New("connexion coupée")
	// Within the first 64 KiB, Open reports it; further on, Next does.
	if _, err := sigb.Open(io.MultiReader(strings.NewReader("cardnumber;dateenrolled\nA1;03/12/2026\n"), iotest.ErrReader(boom)), "f.csv", sigb.Options{}); !errors.Is(err, boom) {
		t.Fatalf("Open: got %v, want the read error", err)
	}
	content := "cardnumber;dateenrolled\n" + strings.Repeat("A1;03/12/2026\n", 10_000)
	rd, err := sigb.Open(io.MultiReader(strings.NewReader(content), iotest.ErrReader(boom)), "f.csv", sigb.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	n := 0
	for {
		_, err := rd.Next()
		if err == nil {
			n++
			continue
		}
		if !errors.Is(err, boom) {
			t.Fatalf("after %d rows: got %v, want the read error", n, err)
		}
		break
	}
	if n != 10_000 {
		t.Errorf("got %d rows before the error, want 10000", n)
	}
}

// A French header saved by Excel under Windows is recognised, accents and all.
func TestFrenchHeaderWindows1252(t *testing.T) {
	content := encode(t, charmap.Windows1252, "N° de carte;Prénom;Nom;Date de réinscription;Échéance\r\nA1;Zoé;Le Hénaff;03/12/2026;02/12/2027\r\n")
	rd := open(t, "export.csv", content, sigb.Options{})
	want := sigb.Mapping{sigb.ColCard: 0, sigb.ColFirstName: 1, sigb.ColLastName: 2, sigb.ColRegisteredOn: 3, sigb.ColValidUntil: 4}
	if got := rd.Mapping(); !reflect.DeepEqual(got, want) {
		t.Errorf("Mapping: got %v, want %v", got, want)
	}
	rows := readAll(t, rd)
	if len(rows) != 1 || rows[0].FirstName != "Zoé" || rows[0].LastName != "Le Hénaff" || rows[0].ValidUntil != date(2027, 12, 2) {
		t.Errorf("rows: got %+v", rows)
	}
}
