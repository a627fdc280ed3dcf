package sigb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bdf29/sesame"
	"github.com/xuri/excelize/v2"
)

const (
	// maxXLSX bounds the zip read into memory, above the import page's
	// 50 MB so that the page's own message is the one users see.
	maxXLSX = 64 << 20
	// maxUnzipped bounds what excelize may unzip (a zip bomb expands a few
	// kilobytes into gigabytes); worksheets over its 16 MB default go to
	// temporary files that Close removes.
	maxUnzipped = 512 << 20
)

func (rd *Reader) openXLSX(r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, maxXLSX+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", rd.name, err)
	}
	if len(data) > maxXLSX {
		return sesame.Errorf(sesame.EInvalid, "Le classeur « %s » dépasse %d Mo.", clip(rd.name), maxXLSX>>20)
	}
	unreadable := sesame.Errorf(sesame.EInvalid, "Le fichier « %s » n'est pas un classeur XLSX lisible.", clip(rd.name))
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		return unreadable
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return unreadable
	}
	props, err := f.GetWorkbookProps()
	if err != nil {
		_ = f.Close()
		return unreadable
	}
	rd.date1904 = props.Date1904 != nil && *props.Date1904
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return unreadable
	}
	rd.xlsx = true
	rd.close = func() error { return errors.Join(rows.Close(), f.Close()) }
	line := 0
	var rec csvRecord
	rd.next = func() (*csvRecord, error) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, sesame.Errorf(sesame.EInvalid, "Le classeur « %s » est illisible après la ligne %d.", clip(rd.name), line)
			}
			return nil, io.EOF
		}
		line++
		// Raw values: a date cell gives its serial number, not a text
		// formatted by a locale we would have to guess (excelize writes
		// the built-in date format as mm-dd-yy).
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, sesame.Errorf(sesame.EInvalid, "La ligne %d du classeur « %s » est illisible.", line, clip(rd.name))
		}
		rec = csvRecord{line: line, fields: rec.fields[:0]}
		for i, c := range cells {
			if i >= MaxColumns {
				if strings.TrimSpace(c) != "" {
					rec.tooMany = true
				}
				continue
			}
			if len(c) > MaxField {
				if rec.tooLong == 0 {
					rec.tooLong = i + 1
				}
				c = c[:MaxField]
			}
			rec.fields = append(rec.fields, c)
		}
		return &rec, nil
	}
	return rd.readHeader()
}

// excelDateToTime is excelize's conversion, named here so that the one
// place knowing spreadsheet serials is this file.
func excelDateToTime(f float64, date1904 bool) (time.Time, error) {
	t, err := excelize.ExcelDateToTime(f, date1904)
	if err != nil {
		return time.Time{}, fmt.Errorf("serial date %v: %w", f, err)
	}
	return t, nil
}
