package sigb_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/sigb"
	"github.com/xuri/excelize/v2"
)

// koha100k is a 100,000-line Koha export of the kind the issue's
// performance goal speaks of.
func koha100k(tb testing.TB) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("cardnumber;surname;firstname;email;dateofbirth;dateenrolled;dateexpiry;branchcode\r\n")
	for i := 0; i < 100_000; i++ {
		fmt.Fprintf(&b, "29%09d;Le Bihan-%d;Gwénaëlle;lecteur%d@example.org;1985-06-14;2026-12-03 00:00:00;2027-12-02;FOUESNANT\r\n", i, i, i)
	}
	return b.Bytes()
}

func BenchmarkReadCSV100k(b *testing.B) {
	content := koha100k(b)
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		rd := open(b, "koha.csv", content, sigb.Options{})
		n := 0
		for {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || row.Problem != "" {
				b.Fatalf("line %d: %v %q", row.Line, err, row.Problem)
			}
			n++
		}
		if n != 100_000 {
			b.Fatalf("got %d rows, want 100000", n)
		}
	}
	runtime.ReadMemStats(&after)
	rows := float64(b.N) * 100_000
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/rows, "allocs/row")
}

// BenchmarkReadXLSX100k reads the same export saved as a workbook, dates as
// date cells.
func BenchmarkReadXLSX100k(b *testing.B) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"cardnumber", "surname", "firstname", "email", "dateofbirth", "dateenrolled", "dateexpiry", "branchcode"}); err != nil {
		b.Fatal(err)
	}
	enrolled := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 100_000; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{fmt.Sprintf("29%09d", i), fmt.Sprintf("Le Bihan-%d", i), "Gwénaëlle", fmt.Sprintf("lecteur%d@example.org", i), "14/06/1985", enrolled, "2027-12-02", "FOUESNANT"}
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	content := buf.Bytes()
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		rd := open(b, "koha.xlsx", content, sigb.Options{})
		n := 0
		for {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || row.Problem != "" || row.RegisteredOn != enrolledDate {
				b.Fatalf("line %d: %v %q %v", row.Line, err, row.Problem, row.RegisteredOn)
			}
			n++
		}
		if n != 100_000 {
			b.Fatalf("got %d rows, want 100000", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100_000, "ns/row")
}

var enrolledDate = date(2026, 12, 3)
