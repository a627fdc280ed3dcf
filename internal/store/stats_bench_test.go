package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/bdf29/sesame/internal/stats"
	"github.com/bdf29/sesame/internal/store"
)

// The network's statistics page at national scale (issue 14 §4), on
// PostgreSQL: 16,000 libraries of 20 patrons, 10 resources, 20,000
// launches and 18,000 audit events a day from 1 January 2026 to 20
// November 2026, 10:00, with four months of launches kept (2.4 million).
// SESAME_STATS_BENCH_POSTGRES names a database of its own, never the
// tests'; an empty one is filled first (a few minutes), the same rows
// each time (setseed), and left as the monthly job of before migration
// 0040 left it: months counted up to 1 November, no names.
//
//	createdb -h 127.0.0.1 -U postgres statsbench
//	export SESAME_STATS_BENCH_POSTGRES='postgres://postgres@127.0.0.1:5432/statsbench?sslmode=disable'
//	go test -run '^$' -bench 'BenchmarkNetworkStats' -benchtime 5x ./internal/store/
//	go test -run '^$' -bench 'BenchmarkStatsFold' -benchtime 1x ./internal/store/
//	go test -run '^$' -bench 'BenchmarkNetworkStats' -benchtime 5x ./internal/store/
//
// BenchmarkStatsFold runs the nightly job of 20 November (the first since
// 0040: it names the launches kept, and counts 1 to 19 November), then
// that of 21 November (an ordinary night). Copy the database first
// (createdb -T statsbench statsbench_seed) to measure again from the start.
//
// On SQLite, SESAME_STATS_BENCH_SQLITE names a file instead: a
// département's network of 300 libraries, the same data scaled down
// (375 launches and 338 audit events a day), written from Go.

// statsBenchNow is the clock of the pages: 20 November 2026, 10:00.
func statsBenchNow(loc *time.Location) time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, loc) }

