package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/stats"
	"github.com/bdf29/sesame/internal/store"
)

// The list's exports, « Exporter (CSV) » and « Exporter (XLSX) »: every
// patron the search and filters show, all pages, written as the rows are
// read from the database, so that 50,000 rows never sit in memory.

// exportFormat is an export's file type, and its address's extension.
type exportFormat string

const (
	exportCSV  exportFormat = "csv"
	exportXLSX exportFormat = "xlsx"
)

// Content types of the files the portal lets users download.
const (
	contentTypeCSV  = "text/csv; charset=utf-8"
	contentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// attachment sets the headers of a file to download, kept out of caches.
func attachment(w http.ResponseWriter, name, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
}

// exportColumns are the columns of an export, in French; the network
// admin's export adds the library, as the list does.
var exportColumns = []string{"Statut", "Fin de validité", "Nom", "Prénom", "E-mail", "N° d'inscription", "Date d'inscription", "Ressources"}

// ExportURL is the address of the list's export in format: the same search
// and filters, every page.
func (p listPage) ExportURL(format exportFormat) string {
	u := p.Path + "/export." + string(format)
	if enc := p.Params.Encode(); enc != "" {
		u += "?" + enc
	}
	return u
}

// CSVURL and XLSXURL are the list's export links.
func (p listPage) CSVURL() string  { return p.ExportURL(exportCSV) }
func (p listPage) XLSXURL() string { return p.ExportURL(exportXLSX) }

// patronExport answers the list's export links.
func (s *Server) patronExport(format exportFormat, todo bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.exportPatrons(w, r, readList(r.URL.Query(), staffFrom(r.Context()), todo), nil, format)
	}
}

// exportPatrons writes the patrons of list, or only those of ids when a
// selection is exported, in format.
func (s *Server) exportPatrons(w http.ResponseWriter, r *http.Request, list listPage, ids []int64, format exportFormat) {
	ctx := r.Context()
	st := staffFrom(ctx)
	filter := list.filter(s.today())
	filter.IDs = ids
	var libraries map[int64]string
	if st.Role == sesame.RoleAdmin {
		libs, err := s.store.Libraries(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		libraries = map[int64]string{}
		for _, l := range libs {
			libraries[l.ID] = l.Code
		}
	}
	name := "abonnes-" + s.today().ISO() + "." + string(format)
	if format == exportXLSX {
		f, err := s.patronsWorkbook(ctx, filter, libraries)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer f.Close()
		attachment(w, name, contentTypeXLSX)
		if err := f.Write(w); err != nil {
			s.log.ErrorContext(ctx, "export des abonnés", "err", err)
		}
		return
	}
	attachment(w, name, contentTypeCSV)
	if err := s.writePatronsCSV(ctx, w, filter, libraries); err != nil {
		// The file has begun: the status is sent, only the log can tell.
		s.log.ErrorContext(ctx, "export des abonnés", "err", err)
	}
}

// exportRow is one patron as the export writes them, formatted as the
// list shows them: the status with its warning, dates dd/mm/yyyy.
func (s *Server) exportRow(row store.PatronRow, libraries map[int64]string, today sesame.Date) []string {
	resources := append([]string{}, row.Resources...)
	for _, name := range row.Pending {
		resources = append(resources, name+" (en attente)")
	}
	cells := []string{row.ShownStatus(today).Label, row.ValidUntil.String(), row.LastName, row.FirstName, row.Email,
		row.CardNumber, row.RegisteredOn.String(), strings.Join(resources, ", ")}
	if libraries != nil {
		cells = append(cells, libraries[row.LibraryID])
	}
	return cells
}

func exportHeader(libraries map[int64]string) []string {
	header := append([]string{}, exportColumns...)
	if libraries != nil {
		header = append(header, "Bibliothèque")
	}
	return header
}

// writePatronsCSV writes the export for French spreadsheets
// (stats.NewCSVWriter), each text protected against formula injection.
func (s *Server) writePatronsCSV(ctx context.Context, w io.Writer, filter store.PatronFilter, libraries map[int64]string) error {
	c, err := stats.NewCSVWriter(w)
	if err != nil {
		return err
	}
	if err := c.Write(exportHeader(libraries)); err != nil {
		return err
	}
	sc, today := scopeOf(staffFrom(ctx)), s.today()
	err = s.store.EachPatron(ctx, sc, filter, func(row store.PatronRow) error {
		cells := s.exportRow(row, libraries, today)
		for i, v := range cells {
			cells[i] = stats.CSVCell(v)
		}
		return c.Write(cells)
	})
	if err != nil {
		return err
	}
	c.Flush()
	return c.Error()
}

// patronsWorkbook builds the export as a workbook through excelize's
// StreamWriter, which keeps rows out of memory until the file is written.
// Texts are stored as texts, which a spreadsheet never runs as formulas.
func (s *Server) patronsWorkbook(ctx context.Context, filter store.PatronFilter, libraries map[int64]string) (*excelize.File, error) {
	f := excelize.NewFile()
	if err := s.streamPatrons(ctx, f, filter, libraries); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (s *Server) streamPatrons(ctx context.Context, f *excelize.File, filter store.PatronFilter, libraries map[int64]string) error {
	const sheet = "Abonnés"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("xlsx sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx style: %w", err)
	}
	header := exportHeader(libraries)
	if err := sw.SetColWidth(1, len(header), 18); err != nil {
		return fmt.Errorf("xlsx width: %w", err)
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return fmt.Errorf("xlsx header: %w", err)
	}
	line := 1
	sc, today := scopeOf(staffFrom(ctx)), s.today()
	err = s.store.EachPatron(ctx, sc, filter, func(row store.PatronRow) error {
		line++
		for i, v := range s.exportRow(row, libraries, today) {
			cells[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, line)
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	return nil
}
