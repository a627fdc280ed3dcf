package demo_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/storetest"
)

// BenchmarkSeed seeds 50,000 patrons over 200 libraries into a fresh
// database per op, with every index and, on SQLite, the trigram index:
// patrons/s is what the bulk load does. SESAME_TEST_ENGINE is not read: run
// it with SESAME_TEST_POSTGRES and -run XXX -bench Seed/postgres for PostgreSQL.
func BenchmarkSeed(b *testing.B) {
	const patrons = 50_000
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	hasher := auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}
	engines := []struct {
		name string
		open storetest.Opener
	}{{"sqlite", storetest.OpenSQLite}, {"postgres", storetest.OpenPostgres}}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				st := e.open(b, func() time.Time { return now })
				b.StartTimer()
				if _, err := demo.Seed(context.Background(), st, hasher, demo.Options{Patrons: patrons, Libraries: 200, Largest: 20_000,
					Today: sesame.DateOf(now, time.UTC), Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(patrons)*float64(b.N)/b.Elapsed().Seconds(), "patrons/s")
		})
	}
}
