package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/store"
)

// seedPatrons adds n patrons of status st to library A, each asking for the
// first resource, in batches, and returns their ids.
func (w *world) seedPatrons(tb testing.TB, prefix string, n int, st sesame.Status) []int64 {
	tb.Helper()
	var ids []int64
	for start := 0; start < n; start += 5000 {
		var batch []store.NewPatron
		for i := start; i < min(n, start+5000); i++ {
			p := sesame.Patron{LibraryID: w.libA, LastName: fmt.Sprintf("%s-%06d", prefix, i), FirstName: "Maëlle",
				Email: fmt.Sprintf("%s-%06d@example.org", strings.ToLower(prefix), i), BirthDate: sesame.MustDate(1980, 5, 17),
				PostalCode: "29170", Town: "Fouesnant", CardNumber: fmt.Sprintf("%s-%06d", prefix, i), RegisteredOn: sesame.MustDate(2025, 3, 1), Status: st}
			if st == sesame.StatusValidated {
				p.LibraryRegisteredOn, p.ValidUntil = sesame.MustDate(2026, 3, 1), sesame.MustDate(2027, 3, 1)
			}
			batch = append(batch, store.NewPatron{Patron: p, ResourceIDs: w.res[:2], GrantState: sesame.GrantValidated})
		}
		if err := w.store.BulkCreatePatrons(context.Background(), batch, sesame.Actor{Label: "bench"}); err != nil {
			tb.Fatal(err)
		}
		for _, np := range batch {
			ids = append(ids, np.Patron.ID)
		}
	}
	return ids
}

// BenchmarkBulkValidation validates 1,000 patrons « À valider » in one
// action, as « Valider la sélection » does: each through its record's own
// transaction, audit and mail into the outbox, on SQLite (or the engine
// SESAME_TEST_ENGINE names). One op is the whole action. Compare with
// BenchmarkHelloHandler, run in the same command.
func BenchmarkBulkValidation(b *testing.B) {
	w := newWorld(b)
	c := w.login("fouesnant")
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ids := w.seedPatrons(b, fmt.Sprintf("LOT%d", i), 1000, sesame.StatusToValidate)
		form := url.Values{"action": {"valider"}, "date_bibliotheque": {"20/11/2026"}, "abonne": idList(ids...)}
		b.StartTimer()
		before := processCPU(b)
		res := c.post("/abonnes/selection", form)
		cpu += processCPU(b) - before
		if want := "1000 abonnés validés."; res.status != http.StatusOK || res.notice() != want {
			b.Fatalf("bulk validation: %d %q, want %q", res.status, res.notice(), want)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/1000-patrons")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/1000-patrons")
}

// download reads a file to the end, as a browser saves it, and returns its size.
func download(b *testing.B, c *client, path string) int64 {
	res, err := c.http.Get(c.w.server.URL + path)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("download %s: %d (%v)", path, res.StatusCode, err)
	}
	return n
}

// BenchmarkPatronExport exports a list of 50,000 patrons, with their
// resources, as CSV and as XLSX, read to the end by the client. One op is
// one whole file.
func BenchmarkPatronExport(b *testing.B) {
	w := newWorld(b)
	w.seedPatrons(b, "EXPORT", 50000-1, sesame.StatusValidated) // and LEFÈVRE
	c := w.login("fouesnant")
	for _, format := range []string{"csv", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			var size int64
			cpu := processCPU(b)
			for i := 0; i < b.N; i++ {
				size = download(b, c, "/abonnes/export."+format)
			}
			cpu = processCPU(b) - cpu
			b.StopTimer()
			if format == "csv" {
				if lines := strings.Count(c.get("/abonnes/export.csv").body, "\r\n"); lines != 50001 {
					b.Fatalf("CSV lines: got %d, want 50,000 and the header", lines)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/file")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/file")
			b.ReportMetric(float64(size)/1e6, "MB/file")
		})
	}
}
