package sigb_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bdf29/sesame/internal/sigb"
)

// FuzzOpen: no input panics, every row and header is valid UTF-8 within the
// limits, line numbers only grow, and reading ends.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(kohaCSV), "f.csv")
	f.Add([]byte("\uFEFFN° de carte,Date d'inscription\n\"A,1\",03/12/2026\n"), "f.csv")
	f.Add([]byte("carte\tdate\r\n\"a\"\"b\r\nc\"\t2026-12-03 00:00:00\r"), "f.txt")
	f.Add([]byte("carte;date\n\"oops;x\n"), "f.csv")
	f.Add([]byte("Gu\xe9guen;\x9c\n"), "f.csv")
	f.Add([]byte("PK\x03\x04"), "f.xlsx")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		rd, err := sigb.Open(bytes.NewReader(data), name, sigb.Options{})
		if err != nil {
			return
		}
		defer rd.Close()
		for _, h := range rd.Header() {
			if !utf8.ValidString(h) || len(h) > 4*sigb.MaxField {
				t.Fatalf("header cell %q", h)
			}
		}
		last := 0
		for n := 0; ; n++ {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				return
			}
			if n > len(data) {
				t.Fatalf("%d rows from %d bytes", n, len(data))
			}
			if row.Line <= last {
				t.Fatalf("line %d after %d", row.Line, last)
			}
			last = row.Line
			for _, s := range []string{row.Card, row.Email, row.LastName, row.FirstName, row.Library, row.Problem} {
				if !utf8.ValidString(s) || len(s) > 4*sigb.MaxField {
					t.Fatalf("line %d: field %q", row.Line, s)
				}
			}
			if row.Problem == "" && strings.TrimSpace(row.Card+row.Email+row.LastName) == "" {
				t.Fatalf("line %d: no identifier and no problem", row.Line)
			}
		}
	})
}
