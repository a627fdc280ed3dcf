package sigb_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/sigb"
	"github.com/xuri/excelize/v2"
)

// xlsxFile builds a workbook whose first sheet holds cells (row by row from
// A1; a nil row is left empty) and returns its bytes.
func xlsxFile(tb testing.TB, date1904 bool, cells [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			tb.Fatal(err)
		}
	}
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // Excel's built-in short date
	if err != nil {
		tb.Fatal(err)
	}
	for r, row := range cells {
		for c, v := range row {
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				tb.Fatal(err)
			}
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				tb.Fatal(err)
			}
			if _, ok := v.(time.Time); ok {
				if err := f.SetCellStyle("Sheet1", cell, cell, style); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func TestXLSX(t *testing.T) {
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, date1904 := range []bool{false, true} {
		content := xlsxFile(t, date1904, [][]any{
			{"N° de carte", "Nom", "Prénom", "Date d'inscription", "Date de fin d'abonnement"},
			{"29001000123", "Le Bihan", "Gwénaëlle", day, "02/12/2027"},
			nil, // an empty row: skipped, numbers go on
			{2900100012345, "Cœur", "Françoise", "2026-12-03 00:00:00", day.AddDate(1, 0, -1)},
			{"X", "Sans date", "", "31/02/2026"},
		})
		for _, name := range []string{"export.xlsx", "export.bin"} { // by name, and by content
			rd := open(t, name, content, sigb.Options{})
			if rd.Encoding() != "" {
				t.Errorf("Encoding of a workbook: got %q, want none", rd.Encoding())
			}
			if m := rd.Missing(); len(m) != 0 {
				t.Errorf("Missing: got %v", m)
			}
			rows := readAll(t, rd)
			want := []sigb.Row{
				{Line: 2, Card: "29001000123", LastName: "Le Bihan", FirstName: "Gwénaëlle", RegisteredOn: date(2026, 12, 3), ValidUntil: date(2027, 12, 2)},
				{Line: 4, Card: "2900100012345", LastName: "Cœur", FirstName: "Françoise", RegisteredOn: date(2026, 12, 3), ValidUntil: date(2027, 12, 2)},
				{Line: 5, Card: "X", LastName: "Sans date", Problem: "Date d'inscription dans la bibliothèque illisible : « 31/02/2026 »"},
			}
			if len(rows) != len(want) {
				t.Fatalf("1904=%v %s: got %d rows %+v, want %d", date1904, name, len(rows), rows, len(want))
			}
			for i := range want {
				if rows[i] != want[i] {
					t.Errorf("1904=%v %s row %d:\n got %+v\nwant %+v", date1904, name, i, rows[i], want[i])
				}
			}
		}
	}
}

func TestXLSXLimits(t *testing.T) {
	long := make([]any, 0, 260)
	long = append(long, "A1", "03/12/2026")
	for len(long) < 260 {
		long = append(long, "x")
	}
	content := xlsxFile(t, false, [][]any{
		{"cardnumber", "dateenrolled", "surname"},
		long,
		{"A2", "03/12/2026", string(bytes.Repeat([]byte("é"), 600))},
	})
	rows := readAll(t, open(t, "f.xlsx", content, sigb.Options{}))
	if len(rows) != 2 || rows[0].Problem != "Trop de colonnes (plus de 200)" || rows[1].Problem != "Colonne n° 3 trop longue (plus de 1000 caractères)" {
		t.Errorf("rows: got %+v", rows)
	}
}
