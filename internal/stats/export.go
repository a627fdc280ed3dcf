package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/bdf29/sesame"
	"github.com/xuri/excelize/v2"
)

// Table is one table of a report as the exports write it: a section of the
// CSV file, a sheet of the XLSX workbook.
type Table struct {
	Sheet  string // the XLSX sheet's name, 31 characters at most
	Title  string
	Notes  []string
	Header []string
	Rows   [][]any // string or int cells
}

// Tables are the report's tables, in the order the page shows them; the
// first says whose figures they are, over what period.
func (r *Report) Tables() []Table {
	about := Table{Sheet: "Informations", Title: "Statistiques d'usage des ressources numériques", Header: []string{"Rubrique", "Valeur"},
		Rows: [][]any{
			{"Réseau", r.Network},
			{"Bibliothèques", r.Subject()},
			{"Période", r.Period.First.String() + " à " + r.Period.Last.String()},
			{"Extrait le", sesame.DateOf(r.Made, r.Location).String()},
		}}
	if d := r.KeptSinceDate(); !d.IsZero() {
		about.Rows = append(about.Rows, []any{"Détail des lancements conservé depuis le", d.String()})
	}

	names := make([]string, len(r.Resources))
	for i, c := range r.Resources {
		names[i] = c.Name
	}
	launches := Table{Sheet: "Lancements par mois", Title: "Lancements par ressource et par mois",
		Header: append(append([]string{"Mois"}, names...), "Total")}
	users := Table{Sheet: "Usagers actifs par mois", Title: "Usagers actifs de chaque mois, par ressource",
		Notes:  []string{"Un usager est compté une fois par mois, dans chaque bibliothèque où il a ouvert la ressource."},
		Header: append([]string{"Mois"}, names...)}
	for _, m := range r.Months {
		launches.Rows = append(launches.Rows, append(append([]any{m.Month.String()}, ints(m.Launches)...), m.Total))
		users.Rows = append(users.Rows, append([]any{m.Month.String()}, ints(m.Users)...))
	}
	launches.Rows = append(launches.Rows, append(append([]any{"Total"}, ints(r.Totals)...), r.Total))

	byResource := Table{Sheet: "Par ressource", Title: "Usagers actifs et lancements par ressource sur la période"}
	byLibrary := Table{Sheet: "Par bibliothèque", Title: "Usagers actifs et lancements par bibliothèque sur la période"}
	if r.UsersKnown {
		byResource.Notes = []string{"Un usager actif a ouvert la ressource au moins une fois sur la période ; il est compté dans chaque bibliothèque où il l'a fait."}
		byResource.Header = []string{"Ressource", "Usagers actifs", "Lancements"}
		for _, row := range r.ByResource {
			byResource.Rows = append(byResource.Rows, []any{row.Name, row.Users, row.Launches})
		}
		byResource.Rows = append(byResource.Rows, []any{"Toutes les ressources", r.Users, r.Total})
		byLibrary.Header = []string{"Code", "Bibliothèque", "Usagers actifs", "Lancements"}
		for _, row := range r.ByLibrary {
			byLibrary.Rows = append(byLibrary.Rows, []any{row.Code, row.Name, row.Users, row.Launches})
		}
	} else {
		note := UsersUnknownNote(r)
		byResource.Notes, byLibrary.Notes = []string{note}, []string{note}
		byResource.Header = []string{"Ressource", "Lancements"}
		for _, row := range r.ByResource {
			byResource.Rows = append(byResource.Rows, []any{row.Name, row.Launches})
		}
		byResource.Rows = append(byResource.Rows, []any{"Toutes les ressources", r.Total})
		byLibrary.Header = []string{"Code", "Bibliothèque", "Lancements"}
		for _, row := range r.ByLibrary {
			byLibrary.Rows = append(byLibrary.Rows, []any{row.Code, row.Name, row.Launches})
		}
	}

	accounts := Table{Sheet: "Comptes par mois", Title: "Comptes des usagers par mois",
		Header: append([]string{"Mois"}, AccountLabels[:]...)}
	for _, a := range r.Accounts {
		accounts.Rows = append(accounts.Rows, append([]any{a.Month.String()}, ints(a.Counts[:])...))
	}
	accounts.Rows = append(accounts.Rows, append([]any{"Total"}, ints(r.AccountTotals[:])...))

	tables := []Table{about, launches, users, byResource}
	if r.Library == nil {
		tables = append(tables, byLibrary)
	}
	return append(tables, accounts)
}

