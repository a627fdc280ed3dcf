package renewals_test

import (
	"context"
	"fmt"
	"runtime/pprof"
	"testing"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/renewals"
	"github.com/bdf29/sesame/internal/sigb"
	"github.com/bdf29/sesame/internal/store"
)

// benchLines is the file: 100,000 lines, previewed then applied
// in under 5 s on SQLite and 10 s on PostgreSQL.
const benchLines = 100_000

// BenchmarkImport previews then applies a file of benchLines lines, every
// one of which renews an À revalider patron (the worst case: each line
// writes the patron, its audit line and its mail), then applies it again
// (the nightly case: nothing changes). Run it once per engine:
//
//	go test -run '^$' -bench BenchmarkImport -benchtime 1x ./internal/renewals/
func BenchmarkImport(b *testing.B) {
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			ctx := context.Background()
			for range b.N {
				b.StopTimer()
				n := newNetwork(b, e.dsn(b))
				batch := make([]store.NewPatron, 0, 1000)
				for i := range benchLines {
					batch = append(batch, store.NewPatron{Patron: sesame.Patron{LibraryID: n.fouesnant, LastName: "LECTEUR", FirstName: fmt.Sprint(i),
						Email: fmt.Sprintf("lecteur%d@example.org", i), BirthDate: birth, PostalCode: "29170", Town: "Fouesnant",
						CardNumber: fmt.Sprintf("B-%06d", i), RegisteredOn: sesame.MustDate(2024, 1, 5), Status: sesame.StatusToRevalidate,
						LibraryRegisteredOn: sesame.MustDate(2025, 11, 20), ValidUntil: sesame.MustDate(2026, 11, 20)}})
					if len(batch) == cap(batch) {
						if err := n.st.BulkCreatePatrons(ctx, batch, sesame.Actor{Label: "bench"}); err != nil {
							b.Fatal(err)
						}
						batch = batch[:0]
					}
				}
				// Fresh statistics after the bulk load, as the demo takes them.
				if err := n.st.OptimizeSearch(ctx); err != nil {
					b.Fatal(err)
				}
				file := func() sigb.Rows {
					rs := make([]sigb.Row, benchLines)
					for i := range rs {
						rs[i] = sigb.Row{Line: i + 2, Card: fmt.Sprintf("b-%06d", i), RegisteredOn: fileDate}
					}
					return rowsOf(rs...)
				}
				sc, in := store.LibraryScope(n.fouesnant), renewals.Input{Source: "bench.csv", LibraryID: n.fouesnant}
				b.StartTimer()
				var sum renewals.Summary
				var err error
				// Each phase is labelled, for a -cpuprofile read with
				// `go tool pprof -tagfocus phase=apply`: the profile holds
				// the bulk load too.
				phase("preview", func() { sum, err = n.svc.Preview(ctx, sc, in, file()) })
				if err != nil || sum.Counts[renewals.Revalidated] != benchLines {
					b.Fatalf("preview: %v, %v", sum.Counts, err)
				}
				preview := b.Elapsed()
				phase("apply", func() { sum, err = n.svc.Apply(ctx, sc, in, file(), n.staff) })
				if err != nil || sum.Counts[renewals.Revalidated] != benchLines {
					b.Fatalf("apply: %v, %v", sum.Counts, err)
				}
				applied := b.Elapsed()
				phase("rerun", func() { sum, err = n.svc.Apply(ctx, sc, in, file(), n.staff) })
				if err != nil || sum.Changed() != 0 {
					b.Fatalf("again: %v, %v", sum.Counts, err)
				}
				b.StopTimer()
				again := b.Elapsed() - applied
				b.ReportMetric(float64(preview.Nanoseconds())/benchLines, "ns/line-preview")
				b.ReportMetric(float64((applied-preview).Nanoseconds())/benchLines, "ns/line-apply")
				b.ReportMetric(float64(again.Nanoseconds())/benchLines, "ns/line-rerun")
				b.ReportMetric(applied.Seconds(), "s-preview+apply")
			}
		})
	}
}

// phase runs fn with the profiler's label phase=name, which the goroutines
// it starts inherit.
func phase(name string, fn func()) {
	pprof.Do(context.Background(), pprof.Labels("phase", name), func(context.Context) { fn() })
}