func openStatsBench(b *testing.B, now *time.Time) *store.Store {
	b.Helper()
	dsn := os.Getenv("SESAME_STATS_BENCH_POSTGRES")
	if dsn == "" {
		dsn = os.Getenv("SESAME_STATS_BENCH_SQLITE")
	}
	if dsn == "" {
		b.Skip("neither SESAME_STATS_BENCH_POSTGRES nor SESAME_STATS_BENCH_SQLITE is set")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{Now: func() time.Time { return *now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	driver, source := "pgx", dsn
	if !store.IsPostgres(dsn) {
		driver, source = "sqlite", "file:"+dsn+"?_time_format=sqlite&_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM libraries`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	switch {
	case n > 0:
	case driver == "pgx":
		seedStatsBench(b, st, db, now)
	default:
		seedStatsBenchSQLite(b, st, db, now)
	}
	return st
}

// seedStatsBenchSQLite writes a département's data, as seedStatsBench a
// nation's, with a seeded generator.
func seedStatsBenchSQLite(b *testing.B, st *store.Store, db *sql.DB, now *time.Time) {
	b.Helper()
	ctx := context.Background()
	paris := mustParis(b)
	const libs, patrons = 300, 20
	rng := rand.New(rand.NewPCG(14, 4)) // #nosec G404 -- seeded test data
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	exec := func(q string, args ...any) {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	for l := 1; l <= libs; l++ {
		exec(`INSERT INTO libraries (id, code, name, town, contact_email) VALUES ($1, $2, $3, 'Ville', 'b@example.org')`,
			l, fmt.Sprint("B", l), fmt.Sprint("Bibliothèque ", l))
		for k := range patrons {
			id := (l-1)*patrons + k + 1
			exec(`INSERT INTO patrons (id, library_id, last_name, first_name, email, birth_date, postal_code, town,
					registered_on, status, sort_last, sort_first, search_text, created_at, updated_at)
				VALUES ($1, $2, $3, 'Anne', $4, '1980-01-02', '29000', 'Ville', '2025-01-01', 'validé', $5, 'anne', $5, $6, $6)`,
				id, l, fmt.Sprint("Nom", id), fmt.Sprint("p", id, "@example.org"), fmt.Sprint("nom", id), time.Now().UTC())
		}
	}
	for r := 1; r <= 10; r++ {
		exec(`INSERT INTO resources (id, slug, name, description, url) VALUES ($1, $2, $3, 'd', 'https://example.org/')`,
			r, fmt.Sprint("r", r), fmt.Sprint("Ressource ", r))
	}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, paris), statsBenchNow(paris)
	days := int(to.Sub(from).Hours() / 24)
	at := func() time.Time { return from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))).UTC() }
	skewed := func(n int) int { f := rng.Float64(); return int(float64(n) * f * f) }
	for range 20000 * libs / 16000 * days {
		l := 1 + rng.IntN(libs)
		exec(`INSERT INTO launches (at, patron_id, library_id, resource_id) VALUES ($1, $2, $3, $4)`,
			at(), (l-1)*patrons+1+skewed(patrons), l, 1+skewed(10))
	}
	actions := []string{"creation", "validation", "refus", "revalidation", "expiration", "modification"}
	for range 18000 * libs / 16000 * days {
		l := 1 + rng.IntN(libs)
		t := at()
		exec(`INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail, counts_at) VALUES ($1, 'bench', $2, $3, $4, '', $1)`,
			t, l, (l-1)*patrons+1+rng.IntN(patrons), actions[rng.IntN(len(actions))])
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	*now = time.Date(2026, 11, 1, 3, 0, 0, 0, paris)
	fold(b, st, paris, time.Date(2026, 7, 1, 0, 0, 0, 0, paris))
	for _, q := range []string{
		`DELETE FROM stats_patron_months`, `DELETE FROM stats_user_firsts`,
		`DELETE FROM stats_library_user_firsts`, `DELETE FROM stats_network_user_firsts`,
		`UPDATE stats_fold SET named_until = NULL`, `ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	*now = statsBenchNow(paris)
}

func seedStatsBench(b *testing.B, st *store.Store, db *sql.DB, now *time.Time) {
	b.Helper()
	ctx := context.Background()
	paris := mustParis(b)
	start := time.Now()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, paris), statsBenchNow(paris)
	// No foreign key checked (they are right by construction): a
	// superuser's session as a replica's.
	for _, q := range []string{
		`SET session_replication_role = replica`,
		`SELECT setseed(0.14)`,
		`INSERT INTO libraries (id, code, name, town, contact_email)
			SELECT i, 'B' || i, 'Bibliothèque ' || i, 'Ville ' || i, 'b' || i || '@example.org'
			FROM generate_series(1, 16000) AS i`,
		`INSERT INTO resources (id, slug, name, description, url)
			SELECT i, 'r' || i, 'Ressource ' || i, 'd', 'https://example.org/' || i
			FROM generate_series(1, 10) AS i`,
		// Patron (l-1)*20+k+1 is the k-th of library l.
		`INSERT INTO patrons (id, library_id, last_name, first_name, email, birth_date, postal_code, town,
				registered_on, status, sort_last, sort_first, search_text, created_at, updated_at)
			SELECT i, (i - 1) / 20 + 1, 'Nom' || i, 'Anne', 'p' || i || '@example.org', '1980-01-02', '29000', 'Ville',
				'2025-01-01', 'validé', 'nom' || i, 'anne', 'nom' || i || ' anne', now(), now()
			FROM generate_series(1, 320000) AS i`,
		`SELECT setval(pg_get_serial_sequence('libraries', 'id'), 16000)`,
		`SELECT setval(pg_get_serial_sequence('resources', 'id'), 10)`,
		`SELECT setval(pg_get_serial_sequence('patrons', 'id'), 320000)`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	// Launches and audit events, spread evenly over the period; patrons
	// and resources skewed, as some are used much more than others.
	secs := int(to.Sub(from).Seconds())
	days := int(to.Sub(from).Hours() / 24)
	for _, q := range []struct {
		sql string
		n   int
	}{
		{`INSERT INTO launches (at, patron_id, library_id, resource_id)
			SELECT at, (lib - 1) * 20 + 1 + floor(20 * random() ^ 2)::int, lib, 1 + floor(10 * random() ^ 2)::int
			FROM (SELECT $1::timestamptz + (random() * $2::float8) * interval '1 second' AS at, 1 + floor(random() * 16000)::int AS lib
				FROM generate_series(1, $3::int)) AS g
			ORDER BY at`, 20000 * days},
		{`INSERT INTO audit_events (at, actor, library_id, patron_id, action, detail, counts_at)
			SELECT at, 'bench', lib, (lib - 1) * 20 + 1 + floor(20 * random())::int,
				(ARRAY['creation', 'validation', 'refus', 'revalidation', 'expiration', 'modification'])[1 + floor(random() * 6)::int],
				'', at
			FROM (SELECT $1::timestamptz + (random() * $2::float8) * interval '1 second' AS at, 1 + floor(random() * 16000)::int AS lib
				FROM generate_series(1, $3::int)) AS g
			ORDER BY at`, 18000 * days},
	} {
		if _, err := conn.ExecContext(ctx, q.sql, from.UTC(), secs, q.n); err != nil {
			b.Fatalf("%s: %v", q.sql, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `SET session_replication_role = DEFAULT`); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded in %s", time.Since(start).Round(time.Second))
	// The monthly job of before 0040, on 1 November: months counted, the
	// launches before 1 July deleted, no names.
	*now = time.Date(2026, 11, 1, 3, 0, 0, 0, paris)
	fold(b, st, paris, time.Date(2026, 7, 1, 0, 0, 0, 0, paris))
	for _, q := range []string{
		`DELETE FROM stats_patron_months`, `DELETE FROM stats_user_firsts`,
		`DELETE FROM stats_library_user_firsts`, `DELETE FROM stats_network_user_firsts`,
		`UPDATE stats_fold SET named_until = NULL`, `VACUUM ANALYZE`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	*now = statsBenchNow(paris)
	b.Logf("seeded and counted to 1 November in %s", time.Since(start).Round(time.Second))
}

func mustParis(tb testing.TB) *time.Location {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		tb.Fatal(err)
	}
	return paris
}

func fold(b *testing.B, st *store.Store, loc *time.Location, cutoff time.Time) store.FoldReport {
	b.Helper()
	var r store.FoldReport
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		r, err = tx.FoldLaunches(context.Background(), cutoff, loc)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkNetworkStats builds the network's page (stats.Build: every
// query of /admin/statistiques) for the year 2026 and for the four
// months from August to November, at 10:00 on 20 November.
func BenchmarkNetworkStats(b *testing.B) {
	paris := mustParis(b)
	now := statsBenchNow(paris)
	st := openStatsBench(b, &now)
	for _, p := range []struct {
		name   string
		period stats.Period
	}{
		{"year", stats.Period{First: store.NewMonth(2026, time.January, paris), Last: store.NewMonth(2026, time.December, paris), Year: 2026}},
		{"months", stats.Period{First: store.NewMonth(2026, time.August, paris), Last: store.NewMonth(2026, time.November, paris)}},
	} {
		b.Run(p.name, func(b *testing.B) {
			var r *stats.Report
			for b.Loop() {
				var err error
				r, err = stats.Build(context.Background(), st, nil, p.period, now, paris)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.Total), "launches")
			b.ReportMetric(float64(r.Users), "users")
			b.Logf("%s: %d launches, %d users, %s", p.period.Label(), r.Total, r.Users, fmt.Sprint(r.AccountTotals))
		})
	}
}

// BenchmarkStatsFold runs the nightly job of 20 November, then of 21
// November; run it once (-benchtime 1x): a second run finds nothing to do.
func BenchmarkStatsFold(b *testing.B) {
	paris := mustParis(b)
	now := statsBenchNow(paris)
	st := openStatsBench(b, &now)
	for _, day := range []int{20, 21} {
		b.Run(fmt.Sprintf("night_of_%d_november", day), func(b *testing.B) {
			for b.Loop() {
				now = time.Date(2026, 11, day, 3, 0, 0, 0, paris)
				r := fold(b, st, paris, time.Date(2026, 7, day, 0, 0, 0, 0, paris))
				b.Logf("%+v", r)
			}
		})
	}
}