// UsersUnknownNote explains why a period has no count of active users.
func UsersUnknownNote(r *Report) string {
	return "Usagers actifs non disponibles pour cette période : le détail des lancements n'est conservé que depuis le " +
		r.KeptSinceDate().String() + ", et les lancements plus anciens ne distinguent les usagers que par mois ou par année civile. " +
		"Choisissez une année civile, ou une période qui commence après cette date."
}

func ints(ns []int) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

// WriteCSV writes the report as French spreadsheets open it: UTF-8 with a
// byte order mark, fields separated by semicolons, one table after the
// other with its title, a blank line between them.
func (r *Report) WriteCSV(w io.Writer) error {
	c, err := NewCSVWriter(w)
	if err != nil {
		return err
	}
	for i, t := range r.Tables() {
		if i > 0 {
			if err := c.Write([]string{""}); err != nil {
				return err
			}
		}
		lines := [][]string{{CSVCell(t.Title)}}
		for _, n := range t.Notes {
			lines = append(lines, []string{CSVCell(n)})
		}
		lines = append(lines, csvCells(t.Header))
		for _, row := range t.Rows {
			lines = append(lines, csvRow(row))
		}
		if err := c.WriteAll(lines); err != nil {
			return err
		}
	}
	c.Flush()
	return c.Error()
}

// NewCSVWriter starts a CSV file as French spreadsheets open it: the byte
// order mark that says UTF-8, then fields separated by semicolons, lines
// ended by CRLF. Texts written to it go through CSVCell.
func NewCSVWriter(w io.Writer) (*csv.Writer, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	c := csv.NewWriter(w)
	c.Comma = ';'
	c.UseCRLF = true
	return c, nil
}

func csvCells(texts []string) []string {
	out := make([]string, len(texts))
	for i, s := range texts {
		out[i] = CSVCell(s)
	}
	return out
}

func csvRow(row []any) []string {
	out := make([]string, len(row))
	for i, v := range row {
		switch v := v.(type) {
		case int:
			out[i] = fmt.Sprint(v)
		default:
			out[i] = CSVCell(fmt.Sprint(v))
		}
	}
	return out
}

// CSVCell neutralises a text that a spreadsheet would take for a formula
// (one starting with = + - @, a tab or a carriage return, as a library or
// resource name typed by someone may): a leading apostrophe makes it text.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteXLSX writes the report as a workbook, one sheet per table. Numbers
// are numbers; texts are stored as texts, which a spreadsheet never runs
// as formulas.
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	for i, t := range r.Tables() {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", t.Sheet); err != nil {
				return fmt.Errorf("xlsx sheet: %w", err)
			}
		} else if _, err := f.NewSheet(t.Sheet); err != nil {
			return fmt.Errorf("xlsx sheet: %w", err)
		}
		lines := [][]any{{t.Title}}
		for _, n := range t.Notes {
			lines = append(lines, []any{n})
		}
		header := make([]any, len(t.Header))
		for j, h := range t.Header {
			header[j] = h
		}
		lines = append(lines, header)
		headerRow := len(lines)
		lines = append(lines, t.Rows...)
		for j, line := range lines {
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := f.SetSheetRow(t.Sheet, cell, &line); err != nil {
				return fmt.Errorf("xlsx %s: %w", t.Sheet, err)
			}
		}
		for _, row := range []int{1, headerRow} {
			if err := f.SetRowStyle(t.Sheet, row, row, bold); err != nil {
				return fmt.Errorf("xlsx %s: %w", t.Sheet, err)
			}
		}
		last, _ := excelize.ColumnNumberToName(max(1, len(t.Header)))
		if err := f.SetColWidth(t.Sheet, "A", last, 18); err != nil {
			return fmt.Errorf("xlsx %s: %w", t.Sheet, err)
		}
	}
	return f.Write(w)
}
